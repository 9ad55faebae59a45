// Command kycwatch receives identity-verification webhooks (Veriff,
// VerifiMe), verifies their signatures, and shows them live per session.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/export"
	"github.com/kycwatch/kycwatch/sessions/lab"
	"github.com/kycwatch/kycwatch/sessions/sandbox"
	"github.com/kycwatch/kycwatch/sessions/simulator"
	"github.com/kycwatch/kycwatch/sessions/veriffapi"
	"github.com/kycwatch/kycwatch/sessions/verifimeapi"
	"github.com/kycwatch/kycwatch/ui"
)

// config is everything the flags and environment decide.
type config struct {
	addr                      string
	db                        string
	logPath                   string
	headless                  bool
	noTunnel                  bool
	authtoken                 string // ngrok's; never printed
	tokenFrom                 string // where the token came from, for the header
	domain                    string
	tunnelWait                time.Duration
	maxBody                   int64
	keys                      decode.Keys
	apiURL                    string // Veriff's API base URL
	sandboxKey, sandboxSecret string
	sandboxWebhooks           webhookRoutes
	forwardTo                 []string
	answerApp                 bool
	forwardTimeout            time.Duration
	maskPII                   bool
	expect                    []sessions.Expectation
	expectTimeout             time.Duration
	keep                      sessions.Retention
	vmOrg                     string // VerifiMe organisation code
	vmAPIURL                  string
	simAssess                 time.Duration
	simStart                  time.Duration
	simSubmit                 time.Duration
	history                   int
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// webhookRoutes is where the sandbox sends its webhooks: a URL for every
// kind (key ""), or one per kind (events, decisions, verifime), as Veriff's
// portal has a URL for events and another for decisions. A kind with no
// URL goes to kycwatch itself.
type webhookRoutes map[string]string

var webhookKinds = []string{"events", "decisions", "verifime"}

// parseWebhookRoutes reads --sandbox-webhook values: URL, or KIND=URL.
func parseWebhookRoutes(vals []string) (webhookRoutes, error) {
	r := webhookRoutes{}
	for _, v := range vals {
		kind, u := "", strings.TrimSpace(v)
		if k, rest, ok := strings.Cut(u, "="); ok && !strings.Contains(k, ":") {
			kind, u = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(rest)
			if !slices.Contains(webhookKinds, kind) {
				return nil, fmt.Errorf("--sandbox-webhook %q: the kind is events, decisions or verifime, not %q", v, k)
			}
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("--sandbox-webhook %q: want an http:// or https:// URL", v)
		}
		if _, dup := r[kind]; dup {
			what := "every kind"
			if kind != "" {
				what = kind
			}
			return nil, fmt.Errorf("--sandbox-webhook: two URLs for %s", what)
		}
		r[kind] = u
	}
	if len(r) == 0 {
		return nil, nil
	}
	return r, nil
}

// url is where a webhook for the simulator's path goes ("" for kycwatch
// itself).
func (r webhookRoutes) url(path string) string {
	kind := "verifime"
	switch {
	case strings.HasPrefix(path, "/veriff/events"):
		kind = "events"
	case strings.HasPrefix(path, "/veriff/decisions"):
		kind = "decisions"
	}
	if u, ok := r[kind]; ok {
		return u
	}
	return r[""]
}

// describe says where the routed kinds go, for headless stderr, with no
// scheme: the public URL stays the first https:// line there.
func (r webhookRoutes) describe() string {
	var parts []string
	for _, k := range append([]string{""}, webhookKinds...) {
		if u, ok := r[k]; ok {
			if k == "" {
				k = "all"
			}
			parts = append(parts, k+" → "+strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; webhooks " + strings.Join(parts, ", ")
}

// allAway reports whether no Veriff webhook of the sandbox comes to
// kycwatch itself.
func (r webhookRoutes) allAway() bool {
	return r.url("/veriff/events") != "" && r.url("/veriff/decisions") != ""
}

// byteSize is a flag like 10MiB, 512KiB, 1MB or a plain number of bytes.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }
func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	*b = byteSize(n)
	return err
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a size such as 10MiB or 65536")
	}
	return n * mult, nil
}

const usage = `kycwatch: receive, verify and watch identity-verification webhooks.

Usage:
  kycwatch [flags]              the terminal UI
  kycwatch --headless [flags]   no UI: one JSON line per delivery on stdout
  kycwatch send KIND [flags]    fire one signed webhook (kycwatch send --help)
  kycwatch check URL [flags]    run Veriff's webhook checklist on your endpoint
  kycwatch export [flags]       write stored deliveries: ndjson, har, or a curl script

kycwatch listens on a local address and, with an ngrok authtoken, on a
public HTTPS URL too. It stores every webhook delivery (raw bytes and
headers) in a SQLite database, verifies its HMAC signature and shows it in
a timeline per verification session. Paste its URLs into the Veriff
Customer Portal (one per webhook field):

  /veriff/events  /veriff/decisions  /veriff/statuses  /veriff/watchlist

The public URL (ngrok):
  Veriff sends webhooks only to public HTTPS URLs. kycwatch opens one with
  ngrok when it has an authtoken: sign up free at ngrok.com, copy the token
  from dashboard.ngrok.com/get-started/your-authtoken, then
    NGROK_AUTHTOKEN=... kycwatch
  (or --authtoken, or the token the ngrok CLI saved in its ngrok.yml).
  A free account gets a random URL that changes on each run, so the portal
  fields need pasting again; a reserved or free static domain (dashboard,
  Domains) keeps it: kycwatch --domain your-name.ngrok-free.app
  Without a token everything else works on the local address: curl,
  the simulator, replay; only Veriff itself cannot reach you.

Flags:
`

const envHelp = `
Environment:
  VERIFF_SHARED_SECRET     shared secret key (comma-separated for several), like --secret
  VERIFF_API_KEY           API key (X-AUTH-CLIENT), like --api-key
  VERIFF_API_URL           Veriff API base URL, like --api-url
  VERIFIME_WEBHOOK_SECRET  VerifiMe webhook secret, like --verifime-secret
  VERIFIME_ORG_CODE        VerifiMe organisation code, like --verifime-org
  VERIFIME_API_URL         VerifiMe API base URL, like --verifime-api-url
  KYCWATCH_DB              database path, like --db
  NGROK_AUTHTOKEN          ngrok authtoken, like --authtoken
  NO_COLOR                 no colours in the UI

Without a secret, signatures are shown as unchecked (·) and every JSON
delivery is accepted. With one, only deliveries signed with it get 200.

Test sessions (keys in the UI): n creates one. With VERIFF_API_KEY and
VERIFF_SHARED_SECRET set it is a real session in your Veriff integration
(POST /v1/sessions); without them, and with N always, the embedded
simulator plays it: started, submitted, then the decision you send with
a (approve) d (decline) r (resubmission) v (review) e (expired)
b (abandoned). x, w and m send a bad signature, a wrong API key and
invalid JSON. With no secret configured, the simulator makes one up and
kycwatch checks deliveries with it from the first simulated session on.

The sandbox: kycwatch also answers as Veriff's API under /sandbox/v1
(sessions, media, decision, attempts; Veriff's authentication and errors),
so a backend written for Veriff runs against it by changing its base URL.
Its session URLs open a page where the end-user starts and submits and
the person testing picks the outcome; webhooks go to --sandbox-webhook URL
(default: kycwatch itself), or per kind: --sandbox-webhook events=URL
--sandbox-webhook decisions=URL. The header shows its key and secret (c
copies).

VerifiMe (keys in the UI): i invites a customer, with VerifiMe's API when
VERIFIME_ORG_CODE is set, else with the simulator. kycwatch polls the
invite's tracking status (phase 1: Inactive, Active, Completed = data
entry done, not verified) and waits for the RISK_ASSESSMENT_UPDATED
webhook (phase 2). 1 2 3 4 0 send LOW, MEDIUM, HIGH, EXTREME and
NO RISK DETECTED for a simulated invite.

Headless output (stderr: the addresses; once the tunnel is up, the first
stderr line with https:// is the public URL. stdout: one object per
delivery, after it is stored):
  seq received_at method path status kind provider session_id attempt_id
  code state signature api_key duplicate_of reason (and more)
`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var secrets, vmSecrets, forwards, expects, sbHooks multi
	var answer, keep string
	maxBody := byteSize(listener.DefaultLimits.MaxBody)
	fs := flag.NewFlagSet("kycwatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "local `address` to listen on (a free port is taken if this one is busy)")
	fs.StringVar(&c.db, "db", "", "database `path` (default: the user data directory, e.g. ~/.local/share/kycwatch/kycwatch.db)")
	fs.StringVar(&c.logPath, "log", "", "log file `path` (default: kycwatch.log beside the database; headless logs to stderr)")
	fs.BoolVar(&c.headless, "headless", false, "no UI: print one JSON line per delivery on stdout, logs on stderr")
	fs.BoolVar(&c.noTunnel, "no-tunnel", false, "do not open a public tunnel (the local listener only)")
	fs.StringVar(&c.authtoken, "authtoken", "", "ngrok `token` for the public URL (default: $NGROK_AUTHTOKEN, then the ngrok CLI's ngrok.yml)")
	fs.StringVar(&c.domain, "domain", "", "reserved or static ngrok `domain` for a URL that stays the same (e.g. name.ngrok-free.app)")
	fs.DurationVar(&c.tunnelWait, "tunnel-timeout", 15*time.Second, "how long the tunnel may take to open before kycwatch says why not")
	fs.Var(&secrets, "secret", "Veriff shared secret `key` to verify X-HMAC-SIGNATURE with (repeat for several)")
	fs.StringVar(&c.keys.VeriffAPIKey, "api-key", "", "Veriff API `key` that X-AUTH-CLIENT must carry")
	fs.Var(&vmSecrets, "verifime-secret", "VerifiMe webhook `secret` for X-VerifiMe-Signature (repeat for several)")
	fs.Var(&maxBody, "max-body", "largest body `size` accepted (e.g. 10MiB); larger ones get 413")
	fs.IntVar(&c.history, "history", 5000, "how many stored deliveries the UI loads at start")
	fs.StringVar(&c.apiURL, "api-url", "", "Veriff API base `URL` from the integration's page (default $VERIFF_API_URL, else "+veriffapi.DefaultBaseURL+")")
	fs.DurationVar(&c.simStart, "sim-start-after", simulator.DefaultStartAfter, "simulator: how long after creation the end-user starts")
	fs.DurationVar(&c.simSubmit, "sim-submit-after", simulator.DefaultSubmitAfter, "simulator: how long after starting the end-user submits")
	fs.Var(&forwards, "forward-to", "send every delivery on to your app at this `URL` too (the delivery's path is appended; repeatable)")
	fs.StringVar(&answer, "answer", "kycwatch", "what the provider gets when forwarding: `kycwatch` (its verdict, at once) or app (your app's answer)")
	fs.DurationVar(&c.forwardTimeout, "forward-timeout", 10*time.Second, "how long your app may take to answer a forward")
	fs.Var(&expects, "expect", "headless: exit 0 once a delivery like `EXPR` is accepted (decision=approved, event=submitted, risk=LOW, session=ID; repeatable: all must arrive)")
	fs.DurationVar(&c.expectTimeout, "timeout", 5*time.Minute, "headless with --expect: exit 1 if the expected deliveries have not all arrived by then")
	fs.StringVar(&keep, "keep", "", "history to keep: an `age` (30d, 12h) or a number of deliveries (100000); older ones are deleted at start and hourly")
	fs.BoolVar(&c.maskPII, "mask-pii", false, "hide names, dates of birth, document numbers, addresses and IPs on screen (M toggles) and in headless lines")
	fs.StringVar(&c.sandboxKey, "sandbox-key", "", "API `key` the sandbox expects (default: VERIFF_API_KEY, else one kept in the database)")
	fs.StringVar(&c.sandboxSecret, "sandbox-secret", "", "shared `secret` of the sandbox (default: VERIFF_SHARED_SECRET, else one kept in the database)")
	fs.Var(&sbHooks, "sandbox-webhook", "`URL` the sandbox sends its webhooks to (default: kycwatch itself); KIND=URL for one kind: events, decisions or verifime (repeatable)")
	fs.DurationVar(&c.simAssess, "sim-assess-after", simulator.DefaultAssessAfter, "simulator: how long after a VerifiMe data entry its risk assessment comes")
	fs.StringVar(&c.vmOrg, "verifime-org", "", "VerifiMe organisation `code` for invites with VerifiMe's API (default $VERIFIME_ORG_CODE; none: the simulator)")
	fs.StringVar(&c.vmAPIURL, "verifime-api-url", "", "VerifiMe API base `URL` (default $VERIFIME_API_URL, else "+verifimeapi.DefaultBaseURL+")")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, envHelp)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	c.maxBody = int64(maxBody)
	c.forwardTo = forwards
	routes, err := parseWebhookRoutes(sbHooks)
	if err != nil {
		return c, err
	}
	c.sandboxWebhooks = routes
	for _, f := range c.forwardTo {
		if u, err := url.Parse(f); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("--forward-to %q: want an http:// or https:// URL", f)
		}
	}
	if keep != "" {
		r, err := parseKeep(keep)
		if err != nil {
			return c, err
		}
		c.keep = r
	}
	for _, x := range expects {
		e, err := sessions.ParseExpectation(x)
		if err != nil {
			return c, err
		}
		c.expect = append(c.expect, e)
	}
	if len(c.expect) > 0 && !c.headless {
		return c, fmt.Errorf("--expect is for --headless runs (CI)")
	}
	switch answer {
	case "kycwatch":
	case "app":
		if len(c.forwardTo) == 0 {
			return c, fmt.Errorf("--answer app needs --forward-to")
		}
		c.answerApp = true
	default:
		return c, fmt.Errorf("--answer is kycwatch or app, not %q", answer)
	}
	c.keys.VeriffSecrets = append(splitEnv("VERIFF_SHARED_SECRET"), secrets...)
	c.keys.VerifiMeSecrets = append(splitEnv("VERIFIME_WEBHOOK_SECRET"), vmSecrets...)
	if c.keys.VeriffAPIKey == "" {
		c.keys.VeriffAPIKey = strings.TrimSpace(os.Getenv("VERIFF_API_KEY"))
	}
	if c.apiURL == "" {
		c.apiURL = strings.TrimSpace(os.Getenv("VERIFF_API_URL"))
	}
	if c.apiURL == "" {
		c.apiURL = veriffapi.DefaultBaseURL
	}
	if c.vmOrg == "" {
		c.vmOrg = strings.TrimSpace(os.Getenv("VERIFIME_ORG_CODE"))
	}
	if c.vmAPIURL == "" {
		c.vmAPIURL = strings.TrimSpace(os.Getenv("VERIFIME_API_URL"))
	}
	if c.vmAPIURL == "" {
		c.vmAPIURL = verifimeapi.DefaultBaseURL
	}
	if c.simStart < 0 || c.simSubmit < 0 || c.simAssess < 0 {
		return c, fmt.Errorf("simulator delays must not be negative")
	}
	if c.tunnelWait <= 0 {
		return c, fmt.Errorf("--tunnel-timeout must be positive")
	}
	c.authtoken = strings.TrimSpace(c.authtoken)
	c.tokenFrom = "--authtoken"
	if c.authtoken == "" {
		c.authtoken, c.tokenFrom = strings.TrimSpace(os.Getenv("NGROK_AUTHTOKEN")), "NGROK_AUTHTOKEN"
	}
	if c.authtoken == "" {
		c.authtoken, c.tokenFrom = ngrokConfigToken()
	}
	if c.db == "" {
		c.db = os.Getenv("KYCWATCH_DB")
	}
	if c.db == "" {
		p, err := sessions.DefaultPath()
		if err != nil {
			return c, fmt.Errorf("no database path: %w (use --db)", err)
		}
		c.db = p
	}
	if c.logPath == "" {
		c.logPath = filepath.Join(filepath.Dir(c.db), "kycwatch.log")
	}
	return c, nil
}

func splitEnv(name string) []string {
	var out []string
	for _, s := range strings.Split(os.Getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "send":
			os.Exit(send(os.Args[2:], os.Stdout, os.Stderr))
		case "check":
			os.Exit(check(os.Args[2:], os.Stdout, os.Stderr))
		case "export":
			os.Exit(exportCmd(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kycwatch:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, deps{stdout: os.Stdout, stderr: os.Stderr, tunnel: ngrokTunnel}); errors.Is(err, errExpectTimeout) {
		os.Exit(1)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "kycwatch:", err)
		os.Exit(1)
	}
}

// deps is where run writes and how it opens the tunnel (tests swap both).
type deps struct {
	stdout, stderr io.Writer
	tunnel         func(c config, log *slog.Logger) listener.Tunnel
}

func ngrokTunnel(c config, log *slog.Logger) listener.Tunnel {
	return listener.Ngrok{Authtoken: c.authtoken, Domain: c.domain, Logger: log, Version: version}
}

// version is what kycwatch tells ngrok it is.
const version = "0.3.0"

func run(ctx context.Context, c config, o deps) error {
	store, err := sessions.Open(c.db)
	if err != nil {
		return err
	}
	defer store.Close()

	// The log file takes the library logs (ngrok's) in both modes, and
	// everything in the TUI: nothing may write to the terminal it owns.
	f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	fileLog := slog.New(slog.NewTextHandler(f, nil))
	logger := fileLog
	if c.headless {
		logger = slog.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	slog.SetDefault(logger)

	// Retention: what --keep does not keep goes now, then hourly.
	if c.keep != (sessions.Retention{}) {
		prune := func() {
			n, err := store.Prune(ctx, c.keep, time.Now())
			if err != nil {
				logger.Error("prune", "err", err)
			} else if n > 0 {
				logger.Info("pruned old deliveries", "count", n)
			}
		}
		prune()
		go func() {
			t := time.NewTicker(time.Hour)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					prune()
				}
			}
		}()
	}

	ln, note, err := listener.Listen(c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	limits := listener.DefaultLimits
	limits.MaxBody = c.maxBody
	rc := sessions.NewReceiver(store, c.keys)
	srv := listener.New(rc, limits, logger)

	// Where kycwatch can be reached: the public URL while the tunnel is up,
	// else the local one. The simulators deliver there.
	var public atomic.Value
	public.Store("")
	publicURL := func() string { return public.Load().(string) }
	local := listener.URL(ln)
	target := func() string {
		if u := publicURL(); u != "" {
			return u
		}
		return local
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sb, err := startSandbox(ctx, c, store, rc, target, fileLog)
	if err != nil {
		return err
	}
	srv.Mount("/sandbox/", sandbox.Handler(sb.config))
	defer sb.sim.Wait()
	var fwd *listener.Forwarder
	if len(c.forwardTo) > 0 {
		fwd = listener.NewForwarder(ctx, c.forwardTo, c.forwardTimeout, store, fileLog.With("component", "forward"))
		srv.Forward(fwd, c.answerApp)
		defer fwd.Wait()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	published := make(chan struct{})
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-published
	}()

	// The tunnel starts in the background: the UI is up at once. Changes
	// come from ngrok's goroutines, which must not block: a buffered
	// channel, read by the UI or by the headless printer.
	first := initialTunnel(c)
	changes := make(chan listener.TunnelStatus, 64)
	go func() {
		defer close(published)
		defer close(changes)
		if first.State != listener.TunnelConnecting {
			return
		}
		srv.Publish(ctx, o.tunnel(c, fileLog.With("component", "ngrok")), c.tunnelWait, func(st listener.TunnelStatus) {
			if st.State == listener.TunnelOnline {
				public.Store(st.URL)
			} else if st.State == listener.TunnelFailed {
				public.Store("")
			}
			select {
			case changes <- st:
			default:
				slog.Warn("tunnel status dropped", "state", st.State)
			}
		})
	}()

	if c.headless {
		return headless(ctx, c, ln, note, rc, serveErr, first, changes, sb, o)
	}
	return tui(ctx, c, ln, note, rc, store, first, changes, publicURL, target, sb, fwd, fileLog)
}

// sandboxParts is the sandbox as the rest of the wiring needs it.
type sandboxParts struct {
	sim         *simulator.Simulator
	config      sandbox.Config
	key, secret string
	// created tells the UI of a session made through the API (set once the
	// program exists).
	created atomic.Pointer[func(sessions.TestSession)]
}

// maxSandboxSessions bounds how many kept sandbox sessions a start brings
// back (the newest).
const maxSandboxSessions = 10000

// startSandbox builds the sandbox: its keys (--sandbox-key/--sandbox-secret,
// else the configured Veriff ones, so a backend's .env works unchanged,
// else ones generated once and kept in the database) and its simulator,
// which sends webhooks to --sandbox-webhook or to kycwatch itself.
func startSandbox(ctx context.Context, c config, store *sessions.Store, rc *sessions.Receiver, target func() string, log *slog.Logger) (*sandboxParts, error) {
	sb := &sandboxParts{key: c.sandboxKey, secret: c.sandboxSecret}
	if sb.key == "" {
		sb.key = c.keys.VeriffAPIKey
	}
	if sb.secret == "" && len(c.keys.VeriffSecrets) > 0 {
		sb.secret = c.keys.VeriffSecrets[0]
	}
	for _, k := range []struct {
		v    *string
		name string
		make func() string
	}{{&sb.key, "sandbox_api_key", simulator.NewUUID}, {&sb.secret, "sandbox_secret", simulator.NewSecret}} {
		if *k.v != "" {
			continue
		}
		if *k.v = store.Setting(ctx, k.name); *k.v == "" {
			*k.v = k.make()
			if err := store.SetSetting(ctx, k.name, *k.v); err != nil {
				return nil, fmt.Errorf("keep the sandbox's keys: %w", err)
			}
		}
	}
	// A kycwatch that checks signatures must know the sandbox's secret too,
	// or its own sandbox's webhooks would show as forged.
	if keys := rc.Keys(); len(keys.VeriffSecrets) > 0 && !slices.Contains(keys.VeriffSecrets, sb.secret) && !c.sandboxWebhooks.allAway() {
		keys.VeriffSecrets = append(keys.VeriffSecrets, sb.secret)
		rc.SetKeys(keys)
	}
	vmSecret := sb.secret
	if len(c.keys.VerifiMeSecrets) > 0 {
		vmSecret = c.keys.VerifiMeSecrets[0]
	}
	cfg := simulator.Config{Secret: sb.secret, APIKey: sb.key, Manual: true, Target: target, VerifiMeSecret: vmSecret, AssessAfter: c.simAssess,
		SessionURL: func(id string) string { return strings.TrimRight(target(), "/") + sandbox.FlowPrefix + id },
		Log:        log.With("component", "sandbox"),
		Failed:     func(err error) { log.Warn("sandbox webhook", "err", err) }}
	if len(c.sandboxWebhooks) > 0 {
		cfg.Webhook = func(path string) string {
			if u := c.sandboxWebhooks.url(path); u != "" {
				return u
			}
			return strings.TrimRight(target(), "/") + path
		}
	}
	// The sandbox's sessions outlive a restart: a backend that created one
	// yesterday can still read its decision, and its end-user page works.
	keepCtx := context.WithoutCancel(ctx)
	cfg.Keep = func(snap simulator.Snapshot) {
		b, err := json.Marshal(snap)
		if err == nil {
			err = store.KeepSandboxState(keepCtx, snap.ID, time.Now(), b)
		}
		if err != nil {
			log.Error("keep sandbox session", "session", snap.ID, "err", err)
		}
	}
	sb.sim = simulator.New(ctx, cfg)
	states, err := store.SandboxStates(ctx, maxSandboxSessions)
	if err != nil {
		return nil, fmt.Errorf("read the sandbox's sessions: %w", err)
	}
	snaps := make([]simulator.Snapshot, 0, len(states))
	for _, b := range states {
		var snap simulator.Snapshot
		if err := json.Unmarshal(b, &snap); err != nil {
			log.Warn("a kept sandbox session is unreadable", "err", err)
			continue
		}
		snaps = append(snaps, snap)
	}
	sb.sim.Restore(snaps)
	sb.config = sandbox.Config{Sim: sb.sim, APIKey: sb.key, Secret: sb.secret, MaxBody: c.maxBody,
		Record: func(ctx context.Context, r sessions.Record) {
			if _, err := rc.Keep(ctx, r); err != nil {
				log.Error("store sandbox call", "err", err)
			}
		},
		Created: func(ctx context.Context, t sessions.TestSession) {
			if err := store.AddTestSession(ctx, t); err != nil {
				log.Error("store sandbox session", "err", err)
			}
			if f := sb.created.Load(); f != nil {
				(*f)(t)
			}
		}}
	return sb, nil
}

// initialTunnel is the tunnel's state before anything is tried.
func initialTunnel(c config) listener.TunnelStatus {
	switch {
	case c.noTunnel:
		return listener.TunnelStatus{State: listener.TunnelOff}
	case c.authtoken == "":
		return listener.NoTokenStatus
	}
	return listener.TunnelStatus{State: listener.TunnelConnecting}
}

// lockedWriter serialises lines from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func headless(ctx context.Context, c config, ln net.Listener, note string, rc *sessions.Receiver, serveErr chan error,
	first listener.TunnelStatus, changes <-chan listener.TunnelStatus, sb *sandboxParts, o deps) error {
	errw := &lockedWriter{w: o.stderr}
	say := func(format string, args ...any) { fmt.Fprintf(errw, "kycwatch: "+format+"\n", args...) }
	out := bufio.NewWriter(o.stdout)
	// --expect: each expectation is met once; when all are, the run is done.
	met := make(chan struct{})
	pending := slices.Clone(c.expect)
	var expectMu sync.Mutex
	rc.Subscribe(func(r sessions.Record) {
		line := r
		if c.maskPII {
			line.Delivery.Note = decode.MaskText(line.Delivery.Note) // decode's summary names the person
		}
		out.Write(line.MarshalLine())
		out.Flush() // one line per delivery, as it is stored
		if len(c.expect) == 0 {
			return
		}
		expectMu.Lock()
		defer expectMu.Unlock()
		for i, e := range pending {
			if e.Match(r) {
				say("expected %s: arrived (#%d)", e.Text, r.Seq)
				pending = slices.Delete(pending, i, i+1)
				if len(pending) == 0 {
					close(met)
				}
				break
			}
		}
	})
	var deadline <-chan time.Time
	if len(c.expect) > 0 {
		deadline = time.After(c.expectTimeout)
	}
	if note != "" {
		say("%s", note)
	}
	local := listener.URL(ln)
	say("listening on %s", local)
	for _, p := range listener.Paths {
		say("  %-48s %s", local+p.Path, p.Field)
	}
	say("%s; database %s", secretsLine(c.keys), c.db)
	say("sandbox API %s%s (API key %s, secret %s)%s", local, sandbox.APIPrefix, sb.key, ui.Mask(sb.secret), c.sandboxWebhooks.describe())

	// Only the public URL line and what follows it may carry https://.
	report := func(st listener.TunnelStatus) {
		switch st.State {
		case listener.TunnelConnecting:
			say("tunnel: connecting to ngrok (token from %s; up to %s)…", c.tokenFrom, c.tunnelWait)
		case listener.TunnelOnline:
			say("public URL %s", st.URL)
			for i, u := range listener.PublicURLs(st.URL) {
				say("  %-48s %s", u, listener.Paths[i].Field)
			}
		case listener.TunnelReconnecting:
			say("tunnel: %s (%s)", st.Reason, st.Hint)
		case listener.TunnelFailed:
			say("%s (%s)", st.Reason, st.Hint)
		}
	}
	switch first.State {
	case listener.TunnelOff:
		say("no tunnel (--no-tunnel): reachable from this machine only")
	case listener.TunnelFailed:
		report(first)
	}
	go func() {
		for st := range changes {
			report(st)
		}
	}()
	select {
	case <-ctx.Done():
		say("stopping")
		return nil
	case err := <-serveErr:
		return err
	case <-met:
		say("every expectation met")
		return nil
	case <-deadline:
		expectMu.Lock()
		var left []string
		for _, e := range pending {
			left = append(left, e.Text)
		}
		expectMu.Unlock()
		say("timed out after %s waiting for: %s", c.expectTimeout, strings.Join(left, ", "))
		return errExpectTimeout
	}
}

// errExpectTimeout ends a headless run whose --expect did not come true.
var errExpectTimeout = errors.New("expectations not met")

func secretsLine(k decode.Keys) string {
	var parts []string
	switch n := len(k.VeriffSecrets); n {
	case 0:
		parts = append(parts, "no Veriff secret: signatures unchecked")
	case 1:
		parts = append(parts, "1 Veriff secret")
	default:
		parts = append(parts, fmt.Sprintf("%d Veriff secrets", n))
	}
	if k.VeriffAPIKey != "" {
		parts = append(parts, "API key "+ui.Mask(k.VeriffAPIKey))
	}
	if len(k.VerifiMeSecrets) > 0 {
		parts = append(parts, "VerifiMe secret set")
	}
	return strings.Join(parts, ", ")
}

func tui(ctx context.Context, c config, ln net.Listener, note string, rc *sessions.Receiver, store *sessions.Store,
	first listener.TunnelStatus, changes <-chan listener.TunnelStatus, publicURL, target func() string, sb *sandboxParts,
	fwd *listener.Forwarder, log *slog.Logger) error {
	history, total, err := store.Recent(ctx, c.history)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	info := ui.Info{
		LocalURL: listener.URL(ln), DBPath: store.Path(), Tunnel: tunnelMsg(first),
		Secrets: len(c.keys.VeriffSecrets), VerifiMe: len(c.keys.VerifiMeSecrets),
	}
	for _, p := range listener.Paths {
		info.Fields = append(info.Fields, ui.Field{Name: p.Field, Short: path.Base(p.Path), Path: p.Path})
	}
	info.Fields = append(info.Fields,
		ui.Field{Name: "Sandbox API base URL (for your backend)", Short: "sandbox", Path: sandbox.APIPrefix},
		ui.Field{Name: "Sandbox API key (X-AUTH-CLIENT)", Short: "sandbox key", Value: sb.key},
		ui.Field{Name: "Sandbox shared secret", Short: "sandbox secret", Value: sb.secret, Secret: true})
	for _, k := range append([]string{""}, webhookKinds...) {
		if u, ok := c.sandboxWebhooks[k]; ok {
			name := map[string]string{"": "Sandbox webhooks go to", "events": "Sandbox event webhooks go to",
				"decisions": "Sandbox decision webhooks go to", "verifime": "Sandbox VerifiMe webhooks go to"}[k]
			short := strings.TrimSpace("sandbox → " + k)
			info.Fields = append(info.Fields, ui.Field{Name: name, Short: short, Value: u})
		}
	}
	if c.keys.VeriffAPIKey != "" {
		info.APIKey = ui.Mask(c.keys.VeriffAPIKey)
	}
	if note != "" {
		info.Notes = append(info.Notes, note)
	}
	if total > len(history) {
		info.Notes = append(info.Notes, fmt.Sprintf("%d stored deliveries: the newest %d loaded; older ones load as you scroll past the last session", total, len(history)))
	}
	// Test sessions: the simulator delivers to target, the public URL when
	// the tunnel is up (a demo then proves the tunnel too), else locally.
	var prog atomic.Pointer[tea.Program] // set once the program exists
	simSecret, simKey, generated := lab.Keys(c.keys, sb.secret, sb.key)
	vmSecret := simulator.NewSecret()
	if len(c.keys.VerifiMeSecrets) > 0 {
		vmSecret = c.keys.VerifiMeSecrets[0]
	}
	simCtx, stopSim := context.WithCancel(ctx)
	sim := simulator.New(simCtx, simulator.Config{Secret: simSecret, APIKey: simKey, Target: target,
		StartAfter: c.simStart, SubmitAfter: c.simSubmit, Log: log.With("component", "simulator"),
		VerifiMeSecret: vmSecret, AssessAfter: c.simAssess,
		Failed: func(err error) {
			log.Warn("simulator", "err", err)
			if p := prog.Load(); p != nil {
				go p.Send(ui.ProblemMsg(err.Error()))
			}
		}})
	l := &lab.Lab{Store: store, Receiver: rc, Sim: sim, Sandbox: sb.sim, SimSecret: simSecret, SimAPIKey: simKey, Generated: generated,
		Public: publicURL, Now: time.Now, OrgCode: c.vmOrg, SimVerifiMeSecret: vmSecret, Context: simCtx,
		PollEvery: 700 * time.Millisecond, // the simulator's statuses move every 2 s
		OnTracking: func(st sessions.TrackingStep) {
			if p := prog.Load(); p != nil {
				go p.Send(ui.TrackingMsg(st))
			}
		},
		Failed: func(err error) {
			log.Warn("lab", "err", err)
			if p := prog.Load(); p != nil {
				go p.Send(ui.ProblemMsg(err.Error()))
			}
		}}
	defer func() { stopSim(); sim.Wait(); l.Wait() }()
	if c.vmOrg != "" {
		l.VerifiMe, l.PollEvery = verifimeapi.NewClient(c.vmAPIURL), 0 // the default pace for a real API
	}
	if c.keys.VeriffAPIKey != "" && len(c.keys.VeriffSecrets) > 0 {
		l.API = veriffapi.NewClient(c.apiURL, c.keys.VeriffAPIKey, c.keys.VeriffSecrets[0])
	}
	tests, err := store.TestSessions(ctx, c.history)
	if err != nil {
		return fmt.Errorf("read test sessions: %w", err)
	}
	ids := make([]string, 0, len(tests))
	for _, t := range tests {
		ids = append(ids, t.ID)
	}
	tracking, err := store.Tracking(ctx, ids)
	if err != nil {
		return fmt.Errorf("read tracking: %w", err)
	}
	l.Resume(tests, tracking)
	model := ui.New(info, history, store.Get).WithLab(l, tests, tracking).WithPaging(store.Before, total).WithSearch(store.Search)
	if fwd != nil {
		seqs := make([]int64, len(history))
		for i, r := range history {
			seqs[i] = r.Seq
		}
		done, err := store.Forwards(ctx, seqs...)
		if err != nil {
			return fmt.Errorf("read forwards: %w", err)
		}
		model = model.WithForwards(c.forwardTo, done)
		fwd.Done = func(f sessions.Forward) {
			if p := prog.Load(); p != nil {
				go p.Send(ui.ForwardMsg(f))
			}
		}
	}
	model = model.WithReplayer(&listener.Replayer{Store: store, Forward: fwd, LocalURL: listener.URL(ln), Keys: rc.Keys}).
		WithExporter(fileExporter{store: store}).WithMaskPII(c.maskPII).
		WithClearer(func(ctx context.Context) (int64, error) {
			n, err := store.Clear(ctx)
			if err == nil {
				sb.sim.Forget() // the sandbox's sessions go with their kept states
			}
			return n, err
		})
	p := tea.NewProgram(model, tea.WithContext(ctx))
	prog.Store(p)
	notify := func(t sessions.TestSession) { go p.Send(ui.TestSessionMsg(t)) }
	sb.created.Store(&notify)

	// Deliveries reach the program through a queue, so a busy screen never
	// holds up the answer a provider is waiting for.
	queue := make(chan sessions.Record, 4096)
	rc.Subscribe(func(r sessions.Record) {
		select {
		case queue <- r:
		default:
			slog.Warn("UI queue full; delivery stored but not shown live", "seq", r.Seq)
		}
	})
	go func() {
		for r := range queue {
			p.Send(ui.DeliveryMsg{Record: r})
		}
	}()
	go func() {
		for st := range changes {
			p.Send(tunnelMsg(st))
		}
	}()
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

func tunnelMsg(st listener.TunnelStatus) ui.TunnelMsg {
	return ui.TunnelMsg{State: string(st.State), URL: st.URL, Reason: st.Reason, Hint: st.Hint}
}

// ngrokConfigToken reads the authtoken the ngrok CLI saved (ngrok config
// add-authtoken), so that a machine set up for ngrok needs nothing more.
func ngrokConfigToken() (token, from string) {
	var paths []string
	if dir, err := os.UserConfigDir(); err == nil {
		paths = append(paths, filepath.Join(dir, "ngrok", "ngrok.yml"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, ".ngrok2", "ngrok.yml"))
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if t := yamlToken(string(b)); t != "" {
			return t, p
		}
	}
	return "", ""
}

// yamlToken finds "authtoken: X" in an ngrok.yml (version 2 has it at the
// top, version 3 under "agent:"); quotes are dropped.
func yamlToken(doc string) string {
	for _, line := range strings.Split(doc, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.TrimSpace(k) != "authtoken" {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		return strings.Trim(v, `"'`)
	}
	return ""
}

// fileExporter writes a session's deliveries, as HAR and as a curl
// script, into the current directory (X in the UI).
type fileExporter struct{ store *sessions.Store }

func (e fileExporter) ExportSession(ctx context.Context, id string, mask bool) ([]string, error) {
	if id == "" {
		return nil, errors.New("the unsorted group is not a session: use kycwatch export for everything")
	}
	short := id
	if len(short) > 8 {
		short = short[:8]
	}
	base := fmt.Sprintf("kycwatch-%s-%s", safeName(short), time.Now().Format("20060102-150405"))
	var paths []string
	for _, f := range []struct{ format, ext string }{{"har", ".har"}, {"curl", ".sh"}} {
		path := base + f.ext
		file, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return paths, err
		}
		w, _ := export.New(f.format, file, mask)
		err = e.store.Each(ctx, sessions.Filter{SessionID: id}, w.Add)
		if err == nil {
			err = w.Close()
		}
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// safeName keeps a session id fit for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// parseKeep reads --keep: 30d, 12h, or a count of deliveries.
func parseKeep(s string) (sessions.Retention, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return sessions.Retention{MaxCount: n}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return sessions.Retention{MaxAge: time.Duration(n) * 24 * time.Hour}, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return sessions.Retention{MaxAge: d}, nil
	}
	return sessions.Retention{}, fmt.Errorf("--keep %q: want an age (30d, 12h) or a number of deliveries (100000)", s)
}
