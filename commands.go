package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/kycwatch/kycwatch/decode"
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
VERIFF_SHARED_SECRET and VERIFF_API_KEY.

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
	to := fs.String("to", "", "`URL` to post to (default: kycwatch's own, http://127.0.0.1:8080/veriff/events|decisions|statuses)")
	status := fs.String("status", "", "event action, decision status, or user status `text`")
	secret := fs.String("secret", "", "shared `secret` to sign with (default $VERIFF_SHARED_SECRET)")
	apiKey := fs.String("api-key", "", "API `key` for X-AUTH-CLIENT (default $VERIFF_API_KEY)")
	sessionID := fs.String("session", "", "session `id` (default: a new UUID)")
	vendorData := fs.String("vendor-data", "kycwatch-send", "`vendorData` in the payload")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the answer")
	fs.Usage = func() { fmt.Fprint(stderr, sendUsage); printFlags(stderr, fs) }
	kind, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		kind, rest = args[0], args[1:]
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	keysFromEnv(secret, apiKey)
	if *secret == "" {
		fmt.Fprintln(stderr, "kycwatch send: no secret to sign with: pass --secret or set VERIFF_SHARED_SECRET")
		return 2
	}
	if *sessionID == "" {
		*sessionID = simulator.NewUUID()
	}
	attempt, now := simulator.NewUUID(), time.Now()
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
	url := *to
	if url == "" {
		url = "http://127.0.0.1:8080" + path
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

// printable drops control characters from an answer before the terminal
// sees it: the other side is not trusted.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) && r != '\u200e' && r != '\u200f' && !(r >= '\u202a' && r <= '\u202e') && !(r >= '\u2066' && r <= '\u2069') {
			return r
		}
		return -1
	}, strings.TrimRight(s, "\n"))
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
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if url == "" && fs.NArg() > 0 {
		url = fs.Arg(0)
	}
	if !httpURL(url) {
		fmt.Fprintf(stderr, "kycwatch check: give the endpoint's URL (http:// or https://), got %q\n", url)
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
          TARGET=http://localhost:3000 sh deliveries.sh

--since takes a time (2026-11-23T09:00:00Z, 2026-11-23) or a duration back
from now (1h, 30m).

Flags:
`

func exportCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kycwatch export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "ndjson", "`format`: ndjson, har or curl")
	db := fs.String("db", "", "database `path` (default $KYCWATCH_DB, else the user data directory)")
	session := fs.String("session", "", "only this session `id`")
	since := fs.String("since", "", "only deliveries received since `T` (a time, or a duration such as 1h)")
	mask := fs.Bool("mask-pii", false, "hide names, dates of birth, document numbers, addresses and IPs in bodies")
	fs.Usage = func() { fmt.Fprint(stderr, exportUsage); printFlags(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	filter := sessions.Filter{SessionID: *session}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			fmt.Fprintln(stderr, "kycwatch export:", err)
			return 2
		}
		filter.Since = t
	}
	path := cmpOr(*db, os.Getenv("KYCWATCH_DB"))
	if path == "" {
		p, err := sessions.DefaultPath()
		if err != nil {
			fmt.Fprintln(stderr, "kycwatch export: no database path:", err)
			return 2
		}
		path = p
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
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	w, err := export.New(*format, out, *mask)
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
	fmt.Fprintf(stderr, "kycwatch export: %d deliveries (%s)\n", n, *format)
	return 0
}

// parseSince reads a time or a duration back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a time (2026-11-23T09:00:00Z) or a duration (1h)", s)
}
