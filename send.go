// kycwatch send: one signed webhook, to the running kycwatch or a URL.

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

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

// sendFlags is what kycwatch send was told.
type sendFlags struct {
	kind                                                string // event, decision or user-status
	to, status, secret, apiKey, db, session, vendorData string
	timeout                                             time.Duration
}

func send(args []string, stdout, stderr io.Writer) int {
	f, code, ok := parseSend(args, stderr)
	if !ok {
		return code
	}
	// What send cannot be told, the running kycwatch's database says.
	running := readRunning(f.db)
	secretFrom, apiKeyFrom, err := running.signWith(&f.secret, &f.apiKey)
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	if f.session == "" {
		f.session = sessions.NewUUID()
	}
	path, payload, err := sendPayload(f.kind, f.session, f.status, f.vendorData)
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	url, urlFrom, code, ok := f.destination(running, path, stderr)
	if !ok {
		return code
	}
	body, _ := webhook.Marshal(payload)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kycwatch-send/1")
	req.Header.Set(veriff.SignatureHeader, veriff.Sign(f.secret, body))
	if f.apiKey != "" {
		req.Header.Set(veriff.ClientHeader, f.apiKey)
	}
	fmt.Fprintf(stderr, "→ POST %s (%s %s, session %s, %d bytes)\n", url, f.kind, cmp.Or(f.status, defaultStatus(f.kind)), f.session, len(body))
	fmt.Fprintf(stderr, "  address: %s · secret: %s", urlFrom, secretFrom)
	if f.apiKey != "" {
		fmt.Fprintf(stderr, " · API key: %s", apiKeyFrom)
	}
	fmt.Fprintln(stderr)
	return sendRequest(req, f.timeout, stdout, stderr)
}

// parseSend reads send's arguments: the kind, then flags. ok false: stop
// with code (the mistake said on stderr, or --help printed).
func parseSend(args []string, stderr io.Writer) (f sendFlags, code int, ok bool) {
	fs := commandFlags("kycwatch send", sendUsage, stderr)
	fs.StringVar(&f.to, "to", "", "`URL` to post to (default: the running kycwatch's /veriff/events|decisions|statuses)")
	fs.StringVar(&f.status, "status", "", "event action, decision status, or user status `text`")
	fs.StringVar(&f.secret, "secret", "", "shared `secret` to sign with (default $VERIFF_SHARED_SECRET, else the one kycwatch generated)")
	fs.StringVar(&f.apiKey, "api-key", "", "API `key` for X-AUTH-CLIENT (default $VERIFF_API_KEY)")
	fs.StringVar(&f.db, "db", "", "the running kycwatch's database `path`, for its address and secret (default $KYCWATCH_DB, else the user data directory)")
	fs.StringVar(&f.session, "session", "", "session `id` (default: a new UUID)")
	fs.StringVar(&f.vendorData, "vendor-data", "kycwatch-send", "`vendorData` in the payload")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "how long to wait for the answer")
	var rest []string
	f.kind, rest = leadingArg(args)
	if code, ok := parseCommand(fs, rest, "kycwatch send", ": the kind, then flags", stderr); !ok {
		return f, code, false
	}
	if f.timeout <= 0 {
		fmt.Fprintln(stderr, "kycwatch send: --timeout must be positive (e.g. 10s)")
		return f, 2, false
	}
	if err := refuseEmptyInput(fs, map[string]string{"secret": "VERIFF_SHARED_SECRET", "api-key": "VERIFF_API_KEY", "to": "", "db": "KYCWATCH_DB"},
		"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"); err != nil {
		fmt.Fprintln(stderr, "kycwatch send:", err)
		return f, 2, false
	}
	return f, 0, true
}

// destination is the URL send posts to, and where it came from: --to, else
// path on the running kycwatch (which must still be the one on its
// database), else on the default address. ok false: stop with code.
func (f sendFlags) destination(running runningKycwatch, path string, stderr io.Writer) (url, from string, code int, ok bool) {
	base, baseFrom := "http://127.0.0.1:8080", "the default (no kycwatch has run on "+running.db+")"
	if running.url != "" {
		base, baseFrom = running.url, "the kycwatch running on "+running.db
	}
	if f.to != "" {
		if !httpURL(f.to) {
			fmt.Fprintf(stderr, "kycwatch send: --to %q: want an http:// or https:// URL\n", f.to)
			return "", "", 2, false
		}
		return f.to, "--to", 0, true
	}
	url = strings.TrimRight(base, "/") + path
	if running.url == "" {
		return url, baseFrom, 0, true
	}
	// The address is where kycwatch last ran: make sure it still does,
	// rather than post to whatever took the port since.
	if err := isKycwatch(base, f.timeout, running.instance); errors.Is(err, errOtherKycwatch) {
		fmt.Fprintf(stderr, "kycwatch send: another kycwatch answers at %s now, not the one on %s (stopped?): start that one, or pass --db with the running one's database (--to sends there anyway)\n", base, running.db)
		return "", "", 1, false
	} else if err != nil {
		fmt.Fprintf(stderr, "kycwatch send: %s (where the kycwatch on %s last listened) does not answer as kycwatch: %v; is it running? (--to sends elsewhere)\n", base, running.db, err)
		return "", "", 1, false
	}
	return url, baseFrom, 0, true
}

// sendRequest sends req within timeout and prints the answer on stdout: exit
// status 0 for a 2xx, else 1.
func sendRequest(req *http.Request, timeout time.Duration, stdout, stderr io.Writer) int {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		fmt.Fprintln(stderr, "kycwatch send: no answer:", err)
		return 1
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(stdout, "← %s in %s\n", display.Safe(resp.Status), time.Since(start).Round(time.Millisecond))
	if len(answer) > 0 {
		fmt.Fprintln(stdout, printable(string(answer)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 1
	}
	return 0
}

// signWith fills the secret and API key send signs with when the flags and
// the environment left them empty: the ones the running kycwatch generated
// and keeps, unless it was given its own (then it says to pass the same).
// It returns where each came from.
func (running runningKycwatch) signWith(secret, apiKey *string) (secretFrom, apiKeyFrom string, err error) {
	secretFrom, apiKeyFrom = "--secret", "--api-key"
	if *secret == "" {
		secretFrom = "VERIFF_SHARED_SECRET"
	}
	if *apiKey == "" {
		apiKeyFrom = "VERIFF_API_KEY"
	}
	keysFromEnv(secret, apiKey)
	if *secret == "" {
		switch {
		case running.own["secret"] || running.own["sandbox-secret"]:
			return "", "", fmt.Errorf("the kycwatch on %s checks with the secret it was started with: pass the same --secret (or set VERIFF_SHARED_SECRET)", running.db)
		case running.secret == "":
			return "", "", errors.New("no secret to sign with: pass --secret, set VERIFF_SHARED_SECRET, or run kycwatch once (it generates one; --db says which)")
		}
		*secret, secretFrom = running.secret, "the one kycwatch generated, kept in "+running.db
	}
	if *apiKey == "" && running.own["api-key"] {
		return "", "", fmt.Errorf("the kycwatch on %s checks X-AUTH-CLIENT: pass the same --api-key (or set VERIFF_API_KEY)", running.db)
	}
	if *apiKey == "" && running.apiKey != "" && secretFrom != "--secret" && secretFrom != "VERIFF_SHARED_SECRET" {
		// Its simulator's key, which it checks once it made a session.
		*apiKey, apiKeyFrom = running.apiKey, "the one kycwatch generated, kept in "+running.db
	}
	return secretFrom, apiKeyFrom, nil
}

// sendPayload is the webhook of kind for a session, and where it goes.
func sendPayload(kind, sessionID, status, vendorData string) (path string, payload any, err error) {
	attempt, now := sessions.NewUUID(), time.Now()
	switch kind {
	case "event":
		payload, err = veriff.NewEvent(sessionID, attempt, cmp.Or(status, veriff.ActionSubmitted), vendorData, "")
		return "/veriff/events", payload, err
	case "decision":
		payload, err = simulator.DecisionPayload(sessionID, attempt, vendorData, cmp.Or(status, veriff.Approved), now.Add(-2*time.Minute), now.Add(-time.Minute), now)
		return "/veriff/decisions", payload, err
	case "user-status":
		return "/veriff/statuses", simulator.UserStatusPayload(sessionID, attempt, vendorData, cmp.Or(status, "Custom status for suspicious attempt"), now), nil
	}
	return "", nil, fmt.Errorf("say what to send: event, decision or user-status (got %q)", kind)
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
		return fmt.Errorf("it answered %s", display.Safe(resp.Status))
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

func defaultStatus(kind string) string {
	switch kind {
	case "event":
		return veriff.ActionSubmitted
	case "decision":
		return veriff.Approved
	}
	return "Custom status for suspicious attempt"
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
