// Package checklist runs Veriff's webhook test checklist against a user's
// endpoint: every decision and the events accepted, the security cases
// refused without crashing, unusual but valid formatting accepted (which
// an endpoint verifying a re-encoding of the body refuses), retries
// accepted, answers in time. It sends real signed requests, and each case
// claims only what the answer shows (its status code).
package checklist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// Config is the endpoint and the integration's keys.
type Config struct {
	URL    string
	Secret string // the shared secret the endpoint verifies with
	APIKey string // the API key it expects in X-AUTH-CLIENT ("" skips that case)
	// Limit is how long an answer may take. Veriff documents no timeout;
	// answering fast (store, then work) is the rule, and 10 s is what
	// VerifiMe allows.
	Limit time.Duration
	HTTP  *http.Client
	Now   func() time.Time
}

// Result is one case.
type Result struct {
	Case    string        `json:"case"`
	Pass    bool          `json:"pass"`
	Skipped bool          `json:"skipped,omitempty"`
	Status  int           `json:"status,omitempty"` // the last answer's status
	Latency time.Duration `json:"latency_ns"`       // the slowest answer
	Why     string        `json:"why,omitempty"`    // why it failed (or was skipped)
}

// answer is one request's outcome.
type answer struct {
	status  int
	latency time.Duration
	err     error // no answer at all: timeout, reset, refused
}

// Stopped is why a run ended early: the endpoint could not be reached
// (nothing answered at all), or it stopped answering after some cases.
type Stopped struct {
	URL   string
	After int    // cases answered before it stopped (0: nothing was listening)
	Case  string // the last case it answered
	Err   error
}

func (s *Stopped) Error() string {
	if s.After == 0 {
		if errors.Is(s.Err, syscall.ECONNREFUSED) {
			return fmt.Sprintf("nothing is listening at %s (%s)", s.URL, plain(s.Err))
		}
		return fmt.Sprintf("cannot connect to %s (%s)", s.URL, plain(s.Err))
	}
	return fmt.Sprintf("the endpoint stopped answering after case %d (%s): %s", s.After, s.Case, plain(s.Err))
}

// Run sends every case and returns the results in order. When the
// endpoint cannot be reached, it stops at once: the error is a *Stopped,
// and the results are the cases answered before.
func Run(ctx context.Context, c Config) ([]Result, error) {
	if c.Limit <= 0 {
		c.Limit = 10 * time.Second
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: c.Limit}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	r := &runner{c: c, ctx: ctx}
	session, attempt := sessions.NewUUID(), sessions.NewUUID()
	now := c.Now()
	if !r.lifecycle(session, attempt, now) || !r.badDeliveries(session, attempt) ||
		!r.oddFormatting(session, attempt) || !r.retry(now) {
		return r.out, r.stopped
	}
	return append(r.out, r.timing()), nil
}

// add keeps a case's result, unless its request could not be sent at all:
// then the run stops there (false).
func (r *runner) add(res Result, a ...answer) bool {
	for _, x := range a {
		if x.err != nil && isDial(x.err) {
			r.stopped = &Stopped{URL: r.c.URL, After: len(r.out), Err: x.err}
			if len(r.out) > 0 {
				r.stopped.Case = r.out[len(r.out)-1].Case
			}
			return false
		}
	}
	r.out = append(r.out, res)
	return true
}

// lifecycle: the events of a session, then every decision status, each
// accepted.
func (r *runner) lifecycle(session, attempt string, now time.Time) bool {
	for _, action := range []string{veriff.ActionStarted, veriff.ActionSubmitted} {
		ev, _ := veriff.NewEvent(session, attempt, action, "kycwatch-check", "")
		a := r.send(mustMarshal(ev), r.c.Secret, r.c.APIKey, true)
		if !r.add(r.accepted(fmt.Sprintf("event %d %s is accepted (2xx)", ev.Code, action), a), a) {
			return false
		}
	}
	for _, st := range sessions.DecisionStatuses {
		d, _ := simulator.DecisionPayload(session, attempt, "kycwatch-check", st, now.Add(-time.Minute), now.Add(-30*time.Second), now)
		a := r.send(mustMarshal(d), r.c.Secret, r.c.APIKey, true)
		if !r.add(r.accepted("decision "+st+" is accepted (2xx)", a), a) {
			return false
		}
	}
	return true
}

// badDeliveries: a wrong API key, a mismatched HMAC and no signature are
// refused; invalid JSON gets an answer.
func (r *runner) badDeliveries(session, attempt string) bool {
	c := r.c
	ev, _ := veriff.NewEvent(session, attempt, veriff.ActionSubmitted, "kycwatch-check", "")
	body := mustMarshal(ev)
	if c.APIKey == "" {
		r.out = append(r.out, Result{Case: "a wrong API key is refused (4xx)", Pass: true, Skipped: true,
			Why: "no API key given (--api-key): a wrong one cannot be told from the right one"})
	} else if a := r.send(body, c.Secret, sessions.NewUUID(), true); !r.add(r.refused("a wrong API key is refused (4xx)", a), a) {
		return false
	}
	if a := r.send(body, "not-"+c.Secret, c.APIKey, true); !r.add(r.refused("a mismatched HMAC is refused (4xx)", a), a) {
		return false
	}
	if a := r.send(body, c.Secret, c.APIKey, false); !r.add(r.refused("a delivery with no signature is refused (4xx)", a), a) {
		return false
	}
	broken := body[:len(body)/2]
	a := r.send(broken, c.Secret, c.APIKey, true)
	return r.add(r.survives("invalid JSON gets an answer, not a 5xx", a), a)
}

// oddFormatting: the same event, formatted as a sender might: indented,
// escaped characters, a field it has never seen. Signed over these bytes:
// an endpoint that verifies a re-encoding of the JSON refuses it.
func (r *runner) oddFormatting(session, attempt string) bool {
	odd := []byte("{\n  \"id\": \"" + session + "\",\n  \"attemptId\": \"" + attempt + "\",\n" +
		"  \"feature\": \"selfid\",\n  \"code\": 7002,\n  \"action\": \"submitted\",\n" +
		"  \"vendorData\": \"caf\\u00e9 \\/ \\\"quoted\\\" <&>\",\n  \"endUserId\": null,\n" +
		"  \"newFieldFromVeriff\": {\"nested\": [1, 2.50, true]}\n}\n")
	a := r.send(odd, r.c.Secret, r.c.APIKey, true)
	return r.add(r.accepted("unusual but valid formatting is accepted (2xx)", a), a)
}

// retry: the same delivery twice, accepted both times. A session of its
// own: the first copy must be new to the endpoint.
func (r *runner) retry(now time.Time) bool {
	d, _ := simulator.DecisionPayload(sessions.NewUUID(), sessions.NewUUID(), "kycwatch-check", sessions.StateApproved,
		now.Add(-time.Minute), now.Add(-30*time.Second), now)
	retry := mustMarshal(d)
	first, second := r.send(retry, r.c.Secret, r.c.APIKey, true), r.send(retry, r.c.Secret, r.c.APIKey, true)
	res := r.accepted("a retry (the same delivery twice) is accepted both times (2xx)", first)
	if res.Pass {
		res = r.accepted(res.Case, second)
		if !res.Pass {
			res.Why = "the second copy: " + res.Why
		}
	}
	res.Latency = max(first.latency, second.latency)
	return r.add(res, first, second)
}

// timing: every answer of the cases run came within the limit.
func (r *runner) timing() Result {
	slowest, slowCase := time.Duration(0), ""
	for _, x := range r.out {
		if x.Latency > slowest {
			slowest, slowCase = x.Latency, x.Case
		}
	}
	t := Result{Case: fmt.Sprintf("every answer comes within %s", r.c.Limit), Pass: slowest <= r.c.Limit && r.timeouts == 0, Latency: slowest}
	if !t.Pass {
		t.Why = fmt.Sprintf("the slowest took %s (%s)", slowest.Round(time.Millisecond), slowCase)
		if r.timeouts > 0 {
			t.Why = fmt.Sprintf("%d request(s) got no answer within %s", r.timeouts, r.c.Limit)
		}
	}
	return t
}

// isDial reports whether err is a failure to connect at all (refused, no
// such host, unreachable): nothing reached the endpoint.
func isDial(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

type runner struct {
	c        Config
	ctx      context.Context
	out      []Result // the cases' results so far, in order
	timeouts int
	stopped  *Stopped
}

// send posts body with Veriff's headers, signed with secret (or, when
// signed is false, with no signature header at all).
func (r *runner) send(body []byte, secret, apiKey string, signed bool) answer {
	req, err := http.NewRequestWithContext(r.ctx, http.MethodPost, r.c.URL, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "kycwatch-check/1")
	if apiKey != "" {
		req.Header.Set(veriff.ClientHeader, apiKey)
	}
	if signed {
		req.Header.Set(veriff.SignatureHeader, veriff.Sign(secret, body))
	}
	start := time.Now()
	resp, err := r.c.HTTP.Do(req)
	lat := time.Since(start)
	if err != nil {
		var t interface{ Timeout() bool }
		if errors.As(err, &t) && t.Timeout() {
			r.timeouts++
			return answer{latency: lat, err: fmt.Errorf("no answer within %s", r.c.Limit)}
		}
		return answer{latency: lat, err: err}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return answer{status: resp.StatusCode, latency: lat}
}

// accepted judges a case a 2xx passes.
func (r *runner) accepted(name string, a answer) Result {
	return a.judged(name, func(status int) string {
		switch {
		case status == http.StatusUnauthorized:
			return "answered 401 to a correctly signed delivery: check the secret and API key given here, or whether the endpoint verifies a re-encoded body"
		case status < 200 || status > 299:
			return fmt.Sprintf("answered %d: Veriff retries anything but 2xx for a week", status)
		}
		return ""
	})
}

// refused judges a case a 4xx passes.
func (r *runner) refused(name string, a answer) Result {
	return a.judged(name, func(status int) string {
		switch {
		case status >= 200 && status <= 299:
			return fmt.Sprintf("answered %d: a forged delivery was accepted", status)
		case status >= 500:
			return fmt.Sprintf("answered %d: refuse with a 4xx (401), not a server error", status)
		case status < 400:
			return fmt.Sprintf("answered %d: refuse with a 4xx (401)", status)
		}
		return ""
	})
}

// survives judges a case any answer but a 5xx passes.
func (r *runner) survives(name string, a answer) Result {
	res := a.judged(name, func(status int) string {
		if status >= 500 {
			return fmt.Sprintf("answered %d: bad input is the sender's fault (4xx), not a crash", status)
		}
		return ""
	})
	if a.err != nil {
		res.Why = "no answer (" + res.Why + "): the connection ended without one"
	}
	return res
}

// judged is a's result for the case name: failed with no answer, else
// failed when wrong says why its status is wrong, else passed.
func (a answer) judged(name string, wrong func(status int) string) Result {
	res := Result{Case: name, Status: a.status, Latency: a.latency}
	if a.err != nil {
		res.Why = plain(a.err)
		return res
	}
	res.Why = wrong(a.status)
	res.Pass = res.Why == ""
	return res
}

func plain(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.HasPrefix(s, "Post ") {
		s = s[i+2:]
	}
	return s
}

func mustMarshal(v any) []byte {
	b, err := webhook.Marshal(v)
	if err != nil {
		panic(err) // our own payload types always encode
	}
	return b
}

// Table writes the results for a terminal: one line per case, then a
// summary. It returns whether every case passed.
func Table(w io.Writer, results []Result) bool {
	ok, passed := true, 0
	width := 0
	for _, r := range results {
		width = max(width, len([]rune(r.Case)))
	}
	for _, r := range results {
		mark := "pass"
		switch {
		case r.Skipped:
			mark = "skip"
		case !r.Pass:
			mark, ok = "FAIL", false
		default:
			passed++
		}
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		lat := r.Latency.Round(time.Millisecond).String()
		if r.Latency > 0 && r.Latency < time.Millisecond {
			lat = "<1ms"
		}
		fmt.Fprintf(w, "%-4s  %-*s  %3s  %7s", mark, width, r.Case, status, lat)
		if r.Why != "" {
			fmt.Fprintf(w, "  %s", r.Why)
		}
		fmt.Fprintln(w)
	}
	skipped := 0
	for _, r := range results {
		if r.Skipped {
			skipped++
		}
	}
	fmt.Fprintf(w, "\n%d of %d cases passed", passed, len(results)-skipped)
	if skipped > 0 {
		fmt.Fprintf(w, " (%d skipped)", skipped)
	}
	fmt.Fprintln(w)
	return ok
}
