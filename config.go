package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
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

// simWait is a --sim-*-after value as the simulator's Config takes it: the
// flag's 0 is "at once", which Config calls Immediately (its 0 is "not
// given"; left out, the flag holds the default).
func simWait(d time.Duration) time.Duration {
	if d == 0 {
		return simulator.Immediately
	}
	return d
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

// rawFlags are the flags read as text or lists before they are checked
// into a config.
type rawFlags struct {
	secrets, vmSecrets, forwards, expects, sbHooks multi
	answer, keep, natsURLs                         string
	maxBody                                        byteSize
}

// parseFlags reads kycwatch's flags and environment into a config, and
// refuses a mistake with one line.
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
	r := rawFlags{maxBody: byteSize(listener.DefaultLimits.MaxBody)}
	fs := flag.NewFlagSet("kycwatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defineFlags(fs, &c, &r, follow)
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
	if err := teamFlags(fs, &c, r.natsURLs); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		if near := nearestCommand(fs.Arg(0)); near != "" {
			return c, fmt.Errorf("unknown command %q (did you mean kycwatch %s?); kycwatch --help lists the commands", fs.Arg(0), near)
		}
		return c, fmt.Errorf("unexpected argument %q; kycwatch --help lists the commands and flags", fs.Arg(0))
	}
	if err := c.check(fs, r); err != nil {
		return c, err
	}
	return c, c.resolvePaths(follow)
}

// defineFlags declares every flag of the main command (and follow's).
func defineFlags(fs *flag.FlagSet, c *config, r *rawFlags, follow bool) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "local `address` to listen on (a free port is taken if this one is busy)")
	fs.StringVar(&c.db, "db", "", "database `path` (default: the user data directory, e.g. ~/.local/share/kycwatch/kycwatch.db)")
	fs.StringVar(&c.exportDir, "export-dir", "", "`folder` X writes a session's HAR and curl script to (default: the database's folder)")
	fs.StringVar(&c.logPath, "log", "", "log file `path` (default: kycwatch.log beside the database; headless also says warnings on stderr, one line each)")
	fs.BoolVar(&c.headless, "headless", false, "no UI: print one JSON line per delivery on stdout, logs on stderr")
	fs.BoolVar(&c.noTunnel, "no-tunnel", false, "do not open a public tunnel (the local listener only)")
	fs.StringVar(&c.authtoken, "authtoken", "", "ngrok `token` for the public URL (default: $NGROK_AUTHTOKEN, then the ngrok CLI's ngrok.yml)")
	fs.StringVar(&c.domain, "domain", "", "reserved or static ngrok `domain` for a URL that stays the same (e.g. name.ngrok-free.app)")
	fs.DurationVar(&c.tunnelWait, "tunnel-timeout", 15*time.Second, "how long the tunnel may take to open before kycwatch says why not")
	fs.Var(&r.secrets, "secret", "Veriff shared secret `key` to verify X-HMAC-SIGNATURE with (repeat for several)")
	fs.StringVar(&c.keys.VeriffAPIKey, "api-key", "", "Veriff API `key` that X-AUTH-CLIENT must carry")
	fs.Var(&r.vmSecrets, "verifime-secret", "VerifiMe webhook `secret` for X-VerifiMe-Signature (repeat for several)")
	fs.Var(&r.maxBody, "max-body", "largest body `size` accepted (e.g. 10MiB); larger ones get 413")
	fs.IntVar(&c.history, "history", 5000, "how many stored deliveries the UI loads at start")
	fs.StringVar(&c.apiURL, "api-url", "", "Veriff API base `URL` from the integration's page (default $VERIFF_API_URL, else "+veriff.DefaultBaseURL+")")
	fs.DurationVar(&c.simStart, "sim-start-after", simulator.DefaultStartAfter, "simulator: how long after creation the end-user starts")
	fs.DurationVar(&c.simSubmit, "sim-submit-after", simulator.DefaultSubmitAfter, "simulator: how long after starting the end-user submits")
	fs.Var(&r.forwards, "forward-to", "send every delivery on to your app at this `URL` too (the delivery's path is appended; repeatable)")
	fs.StringVar(&r.answer, "answer", "kycwatch", "what the provider gets when forwarding: `kycwatch` (its verdict, at once) or app (your app's answer)")
	fs.DurationVar(&c.forwardTimeout, "forward-timeout", 10*time.Second, "how long your app may take to answer a forward")
	fs.Var(&r.expects, "expect", "headless: exit 0 once a delivery like `EXPR` is accepted (decision=approved, event=submitted, risk=LOW, kind=watchlist, session=ID; repeatable: all must arrive; a value no delivery can carry is refused)")
	fs.DurationVar(&c.expectTimeout, "timeout", 5*time.Minute, "headless with --expect: exit 1 if the expected deliveries have not all arrived by then (or the run is stopped first)")
	fs.StringVar(&r.keep, "keep", "", "history to keep: an `age` (30d, 12h) or a number of deliveries (100000); older ones are deleted at start and hourly")
	fs.BoolVar(&c.maskPII, "mask-pii", false, "hide names, dates of birth, document numbers, addresses and IPs on screen (M toggles) and in headless lines")
	fs.StringVar(&c.sandboxKey, "sandbox-key", "", "API `key` the sandbox expects (default: VERIFF_API_KEY, else one kept in the database)")
	fs.StringVar(&c.sandboxSecret, "sandbox-secret", "", "shared `secret` of the sandbox (default: VERIFF_SHARED_SECRET, else one kept in the database)")
	fs.Var(&r.sbHooks, "sandbox-webhook", "`URL` the sandbox sends its webhooks to (default: kycwatch itself); KIND=URL for one kind: events, decisions or verifime (repeatable)")
	fs.DurationVar(&c.simAssess, "sim-assess-after", simulator.DefaultAssessAfter, "simulator: how long after a VerifiMe data entry its risk assessment comes")
	fs.StringVar(&c.vmOrg, "verifime-org", "", "VerifiMe organisation `code` for invites with VerifiMe's API (default $VERIFIME_ORG_CODE; none: the simulator)")
	fs.StringVar(&c.vmAPIURL, "verifime-api-url", "", "VerifiMe API base `URL` (default $VERIFIME_API_URL, else "+verifime.DefaultBaseURL+")")
	fs.BoolVar(&c.share, "share", false, "team mode: run an embedded NATS server with JetStream and publish every delivery to it; teammates run the join line it prints (kycwatch follow nats://TOKEN@HOST:PORT)")
	fs.StringVar(&c.natsListen, "nats-listen", "127.0.0.1:4222", "with --share: the `address` the NATS server listens on (another interface only when given here)")
	fs.StringVar(&r.natsURLs, "nats", "", "team mode: publish every delivery to an existing NATS JetStream at `URL[,URL…]` (nats://TOKEN@host:4222, tls://…)")
	fs.StringVar(&c.natsCreds, "nats-creds", "", "NATS credentials `file` for --nats or kycwatch follow")
	fs.IntVar(&c.natsReplicas, "nats-replicas", 1, "with --nats: the stream's replicas when kycwatch creates it (a cluster: 3)")
	fs.StringVar(&c.name, "name", "", "team mode: this instance's `name`, the origin of its deliveries (default host:port); with follow, the durable consumer's name")
	if follow {
		fs.StringVar(&c.since, "since", "", "follow without --name: start `at` a time back from now (1h) or a stream sequence (1234) instead of the start")
	}
}

// check turns what was parsed into the config, refusing what cannot be
// right: empty values, bad addresses and URLs, durations, --answer,
// --expect, the keys. The first mistake found is the one said.
func (c *config) check(fs *flag.FlagSet, r rawFlags) error {
	if err := refuseEmptyInput(fs, map[string]string{"secret": "VERIFF_SHARED_SECRET", "api-key": "VERIFF_API_KEY", "db": "KYCWATCH_DB", "export-dir": "", "log": "",
		"verifime-secret": "VERIFIME_WEBHOOK_SECRET", "authtoken": "NGROK_AUTHTOKEN", "sandbox-key": "", "sandbox-secret": "",
		"verifime-org": "VERIFIME_ORG_CODE", "api-url": "VERIFF_API_URL", "verifime-api-url": "VERIFIME_API_URL", "domain": ""},
		"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "VERIFIME_WEBHOOK_SECRET", "NGROK_AUTHTOKEN", "VERIFIME_ORG_CODE", "VERIFF_API_URL", "VERIFIME_API_URL", "KYCWATCH_DB"); err != nil {
		return err
	}
	if err := c.checkLimits(); err != nil {
		return err
	}
	if err := c.checkDeliveries(r); err != nil {
		return err
	}
	if err := c.checkKeys(fs, r); err != nil {
		return err
	}
	return c.checkPace()
}

// checkLimits checks the address and the limits given as numbers.
func (c *config) checkLimits() error {
	if err := checkAddr(c.addr); err != nil {
		return err
	}
	if c.history < 1 {
		return fmt.Errorf("--history %d: want a number of deliveries, at least 1", c.history)
	}
	if c.forwardTimeout <= 0 {
		return fmt.Errorf("--forward-timeout must be positive (e.g. 10s)")
	}
	if c.expectTimeout <= 0 {
		return fmt.Errorf("--timeout must be positive (e.g. 5m)")
	}
	return nil
}

// checkDeliveries takes what is done with deliveries: the body limit,
// forwards and the sandbox's webhooks, --keep, --expect and --answer.
func (c *config) checkDeliveries(r rawFlags) error {
	c.maxBody = int64(r.maxBody)
	c.forwardTo = r.forwards
	routes, err := parseWebhookRoutes(r.sbHooks)
	if err != nil {
		return err
	}
	c.sandboxWebhooks = routes
	for _, f := range c.forwardTo {
		if !httpURL(f) {
			return fmt.Errorf("--forward-to %q: want an http:// or https:// URL", f)
		}
	}
	if r.keep != "" {
		kept, err := parseKeep(r.keep)
		if err != nil {
			return err
		}
		c.keep = kept
	}
	for _, x := range r.expects {
		e, err := sessions.ParseExpectation(x)
		if err != nil {
			return err
		}
		c.expect = append(c.expect, e)
	}
	if len(c.expect) > 0 && !c.headless {
		return fmt.Errorf("--expect is for --headless runs (CI)")
	}
	switch r.answer {
	case "kycwatch":
	case "app":
		if len(c.forwardTo) == 0 {
			return fmt.Errorf("--answer app needs --forward-to")
		}
		c.answerApp = true
	default:
		return fmt.Errorf("--answer is kycwatch or app, not %q", r.answer)
	}
	return nil
}

// checkKeys takes the secrets and keys (flags, then the environment) and
// the providers' API URLs.
func (c *config) checkKeys(fs *flag.FlagSet, r rawFlags) error {
	c.keys.VeriffSecrets = append(splitEnv("VERIFF_SHARED_SECRET"), r.secrets...)
	c.keys.VerifiMeSecrets = append(splitEnv("VERIFIME_WEBHOOK_SECRET"), r.vmSecrets...)
	if c.keys.VeriffAPIKey == "" {
		c.keys.VeriffAPIKey = strings.TrimSpace(os.Getenv("VERIFF_API_KEY"))
	}
	// Veriff's API keys are UUIDs: the sandbox answers any other with 1802,
	// so it does not take an API key that is not one as its own (sandboxKeys);
	// the webhook check compares X-AUTH-CLIENT with it as given.
	if k := c.sandboxKey; k != "" && !sessions.IsUUID(k) {
		return fmt.Errorf("--sandbox-key is not a UUID, as Veriff's API keys are (the sandbox would refuse it with 1802): give one such as %s", sessions.NewUUID())
	}
	var err error
	if c.apiURL, err = apiBaseURL(fs, "api-url", "VERIFF_API_URL", c.apiURL, veriff.DefaultBaseURL); err != nil {
		return err
	}
	if c.vmOrg == "" {
		c.vmOrg = strings.TrimSpace(os.Getenv("VERIFIME_ORG_CODE"))
	}
	c.vmAPIURL, err = apiBaseURL(fs, "verifime-api-url", "VERIFIME_API_URL", c.vmAPIURL, verifime.DefaultBaseURL)
	return err
}

// apiBaseURL is an API's base URL: the flag's value, else the variable
// env, else def; one given is checked (checkBaseURL).
func apiBaseURL(fs *flag.FlagSet, name, env, given, def string) (string, error) {
	u := cmp.Or(given, strings.TrimSpace(os.Getenv(env)))
	if u == "" {
		return def, nil
	}
	return u, checkBaseURL(fs, name, env, u)
}

// checkPace checks the simulator's waits and the tunnel's.
func (c *config) checkPace() error {
	for _, d := range []struct {
		v    time.Duration
		name string
	}{{c.simStart, "sim-start-after"}, {c.simSubmit, "sim-submit-after"}, {c.simAssess, "sim-assess-after"}} {
		if d.v < 0 {
			return fmt.Errorf("--%s %s: want a duration of 0 (at once) or more", d.name, d.v)
		}
	}
	if c.tunnelWait <= 0 {
		return fmt.Errorf("--tunnel-timeout must be positive")
	}
	return nil
}

// resolvePaths finds the ngrok token, the database, the log and the
// export folder.
func (c *config) resolvePaths(follow bool) error {
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
		return nil
	}
	if c.db == "" {
		p, err := sessions.DefaultPath()
		if follow { // one database per durable follower, beside the default one
			p = filepath.Join(filepath.Dir(p), "follow-"+team.Token(c.name)+".db")
		}
		if err != nil {
			return fmt.Errorf("no database path: %w (use --db)", err)
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
		return fmt.Errorf("--export-dir %s: not a folder (X writes its files into one)", c.exportDir)
	}
	return nil
}
