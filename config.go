package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/simulator"
	"github.com/kycwatch/kycwatch/sessions/veriffapi"
	"github.com/kycwatch/kycwatch/sessions/verifimeapi"
	"github.com/kycwatch/kycwatch/team"
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
	exportDir                 string // where X writes (absolute)

	// Team mode (team/): --share runs an embedded NATS server, --nats
	// publishes to an existing one; kycwatch follow reads the stream.
	share        bool
	natsListen   string
	natsURLs     []string
	natsCreds    string
	natsReplicas int
	name         string   // the instance's name (origin), or the follower's durable name
	follow       []string // kycwatch follow URL[,URL…]
	since        string   // kycwatch follow --since
	followTemp   bool     // a follower without --name or --db: a database of its own run
}

// simImmediately is what --sim-*-after 0 becomes: the simulator's
// shortest wait, as its zero means its default delay.
const simImmediately = time.Nanosecond

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string { return strings.Join(*m, ",") }

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
		if !httpURL(u) {
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

// httpURL reports whether s is an absolute http:// or https:// URL, as
// --forward-to, --sandbox-webhook and check need.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
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

func (b *byteSize) String() string {
	n := int64(*b)
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// printFlags lists a command's flags as flag.PrintDefaults does, with each
// description wrapped to fit 80 columns.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, use := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if name != "" {
			line += " " + name
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" {
			use += " (default " + def + ")"
		}
		fmt.Fprintln(w, line)
		var cur string
		for _, word := range strings.Fields(use) {
			if cur != "" && len(cur)+1+len(word) > 74 {
				fmt.Fprintln(w, "      "+cur)
				cur = ""
			}
			if cur != "" {
				cur += " "
			}
			cur += word
		}
		if cur != "" {
			fmt.Fprintln(w, "      "+cur)
		}
	})
}

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
  kycwatch export [flags]       write stored deliveries (ndjson, har, curl)
  kycwatch sandbox keys         print the sandbox's API key and secret whole
  kycwatch follow URL [flags]   watch a team's deliveries (NATS; see --share)

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
  VERIFF_SHARED_SECRET     shared secret (several: comma-separated), --secret
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
stored request (deliveries, callbacks, sandbox API calls of any method),
after it is stored):
  seq received_at method path status kind provider session_id attempt_id
  code state signature api_key duplicate_of reason (and more)
`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	follow := len(args) > 0 && args[0] == "follow"
	if follow {
		switch {
		case len(args) > 1 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help"):
			args = args[1:] // the flag set prints the follow usage
		case len(args) < 2 || strings.HasPrefix(args[1], "-"):
			return c, fmt.Errorf("follow: want the URL to follow: kycwatch follow nats://TOKEN@HOST:PORT (the line a sharing kycwatch prints)")
		default:
			for _, u := range strings.Split(args[1], ",") {
				c.follow = append(c.follow, strings.TrimSpace(u))
			}
			args = args[2:]
		}
	}
	var secrets, vmSecrets, forwards, expects, sbHooks multi
	var answer, keep string
	maxBody := byteSize(listener.DefaultLimits.MaxBody)
	fs := flag.NewFlagSet("kycwatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "local `address` to listen on (a free port is taken if this one is busy)")
	fs.StringVar(&c.db, "db", "", "database `path` (default: the user data directory, e.g. ~/.local/share/kycwatch/kycwatch.db)")
	fs.StringVar(&c.exportDir, "export-dir", "", "`folder` X writes a session's HAR and curl script to (default: the database's folder)")
	fs.StringVar(&c.logPath, "log", "", "log file `path` (default: kycwatch.log beside the database; headless also says warnings on stderr, one line each)")
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
	fs.Var(&expects, "expect", "headless: exit 0 once a delivery like `EXPR` is accepted (decision=approved, event=submitted, risk=LOW, kind=watchlist, session=ID; repeatable: all must arrive; a value no delivery can carry is refused)")
	fs.DurationVar(&c.expectTimeout, "timeout", 5*time.Minute, "headless with --expect: exit 1 if the expected deliveries have not all arrived by then (or the run is stopped first)")
	fs.StringVar(&keep, "keep", "", "history to keep: an `age` (30d, 12h) or a number of deliveries (100000); older ones are deleted at start and hourly")
	fs.BoolVar(&c.maskPII, "mask-pii", false, "hide names, dates of birth, document numbers, addresses and IPs on screen (M toggles) and in headless lines")
	fs.StringVar(&c.sandboxKey, "sandbox-key", "", "API `key` the sandbox expects (default: VERIFF_API_KEY, else one kept in the database)")
	fs.StringVar(&c.sandboxSecret, "sandbox-secret", "", "shared `secret` of the sandbox (default: VERIFF_SHARED_SECRET, else one kept in the database)")
	fs.Var(&sbHooks, "sandbox-webhook", "`URL` the sandbox sends its webhooks to (default: kycwatch itself); KIND=URL for one kind: events, decisions or verifime (repeatable)")
	fs.DurationVar(&c.simAssess, "sim-assess-after", simulator.DefaultAssessAfter, "simulator: how long after a VerifiMe data entry its risk assessment comes")
	fs.StringVar(&c.vmOrg, "verifime-org", "", "VerifiMe organisation `code` for invites with VerifiMe's API (default $VERIFIME_ORG_CODE; none: the simulator)")
	fs.StringVar(&c.vmAPIURL, "verifime-api-url", "", "VerifiMe API base `URL` (default $VERIFIME_API_URL, else "+verifimeapi.DefaultBaseURL+")")
	var natsURLs string
	fs.BoolVar(&c.share, "share", false, "team mode: run an embedded NATS server with JetStream and publish every delivery to it; teammates run the join line it prints (kycwatch follow nats://TOKEN@HOST:PORT)")
	fs.StringVar(&c.natsListen, "nats-listen", "127.0.0.1:4222", "with --share: the `address` the NATS server listens on (another interface only when given here)")
	fs.StringVar(&natsURLs, "nats", "", "team mode: publish every delivery to an existing NATS JetStream at `URL[,URL…]` (nats://TOKEN@host:4222, tls://…)")
	fs.StringVar(&c.natsCreds, "nats-creds", "", "NATS credentials `file` for --nats or kycwatch follow")
	fs.IntVar(&c.natsReplicas, "nats-replicas", 1, "with --nats: the stream's replicas when kycwatch creates it (a cluster: 3)")
	fs.StringVar(&c.name, "name", "", "team mode: this instance's `name`, the origin of its deliveries (default host:port); with follow, the durable consumer's name")
	if follow {
		fs.StringVar(&c.since, "since", "", "follow without --name: start `at` a time back from now (1h) or a stream sequence (1234) instead of the start")
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		printFlags(stderr, fs)
		fmt.Fprint(stderr, envHelp)
	}
	help := "kycwatch --help"
	if follow {
		help = "kycwatch follow --help"
		fs.Usage = func() { fmt.Fprint(stderr, followUsage); printFlags(stderr, fs) }
	}
	if err := parseQuietly(fs, args, help); err != nil {
		return c, err
	}
	if err := teamFlags(fs, &c, natsURLs); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		if near := nearestCommand(fs.Arg(0)); near != "" {
			return c, fmt.Errorf("unknown command %q (did you mean kycwatch %s?); kycwatch --help lists the commands", fs.Arg(0), near)
		}
		return c, fmt.Errorf("unexpected argument %q; kycwatch --help lists the commands and flags", fs.Arg(0))
	}
	if err := refuseEmpty(fs, map[string]string{"secret": "VERIFF_SHARED_SECRET", "api-key": "VERIFF_API_KEY", "db": "KYCWATCH_DB", "export-dir": "", "log": "",
		"verifime-secret": "VERIFIME_WEBHOOK_SECRET", "authtoken": "NGROK_AUTHTOKEN", "sandbox-key": "", "sandbox-secret": "",
		"verifime-org": "VERIFIME_ORG_CODE", "api-url": "VERIFF_API_URL", "verifime-api-url": "VERIFIME_API_URL", "domain": ""}); err != nil {
		return c, err
	}
	if err := refuseEmptyEnvs("VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "VERIFIME_WEBHOOK_SECRET", "NGROK_AUTHTOKEN", "VERIFIME_ORG_CODE", "VERIFF_API_URL", "VERIFIME_API_URL", "KYCWATCH_DB"); err != nil {
		return c, err
	}
	if err := checkAddr(c.addr); err != nil {
		return c, err
	}
	if c.history < 1 {
		return c, fmt.Errorf("--history %d: want a number of deliveries, at least 1", c.history)
	}
	if c.forwardTimeout <= 0 {
		return c, fmt.Errorf("--forward-timeout must be positive (e.g. 10s)")
	}
	if c.expectTimeout <= 0 {
		return c, fmt.Errorf("--timeout must be positive (e.g. 5m)")
	}
	c.maxBody = int64(maxBody)
	c.forwardTo = forwards
	routes, err := parseWebhookRoutes(sbHooks)
	if err != nil {
		return c, err
	}
	c.sandboxWebhooks = routes
	for _, f := range c.forwardTo {
		if !httpURL(f) {
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
	// Veriff's API keys are UUIDs: the sandbox answers any other with 1802,
	// so it does not take an API key that is not one as its own (sandboxKeys);
	// the webhook check compares X-AUTH-CLIENT with it as given.
	if k := c.sandboxKey; k != "" && !sessions.IsUUID(k) {
		return c, fmt.Errorf("--sandbox-key is not a UUID, as Veriff's API keys are (the sandbox would refuse it with 1802): give one such as %s", sessions.NewUUID())
	}
	if c.apiURL == "" {
		c.apiURL = strings.TrimSpace(os.Getenv("VERIFF_API_URL"))
	}
	if c.apiURL == "" {
		c.apiURL = veriffapi.DefaultBaseURL
	} else if err := checkBaseURL(fs, "api-url", "VERIFF_API_URL", c.apiURL); err != nil {
		return c, err
	}
	if c.vmOrg == "" {
		c.vmOrg = strings.TrimSpace(os.Getenv("VERIFIME_ORG_CODE"))
	}
	if c.vmAPIURL == "" {
		c.vmAPIURL = strings.TrimSpace(os.Getenv("VERIFIME_API_URL"))
	}
	if c.vmAPIURL == "" {
		c.vmAPIURL = verifimeapi.DefaultBaseURL
	} else if err := checkBaseURL(fs, "verifime-api-url", "VERIFIME_API_URL", c.vmAPIURL); err != nil {
		return c, err
	}
	for _, d := range []struct {
		v    *time.Duration
		name string
	}{{&c.simStart, "sim-start-after"}, {&c.simSubmit, "sim-submit-after"}, {&c.simAssess, "sim-assess-after"}} {
		switch {
		case *d.v < 0:
			return c, fmt.Errorf("--%s %s: want a duration of 0 (at once) or more", d.name, *d.v)
		case *d.v == 0:
			// Given as 0 (left out, the flag holds the default): at once.
			// The simulator reads 0 as "its default", so it gets its
			// shortest wait instead.
			*d.v = simImmediately
		}
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
	if c.db == "" && !follow {
		c.db = os.Getenv("KYCWATCH_DB")
	}
	if c.db == "" && follow && c.name == "" {
		c.followTemp = true // placed by run, removed after
		return c, nil
	}
	if c.db == "" {
		p, err := sessions.DefaultPath()
		if follow { // one database per durable follower, beside the default one
			p = filepath.Join(filepath.Dir(p), "follow-"+team.Token(c.name)+".db")
		}
		if err != nil {
			return c, fmt.Errorf("no database path: %w (use --db)", err)
		}
		c.db = p
	}
	if c.logPath == "" {
		c.logPath = filepath.Join(filepath.Dir(c.db), "kycwatch.log")
	}
	// Exports hold personal data: never the working tree unless asked.
	if c.exportDir == "" {
		c.exportDir = filepath.Dir(c.db)
	}
	if abs, err := filepath.Abs(c.exportDir); err == nil {
		c.exportDir = abs
	}
	// X creates a missing folder; a file there would fail only then.
	if fi, err := os.Stat(c.exportDir); err == nil && !fi.IsDir() {
		return c, fmt.Errorf("--export-dir %s: not a folder (X writes its files into one)", c.exportDir)
	}
	return c, nil
}

// parseQuietly parses args and, on a mistake, returns one line naming it
// (with the nearest flag when one is close) instead of printing the whole
// usage; --help still prints it.
func parseQuietly(fs *flag.FlagSet, args []string, help string) error {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	return fmt.Errorf("%s; %s lists the flags", flagMistake(fs, err.Error()), help)
}

// flagMistake says a parse error of package flag in kycwatch's words:
// the flag with two dashes, and what a right value looks like.
func flagMistake(fs *flag.FlagSet, msg string) string {
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = "unknown flag --" + name
		if near := nearestFlag(fs, name); near != "" {
			msg += " (did you mean --" + near + "?)"
		}
		return msg
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "--" + name + " needs a value"
	}
	// invalid value "V" for flag -NAME: WHY; invalid boolean value "V" for -NAME: WHY
	rest, ok := strings.CutPrefix(msg, "invalid value ")
	if !ok {
		rest, ok = strings.CutPrefix(msg, "invalid boolean value ")
	}
	if !ok {
		return msg
	}
	i := strings.LastIndex(rest, " for ")
	if i < 0 {
		return msg
	}
	val := rest[:i]
	name, why, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(rest[i+len(" for "):], "flag "), "-"), ": ")
	if why == "parse error" || why == "value out of range" {
		if f := fs.Lookup(name); f != nil {
			if g, ok := f.Value.(flag.Getter); ok {
				switch g.Get().(type) {
				case bool:
					why = "want true or false"
				case time.Duration:
					why = "want a duration such as 10s or 5m"
				case int, int64, uint, uint64:
					why = "want a whole number"
				}
			}
		}
	}
	return "--" + name + " " + val + ": " + why
}

// nearestFlag is the defined flag closest to a mistyped name, if any is
// close (a typo or two).
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestD := "", min(3, len(name)/2+1)
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// commands are kycwatch's subcommands.
var commands = []string{"send", "check", "export", "sandbox"}

// nearestCommand is the subcommand closest to a mistyped one, if any is
// close.
func nearestCommand(name string) string {
	best, bestD := "", min(3, len(name)/2+1)
	for _, c := range commands {
		if d := editDistance(strings.ToLower(name), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1) // two letters swapped
			}
		}
	}
	return d[len(a)][len(b)]
}

// refuseEmpty refuses a key flag given an empty value, as an unset shell
// variable makes it (--secret "$VERIFF_SHARED_SECRET"): kycwatch would
// otherwise check every delivery against "" and refuse them all.
func refuseEmpty(fs *flag.FlagSet, envOf map[string]string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		env, watched := envOf[f.Name]
		if !watched || err != nil {
			return
		}
		vals := []string{f.Value.String()}
		if m, ok := f.Value.(*multi); ok {
			vals = *m
		}
		for _, v := range vals {
			if strings.TrimSpace(v) == "" {
				out := "none"
				if withDefault[f.Name] {
					out = "the default"
				}
				if env != "" {
					err = fmt.Errorf("--%s is empty: is %s set? (leave the flag out for %s)", f.Name, env, out)
				} else {
					err = fmt.Errorf("--%s is empty: is the variable you passed set? (leave the flag out for %s)", f.Name, out)
				}
				return
			}
		}
	})
	return err
}

// withDefault are the flags that, left out, have a default rather than
// nothing.
var withDefault = map[string]bool{"db": true, "export-dir": true, "log": true, "to": true, "api-url": true, "verifime-api-url": true}

// refuseEmptyEnvs refuses the first of names that is set but empty.
func refuseEmptyEnvs(names ...string) error {
	for _, name := range names {
		if err := refuseEmptyEnv(name); err != nil {
			return err
		}
	}
	return nil
}

// refuseEmptyEnv refuses a variable that is set but holds nothing (or an
// empty item in a comma-separated list).
func refuseEmptyEnv(name string) error {
	v, ok := os.LookupEnv(name)
	if !ok {
		return nil
	}
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s is set but empty: give it a value, or unset it (unset %s)", name, name)
	}
	if name == "VERIFF_SHARED_SECRET" {
		for _, s := range strings.Split(v, ",") {
			if strings.TrimSpace(s) == "" {
				return fmt.Errorf("%s has an empty secret in its comma-separated list", name)
			}
		}
	}
	return nil
}

// checkAddr refuses an --addr net.Listen would not take.
func checkAddr(addr string) error {
	bad := fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080 (or :0 for any free port)", addr)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad
	}
	return nil
}

// checkBaseURL refuses an API base URL that is not http(s), naming where
// it came from.
func checkBaseURL(fs *flag.FlagSet, name, env, u string) error {
	if httpURL(u) {
		return nil
	}
	from := "--" + name
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if !set {
		from = env
	}
	return fmt.Errorf("%s %q: want an http:// or https:// URL", from, u)
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

const followUsage = `kycwatch follow: watch a team's deliveries from NATS JetStream.

Usage:
  kycwatch follow nats://TOKEN@HOST:PORT[,URL…] [--name N] [--headless]
  kycwatch follow URL[,URL…] --since 1h|SEQ [--headless]

The TUI (or, with --headless, the NDJSON lines plus origin and stream_seq)
of every delivery every sharing or publishing kycwatch stored, in stream
order, with the verdict of the instance that received it. With --name the
follower resumes where it stopped (a durable consumer; its database is
follow-NAME.db beside the default one); without, it reads the stream from
the start, or from --since, into a database of its own run. A follower is
read-only: decisions belong to the instance that created the session;
replay (R) sends to its own local listener, checked with its own --secret.

Flags:
`

// teamFlags checks the team mode's flags: one clear line for a mistake.
func teamFlags(fs *flag.FlagSet, c *config, natsURLs string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["name"] && strings.TrimSpace(c.name) == "" {
		return fmt.Errorf("--name is empty: give this instance a name (or leave the flag out for host:port)")
	}
	c.name = strings.TrimSpace(c.name)
	if natsURLs != "" {
		for _, u := range strings.Split(natsURLs, ",") {
			c.natsURLs = append(c.natsURLs, strings.TrimSpace(u))
		}
	} else if set["nats"] {
		return fmt.Errorf("--nats is empty: give the NATS URL (nats://TOKEN@host:4222), or leave the flag out")
	}
	if len(c.follow) > 0 {
		if c.share || len(c.natsURLs) > 0 {
			return fmt.Errorf("follow reads the stream: --share and --nats are for the instances that receive deliveries")
		}
		if c.since != "" && c.name != "" {
			return fmt.Errorf("--since is for a follower without --name (a durable one resumes where it stopped)")
		}
		if c.since != "" {
			if _, err := team.ParseSince(c.since, time.Now()); err != nil {
				return err
			}
		}
		if !set["addr"] {
			c.addr = "127.0.0.1:0" // its own listener, for replays: any free port
		}
		c.noTunnel = true
		if err := checkNATSURLs("follow", c.follow); err != nil {
			return err
		}
	} else {
		if c.share && len(c.natsURLs) > 0 {
			return fmt.Errorf("--share runs an embedded NATS server and --nats publishes to an existing one: pick one")
		}
		if err := checkNATSURLs("--nats", c.natsURLs); err != nil {
			return err
		}
		if set["nats-listen"] && !c.share {
			return fmt.Errorf("--nats-listen is for --share")
		}
		if _, _, err := net.SplitHostPort(c.natsListen); err != nil || checkAddr(c.natsListen) != nil {
			return fmt.Errorf("--nats-listen %q: want host:port, e.g. 127.0.0.1:4222", c.natsListen)
		}
		if set["name"] && !c.share && len(c.natsURLs) == 0 {
			return fmt.Errorf("--name names this instance in team mode: use it with --share or --nats")
		}
	}
	if set["nats-creds"] {
		if len(c.natsURLs) == 0 && len(c.follow) == 0 {
			return fmt.Errorf("--nats-creds is for --nats or kycwatch follow")
		}
		if _, err := os.Stat(c.natsCreds); err != nil {
			return fmt.Errorf("--nats-creds %q: %v", c.natsCreds, errors.Unwrap(err))
		}
	}
	if set["nats-replicas"] {
		switch {
		case len(c.natsURLs) == 0:
			return fmt.Errorf("--nats-replicas is for --nats (a cluster); --share runs one server")
		case c.natsReplicas < 1 || c.natsReplicas > 5:
			return fmt.Errorf("--nats-replicas %d: want 1 to 5 (JetStream's range)", c.natsReplicas)
		}
	}
	return nil
}

// checkNATSURLs refuses a URL NATS could not dial, without printing a token.
func checkNATSURLs(what string, urls []string) error {
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme) {
			return fmt.Errorf("%s %s: want nats://[TOKEN@]host:port or tls://host:port", what, team.Redact(s))
		}
	}
	return nil
}
