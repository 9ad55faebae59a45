package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/checklist"
	"github.com/kycwatch/kycwatch/sessions/export"
	"github.com/kycwatch/kycwatch/sessions/simulator"
	"github.com/kycwatch/kycwatch/sessions/veriffapi"
)

// Subcommands: kycwatch send, kycwatch check.

const sendUsage = `kycwatch send: fire one signed Veriff webhook at a URL and print the answer.

Usage:
  kycwatch send event      [--status started|submitted|…] [flags]
  kycwatch send decision   [--status approved|declined|review|expired|…] [flags]
                           (also resubmission_requested, abandoned)
  kycwatch send user-status [--status "Custom status"] [flags]

The body is what Veriff sends (compact JSON), signed with X-HMAC-SIGNATURE
over its exact bytes, with X-AUTH-CLIENT. The secret and API key default to
VERIFF_SHARED_SECRET and VERIFF_API_KEY; with neither, to the secret the
kycwatch on the same database generated. Without --to it goes to where
that kycwatch listens (its database says), else http://127.0.0.1:8080.
send says where each came from.

Flags:
`

// keysFromEnv fills secret and API key from the environment when unset.
func keysFromEnv(secret, apiKey *string) {
	if *secret == "" {
		if s := splitEnv("VERIFF_SHARED_SECRET"); len(s) > 0 {
			*secret = s[0]
		}
	}
	if *apiKey == "" {
		*apiKey = strings.TrimSpace(os.Getenv("VERIFF_API_KEY"))
	}
}

func send(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kycwatch send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "`URL` to post to (default: the running kycwatch's /veriff/events|decisions|statuses)")
	status := fs.String("status", "", "event action, decision status, or user status `text`")
	secret := fs.String("secret", "", "shared `secret` to sign with (default $VERIFF_SHARED_SECRET, else the one kycwatch generated)")
	apiKey := fs.String("api-key", "", "API `key` for X-AUTH-CLIENT (default $VERIFF_API_KEY)")
	db := fs.String("db", "", "the running kycwatch's database `path`, for its address and secret (default $KYCWATCH_DB, else the user data directory)")
	sessionID := fs.String("session", "", "session `id` (default: a new UUID)")
	vendorData := fs.String("vendor-data", "kycwatch-send", "`vendorData` in the payload")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the answer")
	fs.Usage = func() { fmt.Fprint(stderr, sendUsage); printFlags(stderr, fs) }
	kind, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		kind, rest = args[0], args[1:]
	}
	if err := parseQuietly(fs, rest, "kycwatch send --help"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kycwatch send: unexpected argument %q: the kind, then flags (kycwatch send --help)\n", fs.Arg(0))
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "kycwatch send: --timeout must be positive (e.g. 10s)")
		return 2
	}
	if err := refuseEmpty(fs, map[string]string{"secret": "VERIFF_SHARED_SECRET", "api-key": "VERIFF_API_KEY", "to": "", "db": "KYCWATCH_DB"}); err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	if err := refuseEmptyEnvs("VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"); err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	secretFrom, apiKeyFrom := "--secret", "--api-key"
	if *secret == "" {
		secretFrom = "VERIFF_SHARED_SECRET"
	}
	if *apiKey == "" {
		apiKeyFrom = "VERIFF_API_KEY"
	}
	keysFromEnv(secret, apiKey)
	// What send cannot be told, the running kycwatch's database says.
	running := readRunning(*db)
	base, baseFrom := "http://127.0.0.1:8080", "the default (no kycwatch has run on "+running.db+")"
	if running.url != "" {
		base, baseFrom = running.url, "the kycwatch running on "+running.db
	}
	if *secret == "" {
		switch {
		case running.own["secret"] || running.own["sandbox-secret"]:
			fmt.Fprintf(stderr, "kycwatch send: the kycwatch on %s checks with the secret it was started with: pass the same --secret (or set VERIFF_SHARED_SECRET)\n", running.db)
			return 2
		case running.secret == "":
			fmt.Fprintln(stderr, "kycwatch send: no secret to sign with: pass --secret, set VERIFF_SHARED_SECRET, or run kycwatch once (it generates one; --db says which)")
			return 2
		}
		*secret, secretFrom = running.secret, "the one kycwatch generated, kept in "+running.db
	}
	if *apiKey == "" && running.own["api-key"] {
		fmt.Fprintf(stderr, "kycwatch send: the kycwatch on %s checks X-AUTH-CLIENT: pass the same --api-key (or set VERIFF_API_KEY)\n", running.db)
		return 2
	}
	if *apiKey == "" && running.apiKey != "" && secretFrom != "--secret" && secretFrom != "VERIFF_SHARED_SECRET" {
		// Its simulator's key, which it checks once it made a session.
		*apiKey, apiKeyFrom = running.apiKey, "the one kycwatch generated, kept in "+running.db
	}
	if *sessionID == "" {
		*sessionID = sessions.NewUUID()
	}
	attempt, now := sessions.NewUUID(), time.Now()
	var payload any
	var path string
	var err error
	switch kind {
	case "event":
		path = "/veriff/events"
		payload, err = simulator.EventPayload(*sessionID, attempt, cmpOr(*status, "submitted"), *vendorData)
	case "decision":
		path = "/veriff/decisions"
		payload, err = simulator.DecisionPayload(*sessionID, attempt, *vendorData, cmpOr(*status, "approved"), now.Add(-2*time.Minute), now.Add(-time.Minute), now)
	case "user-status":
		path = "/veriff/statuses"
		payload = simulator.UserStatusPayload(*sessionID, attempt, *vendorData, cmpOr(*status, "Custom status for suspicious attempt"), now)
	default:
		fmt.Fprintf(stderr, "kycwatch send: say what to send: event, decision or user-status (got %q)\n", kind)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	url, urlFrom := *to, "--to"
	if url == "" {
		url, urlFrom = strings.TrimRight(base, "/")+path, baseFrom
	} else if !httpURL(url) {
		fmt.Fprintf(stderr, "kycwatch send: --to %q: want an http:// or https:// URL\n", url)
		return 2
	}
	if urlFrom == baseFrom && running.url != "" {
		// The address is where kycwatch last ran: make sure it still does,
		// rather than post to whatever took the port since.
		if err := isKycwatch(base, *timeout, running.instance); errors.Is(err, errOtherKycwatch) {
			fmt.Fprintf(stderr, "kycwatch send: another kycwatch answers at %s now, not the one on %s (stopped?): start that one, or pass --db with the running one's database (--to sends there anyway)\n", base, running.db)
			return 1
		} else if err != nil {
			fmt.Fprintf(stderr, "kycwatch send: %s (where the kycwatch on %s last listened) does not answer as kycwatch: %v; is it running? (--to sends elsewhere)\n", base, running.db, err)
			return 1
		}
	}
	body, _ := veriffapi.Marshal(payload)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kycwatch-send/1")
	req.Header.Set("X-HMAC-SIGNATURE", decode.Sign(*secret, body))
	if *apiKey != "" {
		req.Header.Set("X-AUTH-CLIENT", *apiKey)
	}
	fmt.Fprintf(stderr, "→ POST %s (%s %s, session %s, %d bytes)\n", url, kind, cmpOr(*status, defaultStatus(kind)), *sessionID, len(body))
	fmt.Fprintf(stderr, "  address: %s · secret: %s", urlFrom, secretFrom)
	if *apiKey != "" {
		fmt.Fprintf(stderr, " · API key: %s", apiKeyFrom)
	}
	fmt.Fprintln(stderr)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch send: no answer:", err)
		return 1
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(stdout, "← %s in %s\n", resp.Status, time.Since(start).Round(time.Millisecond))
	if len(answer) > 0 {
		fmt.Fprintln(stdout, printable(string(answer)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 1
	}
	return 0
}

// errOtherKycwatch: a kycwatch answers, but not the one expected.
var errOtherKycwatch = errors.New("another kycwatch answers")

// isKycwatch reports (as an error) whether base answers GET / as kycwatch
// does: "kycwatch is listening.", and, when instance is not "", as that
// kycwatch (the id its database recorded; errOtherKycwatch when another).
func isKycwatch(base string, timeout time.Duration, instance string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no answer (%v)", plainErr(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(b), "kycwatch is listening") {
		return fmt.Errorf("it answered %s", resp.Status)
	}
	if instance != "" && resp.Header.Get(listener.InstanceHeader) != instance {
		return errOtherKycwatch
	}
	return nil
}

// plainErr is the last part of a network error, the part that says why.
func plainErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// runningKycwatch is what the database of a kycwatch says about it.
type runningKycwatch struct {
	db     string
	url    string // where it listens ("" if it never ran on this database)
	secret string // the secret it generated (the sandbox's)
	apiKey string // the API key it generated (the sandbox's)
	// instance is the id its local listener answers with ("" when it
	// did not record one).
	instance string
	own      map[string]bool // checks it was given keys for: secret, api-key, sandbox-secret
}

// readRunning reads the database at path (else $KYCWATCH_DB, else the
// default), if there is one; it is never created here.
func readRunning(path string) runningKycwatch {
	r := runningKycwatch{db: dbPath(path), own: map[string]bool{}}
	if _, err := os.Stat(r.db); err != nil {
		return r
	}
	store, err := sessions.Open(r.db)
	if err != nil {
		return r
	}
	defer store.Close()
	ctx := context.Background()
	r.url, r.secret = store.Setting(ctx, settingLocalURL), store.Setting(ctx, settingSandboxSecret)
	r.apiKey = store.Setting(ctx, settingSandboxKey)
	r.instance = store.Setting(ctx, settingInstance)
	for _, k := range strings.Split(store.Setting(ctx, settingOwnKeys), ",") {
		if k != "" {
			r.own[k] = true
		}
	}
	return r
}

// dbPath is the database a subcommand reads: the flag, else $KYCWATCH_DB,
// else the default ("" when there is none).
func dbPath(flagValue string) string {
	if p := cmpOr(flagValue, os.Getenv("KYCWATCH_DB")); p != "" {
		return p
	}
	p, _ := sessions.DefaultPath()
	return p
}

const sandboxUsage = `kycwatch sandbox keys: print the sandbox's API key and shared secret whole.

Usage:
  kycwatch sandbox keys [--db PATH]

For a backend (or its CI) that calls kycwatch's Veriff-compatible sandbox:
one KEY=value line each for VERIFF_API_URL (where the sandbox answers),
VERIFF_API_KEY and VERIFF_SHARED_SECRET, e.g.
  kycwatch sandbox keys > .env.kycwatch
They are the ones kycwatch on the same database uses: VERIFF_API_KEY and
VERIFF_SHARED_SECRET when set, else a key and secret generated once and
kept in the database (made now if kycwatch never ran). A kycwatch given
a secret or key of its own (--secret, --sandbox-secret, --api-key,
--sandbox-key) stores none of them: then sandbox keys prints nothing and
says which one to pass (VERIFF_SHARED_SECRET, VERIFF_API_KEY). The secret
is printed whole: keep the output out of logs you share.

Flags:
`

// sandboxCmd is kycwatch sandbox keys.
func sandboxCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kycwatch sandbox keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "database `path` (default $KYCWATCH_DB, else the user data directory)")
	fs.Usage = func() { fmt.Fprint(stderr, sandboxUsage); printFlags(stderr, fs) }
	if len(args) == 0 || args[0] != "keys" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return 0
		}
		fmt.Fprintln(stderr, "kycwatch sandbox: the one command is keys (kycwatch sandbox keys --help)")
		return 2
	}
	if err := parseQuietly(fs, args[1:], "kycwatch sandbox keys --help"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kycwatch sandbox keys: unexpected argument %q (kycwatch sandbox keys --help)\n", fs.Arg(0))
		return 2
	}
	if err := refuseEmpty(fs, map[string]string{"db": "KYCWATCH_DB"}); err != nil {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 2
	}
	if err := refuseEmptyEnvs("VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"); err != nil {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 2
	}
	path := dbPath(*db)
	if path == "" {
		fmt.Fprintln(stderr, "kycwatch sandbox keys: no database path (--db)")
		return 2
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 1
	}
	store, err := sessions.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 1
	}
	defer store.Close()
	var c config
	c.keys.VeriffAPIKey = strings.TrimSpace(os.Getenv("VERIFF_API_KEY"))
	c.keys.VeriffSecrets = splitEnv("VERIFF_SHARED_SECRET")
	ctx := context.Background()
	// A kycwatch given its keys keeps none: print nothing rather than a
	// generated secret its sandbox does not check with.
	own := map[string]bool{}
	for _, k := range strings.Split(store.Setting(ctx, settingOwnKeys), ",") {
		own[k] = k != ""
	}
	if why := unstoredSandboxKeys(path, own, len(c.keys.VeriffSecrets) > 0, c.keys.VeriffAPIKey != ""); why != "" {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", why)
		return 2
	}
	key, secret, from, err := sandboxKeys(ctx, store, c)
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch sandbox keys:", err)
		return 1
	}
	base := store.Setting(ctx, settingLocalURL)
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	fmt.Fprintf(stdout, "VERIFF_API_URL=%s/sandbox\nVERIFF_API_KEY=%s\nVERIFF_SHARED_SECRET=%s\n", strings.TrimRight(base, "/"), key, secret)
	fmt.Fprintf(stderr, "kycwatch sandbox keys: API key %s; secret %s\n", from[0], from[1])
	return 0
}

func defaultStatus(kind string) string {
	switch kind {
	case "event":
		return "submitted"
	case "decision":
		return "approved"
	}
	return "Custom status for suspicious attempt"
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// printable makes an answer fit for the terminal, line by line: the other
// side is not trusted.
func printable(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = display.Safe(strings.TrimSuffix(l, "\r"))
	}
	return strings.Join(lines, "\n")
}

const checkUsage = `kycwatch check: run Veriff's webhook test checklist against your endpoint.

Usage:
  kycwatch check URL [--secret S] [--api-key K] [--json]

It sends real signed deliveries to URL and says, case by case, what the
answers show and why a case fails: the events and every decision status
accepted (2xx); a wrong API key, a mismatched HMAC and a delivery with no
signature refused (4xx, not 5xx); invalid JSON answered, not with a 5xx; a
body with unusual but valid formatting accepted (2xx: an endpoint that
verifies a re-encoding rather than the raw bytes refuses it); a retry
accepted twice; every answer in time. When nothing answers at URL, or the
endpoint stops answering, it says so and stops. Exit status 1 when any
case fails or the run stops.

Flags:
`

func check(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kycwatch check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", "", "the endpoint's shared `secret` (default $VERIFF_SHARED_SECRET)")
	apiKey := fs.String("api-key", "", "the API `key` it expects (default $VERIFF_API_KEY; none: that case is skipped)")
	asJSON := fs.Bool("json", false, "print the results as JSON (for CI)")
	limit := fs.Duration("limit", 10*time.Second, "how long an answer may take")
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); printFlags(stderr, fs) }
	url, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		url, rest = args[0], args[1:]
	}
	if err := parseQuietly(fs, rest, "kycwatch check --help"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "kycwatch check:", err)
		return 2
	}
	extra := fs.Args()
	if url == "" && len(extra) > 0 { // flags, the URL, maybe more flags
		url = extra[0]
		if err := parseQuietly(fs, extra[1:], "kycwatch check --help"); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "kycwatch check:", err)
			return 2
		}
		extra = fs.Args()
	}
	if len(extra) > 0 {
		fmt.Fprintf(stderr, "kycwatch check: unexpected argument %q: one URL, then flags (kycwatch check --help)\n", extra[0])
		return 2
	}
	if *limit <= 0 {
		fmt.Fprintln(stderr, "kycwatch check: --limit must be positive (e.g. 10s)")
		return 2
	}
	if !httpURL(url) {
		fmt.Fprintf(stderr, "kycwatch check: give the endpoint's URL (http:// or https://), got %q\n", url)
		return 2
	}
	if err := refuseEmpty(fs, map[string]string{"secret": "VERIFF_SHARED_SECRET", "api-key": "VERIFF_API_KEY"}); err != nil {
		fmt.Fprintln(stderr, "kycwatch check:", err)
		return 2
	}
	if err := refuseEmptyEnvs("VERIFF_SHARED_SECRET", "VERIFF_API_KEY"); err != nil {
		fmt.Fprintln(stderr, "kycwatch check:", err)
		return 2
	}
	keysFromEnv(secret, apiKey)
	if *secret == "" {
		fmt.Fprintln(stderr, "kycwatch check: the endpoint's shared secret is needed to sign: pass --secret or set VERIFF_SHARED_SECRET")
		return 2
	}
	results, stopped := checklist.Run(context.Background(), checklist.Config{URL: url, Secret: *secret, APIKey: *apiKey, Limit: *limit})
	ok := stopped == nil
	for _, r := range results {
		ok = ok && r.Pass
	}
	if *asJSON {
		report := struct {
			URL     string             `json:"url"`
			Pass    bool               `json:"pass"`
			Stopped string             `json:"stopped,omitempty"`
			Results []checklist.Result `json:"results"`
		}{URL: url, Pass: ok, Results: results}
		if stopped != nil {
			report.Stopped = stopped.Error()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(report)
	} else if len(results) == 0 && stopped != nil {
		// Nothing listening: one line, not a table of the same failure.
		fmt.Fprintln(stderr, "kycwatch check: "+stopped.Error())
	} else {
		fmt.Fprintf(stdout, "Checking %s\n\n", url)
		checklist.Table(stdout, results)
		if stopped != nil {
			fmt.Fprintln(stdout, "\n"+stopped.Error()+"; the remaining cases were not run")
		}
	}
	if !ok {
		return 1
	}
	return 0
}

const exportUsage = `kycwatch export: write stored deliveries to stdout.

Usage:
  kycwatch export [--format ndjson|har|curl] [--db PATH] [--session ID]
                  [--since T] [--mask-pii]

  ndjson  headless mode's lines, plus each delivery's headers and body
  har     HAR 1.2, for browser devtools and HTTP clients
  curl    a shell script that sends each request again, byte for byte:
          TARGET=http://localhost:3000 sh deliveries.sh (default: where
          the kycwatch on the database listens)

--since takes a time (2026-11-23T09:00:00Z, 2026-11-23) or a duration back
from now (1h, 30m).

Flags:
`

func exportCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kycwatch export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "ndjson", "`format`: ndjson, har or curl")
	db := fs.String("db", "", "database `path` (default $KYCWATCH_DB, else the user data directory)")
	session := fs.String("session", "", "only this session `id`, or its start as the UI shows it (f04bdb47)")
	since := fs.String("since", "", "only deliveries received since `T` (a time, or a duration such as 1h)")
	mask := fs.Bool("mask-pii", false, "hide names, dates of birth, document numbers, addresses and IPs in bodies")
	fs.Usage = func() { fmt.Fprint(stderr, exportUsage); printFlags(stderr, fs) }
	if err := parseQuietly(fs, args, "kycwatch export --help"); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kycwatch export: unexpected argument %q (kycwatch export --help)\n", fs.Arg(0))
		return 2
	}
	if err := refuseEmpty(fs, map[string]string{"db": "KYCWATCH_DB", "session": ""}); err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 2
	}
	if err := refuseEmptyEnvs("KYCWATCH_DB"); err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 2
	}
	filter := sessions.Filter{}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "kycwatch export:", err)
			return 2
		}
		filter.Since = t
	}
	path := dbPath(*db)
	if path == "" {
		fmt.Fprintln(stderr, "kycwatch export: no database path (--db)")
		return 2
	}
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "kycwatch export: no database at %s (--db)\n", path)
		return 2
	}
	store, err := sessions.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 1
	}
	defer store.Close()
	if *session != "" {
		// The UI shows a session's first 8 characters: take any unique prefix.
		ids, err := sessionsWithPrefix(context.Background(), path, *session)
		switch {
		case err != nil:
			fmt.Fprintln(stderr, "kycwatch export:", err)
			return 1
		case len(ids) == 0:
			fmt.Fprintf(stderr, "kycwatch export: no session %q in %s (--session takes an id or its start)\n", *session, path)
			return 1
		case len(ids) > 1:
			fmt.Fprintf(stderr, "kycwatch export: --session %q matches several sessions: %s (give more of the id)\n", *session, strings.Join(ids, ", "))
			return 2
		}
		filter.SessionID = ids[0]
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	// A curl script goes by default to the kycwatch of this database, as send does.
	w, err := export.New(*format, out, *mask, export.WithTarget(store.Setting(context.Background(), settingLocalURL)))
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 2
	}
	n := 0
	if err := store.Each(context.Background(), filter, func(r sessions.Record) error { n++; return w.Add(r) }); err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 1
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(stderr, "kycwatch export:", err)
		return 1
	}
	what := "deliveries"
	if n == 1 {
		what = "delivery"
	}
	fmt.Fprintf(stderr, "kycwatch export: %d %s (%s)\n", n, what, *format)
	return 0
}

// sessionsWithPrefix lists the sessions with deliveries in the database
// at path whose id is id or starts with it (at most 10, then "…").
func sessionsWithPrefix(ctx context.Context, path, id string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var exact int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE session_id = ? LIMIT 1)`, id).Scan(&exact); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if exact > 0 {
		return []string{id}, nil
	}
	// Text compares bytewise: every id starting with id sorts in [id, id+U+10FFFF).
	ids, err := sessions.QueryColumn[string](ctx, db, `SELECT DISTINCT session_id FROM deliveries WHERE session_id >= ? AND session_id < ? ORDER BY session_id LIMIT 11`,
		id, id+"\U0010FFFF")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(ids) > 10 {
		ids = append(ids[:10], "…")
	}
	return ids, nil
}

// parseSince reads a time or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %q: want a duration back from now, such as 1h (not negative)", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a time (2026-11-23T09:00:00Z) or a duration (1h)", s)
}
