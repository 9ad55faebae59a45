// Package forward sends deliveries on to the user's app: every delivery as it
// arrives (Forwarder, with retries that outlive a restart), and one again
// on demand (Replayer: as received, edited, or re-signed).
package forward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/sessions"
)

// Forwarder sends every delivery on to the user's app: same method, the
// path appended to the target's, the same headers and exact body bytes
// (so the app's own signature check is exercised), plus
// X-Kycwatch-Verified with kycwatch's verdict on the bytes sent. Deliveries
// of one session go in order; sessions do not wait for each other; the
// provider never waits for the app unless the answer is the app's
// (--answer app). When the app does not answer, or answers 5xx or 429, the
// forward is tried again with backoff (the session's later deliveries wait behind it), so a
// delivery that came while the app was down reaches it once it is back.
type Forwarder struct {
	Targets []string
	Timeout time.Duration
	HTTP    *http.Client
	Store   *sessions.Store
	Log     *slog.Logger
	// events hears each outcome, a sessions.Forward (the UI shows it on
	// the timeline).
	events sessions.Publisher
	// Attempts bounds how often a forward the app did not answer is tried
	// (DefaultAttempts); Backoff is the wait before try n+1 (n from 1).
	Attempts int
	Backoff  func(n int) time.Duration

	mu     sync.Mutex
	queues map[string]*queue // by session id
	wg     sync.WaitGroup
	ctx    context.Context
	stop   chan struct{} // closed by Close: no more waiting between tries
	closed sync.Once
}

// DefaultAttempts is how often a forward is tried while the app is down:
// with DefaultBackoff, over about six minutes.
const DefaultAttempts = 10

// DefaultBackoff doubles from 1s up to a minute.
func DefaultBackoff(n int) time.Duration {
	if n > 6 {
		return time.Minute
	}
	return min(time.Second<<(n-1), time.Minute)
}

type job struct {
	r       sessions.Record
	targets []string
	attempt int // the first try's number (more than 1 when resumed)
}

type queue struct {
	jobs []job
}

// maxResponse bounds what is kept of the app's answer.
const maxResponse = 4 << 10

// NewForwarder returns a forwarder to targets; its workers stop with ctx.
// Each outcome is stored, then published to events (nil for none).
func NewForwarder(ctx context.Context, targets []string, timeout time.Duration, store *sessions.Store, log *slog.Logger, events sessions.Publisher) *Forwarder {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Forwarder{Targets: targets, Timeout: timeout, Store: store, Log: log, ctx: ctx, events: events,
		Attempts: DefaultAttempts, Backoff: DefaultBackoff,
		HTTP: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // an app's redirect is its answer
		}},
		queues: map[string]*queue{}, stop: make(chan struct{})}
}

// Close ends the waits between tries (kycwatch is quitting): forwards in
// flight finish, and what was still to be tried is tried again by the next
// start's Resume.
func (f *Forwarder) Close() { f.closed.Do(func() { close(f.stop) }) }

// Resume tries again the forwards an earlier run left waiting for the app
// (their last try has a RetryIn): kycwatch restarted meanwhile, or was
// killed. Behind each, in order, go the later deliveries of its session
// that never reached that target: they were queued behind it. It returns
// how many it queued. Call it before the listener serves, so that what
// arrives goes behind what was left.
func (f *Forwarder) Resume(ctx context.Context) (int, error) {
	if f.Store == nil {
		return 0, nil
	}
	pending, err := f.Store.PendingForwards(ctx)
	if err != nil {
		return 0, err
	}
	type key struct {
		seq    int64
		target string
	}
	queued := map[key]bool{}
	n := 0
	for _, p := range pending {
		if queued[key{p.Seq, p.Target}] {
			continue
		}
		r, err := f.Store.Get(ctx, p.Seq)
		if err != nil {
			f.Log.Warn("resume forward", "seq", p.Seq, "err", err)
			continue
		}
		t, ok := f.targetOf(r, p.Target)
		if !ok {
			continue // a target this run was not given
		}
		f.enqueueFrom(r, []string{t}, p.Attempt+1)
		queued[key{p.Seq, p.Target}] = true
		n++
		later, err := f.behind(ctx, r, t)
		if err != nil {
			f.Log.Warn("resume forward", "seq", p.Seq, "err", err)
			continue
		}
		for _, l := range later {
			to, _ := Target(t, l.Path)
			if queued[key{l.Seq, to}] {
				continue
			}
			f.enqueueFrom(l, []string{t}, 1)
			queued[key{l.Seq, to}] = true
			n++
		}
	}
	return n, nil
}

// targetOf is the target (as given) a stored forward's URL was made from:
// the stored URL is the target's, with the delivery's path.
func (f *Forwarder) targetOf(r sessions.Record, url string) (string, bool) {
	for _, t := range f.Targets {
		if to, err := Target(t, r.Path); err == nil && to == url {
			return t, true
		}
	}
	return "", false
}

// behind returns the deliveries of r's session stored after it that never
// reached target t (no try recorded), oldest first.
func (f *Forwarder) behind(ctx context.Context, r sessions.Record, t string) ([]sessions.Record, error) {
	if r.Delivery.SessionID == "" {
		return nil, nil
	}
	seqs, err := f.Store.WebhooksAfter(ctx, r.Delivery.SessionID, r.Seq)
	if err != nil || len(seqs) == 0 {
		return nil, err
	}
	tried, err := f.Store.Forwards(ctx, seqs...)
	if err != nil {
		return nil, err
	}
	reached := map[int64]map[string]bool{}
	for _, fw := range tried {
		if reached[fw.Seq] == nil {
			reached[fw.Seq] = map[string]bool{}
		}
		reached[fw.Seq][fw.Target] = true
	}
	var out []sessions.Record
	for _, seq := range seqs {
		l, err := f.Store.Get(ctx, seq)
		if err != nil {
			return out, err
		}
		if to, err := Target(t, l.Path); err == nil && !reached[seq][to] {
			out = append(out, l)
		}
	}
	return out, nil
}

// Enqueue forwards r in the background, after the session's earlier ones.
func (f *Forwarder) Enqueue(r sessions.Record) { f.enqueue(r, f.Targets) }

// EnqueueRest forwards r in the background to every target but the first
// (which answered the provider already, with --answer app).
func (f *Forwarder) EnqueueRest(r sessions.Record) {
	if len(f.Targets) > 1 {
		f.enqueue(r, f.Targets[1:])
	}
}

func (f *Forwarder) enqueue(r sessions.Record, targets []string) { f.enqueueFrom(r, targets, 1) }

func (f *Forwarder) enqueueFrom(r sessions.Record, targets []string, attempt int) {
	key := r.Delivery.SessionID
	j := job{r, targets, attempt}
	f.mu.Lock()
	q := f.queues[key]
	if q != nil {
		q.jobs = append(q.jobs, j)
		f.mu.Unlock()
		return
	}
	q = &queue{jobs: []job{j}}
	f.queues[key] = q
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			f.mu.Lock()
			if len(q.jobs) == 0 || f.ctx.Err() != nil {
				left := q.jobs
				delete(f.queues, key)
				f.mu.Unlock()
				f.leftBehind(left)
				return
			}
			j := q.jobs[0]
			q.jobs = q.jobs[1:]
			f.mu.Unlock()
			for _, t := range j.targets {
				f.untilAnswered(t, j.r, j.attempt)
			}
		}
	}()
}

// leftBehind records the jobs kycwatch quit before trying as to be tried
// (a RetryIn, no try counted), so the next start's Resume sends them.
func (f *Forwarder) leftBehind(jobs []job) {
	for _, j := range jobs {
		for _, t := range j.targets {
			to, err := Target(t, j.r.Path)
			if err != nil {
				continue
			}
			f.Recorded(f.ctx, sessions.Forward{Seq: j.r.Seq, At: time.Now(), Target: to, Attempt: j.attempt - 1,
				Error: "not tried yet: kycwatch quit first", RetryIn: f.Backoff(max(j.attempt, 1))})
		}
	}
}

// untilAnswered forwards r to target, and again with backoff while the app
// does not answer, each try recorded (the last try's RetryIn is 0).
func (f *Forwarder) untilAnswered(target string, r sessions.Record, first int) {
	for n := first; ; n++ {
		fw, retriable := f.one(f.ctx, target, r)
		fw.Attempt = n
		wait := time.Duration(0)
		quitting := f.ctx.Err() != nil
		cut := quitting && fw.Status == 0 && fw.Error != ""
		if cut {
			// Cut by kycwatch quitting, not by the app: the next start
			// tries it again (Resume), and what was queued behind it,
			// even when this was the last try allowed.
			fw.Error = "kycwatch quit before the app answered"
		}
		if retriable && n < f.Attempts || cut {
			wait = f.Backoff(n)
			fw.RetryIn = wait
		}
		f.Recorded(f.ctx, fw)
		if wait == 0 || quitting {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-f.ctx.Done():
			t.Stop()
			return
		case <-f.stop: // quitting: the next start resumes it
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Wait waits for the forwards in flight.
func (f *Forwarder) Wait() { f.wg.Wait() }

// Send forwards r to every target now, once, and returns the outcomes,
// recorded; sentAs says what it is (a replay, edited, re-signed).
func (f *Forwarder) Send(ctx context.Context, r sessions.Record, sentAs sessions.SentAs) []sessions.Forward {
	var out []sessions.Forward
	for _, t := range f.Targets {
		fw, _ := f.one(ctx, t, r)
		fw.SentAs = sentAs
		f.Recorded(ctx, fw)
		out = append(out, fw)
	}
	return out
}

// Ask sends r, not stored yet, to the first target and returns the app's
// answer unrecorded: with --answer app it decides what the provider gets,
// and r is stored with it; then Recorded keeps the outcome.
func (f *Forwarder) Ask(ctx context.Context, r sessions.Record) sessions.Forward {
	fw, _ := f.one(ctx, f.Targets[0], r)
	fw.Attempt = 1
	return fw
}

// Recorded stores a forward's outcome (when its delivery is stored) and
// tells Done.
func (f *Forwarder) Recorded(ctx context.Context, fw sessions.Forward) {
	if f.Store != nil && fw.Seq > 0 {
		if err := f.Store.AddForward(context.WithoutCancel(ctx), fw); err != nil {
			f.Log.Error("store forward", "seq", fw.Seq, "err", err)
		}
	}
	if f.events != nil {
		f.events.Publish(fw)
	}
}

// hop-by-hop headers, and those net/http sets itself.
var notForwarded = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true,
	"Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Content-Length": true, "Host": true}

// Target is the URL a delivery to path goes to: the target's path, then
// the delivery's (query included).
func Target(target, path string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	p, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimRight(u.Path, "/") + p.Path
	if p.RawQuery != "" {
		u.RawQuery = p.RawQuery
	}
	return u.String(), nil
}

// one sends r to target once; retriable says the app gave no answer (down,
// or too slow) or failed (retriableStatus), as opposed to an answer on the
// delivery or a forward that cannot be made at all.
func (f *Forwarder) one(ctx context.Context, target string, r sessions.Record) (fw sessions.Forward, retriable bool) {
	fw = sessions.Forward{Seq: r.Seq, At: time.Now(), Target: target}
	to, err := Target(target, r.Path)
	if err != nil {
		fw.Error = "bad --forward-to URL: " + err.Error()
		return fw, false
	}
	fw.Target = to
	if r.Truncated {
		fw.Error = "not forwarded: the body was over the size limit, only its first bytes are kept"
		return fw, false
	}
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, cmpMethod(r.Method), to, bytes.NewReader(r.Body))
	if err != nil {
		fw.Error = err.Error()
		return fw, false
	}
	for k, vs := range r.Header {
		if notForwarded[http.CanonicalHeaderKey(k)] {
			continue
		}
		req.Header[k] = append([]string(nil), vs...)
	}
	if host := http.Header(r.Header).Get("Host"); host != "" {
		req.Header.Set("X-Forwarded-Host", host)
	}
	req.Header.Set("X-Kycwatch-Verified", string(r.Verdict.Signature))
	if r.Seq > 0 { // with --answer app the app is asked before the delivery is stored
		req.Header.Set("X-Kycwatch-Seq", fmt.Sprint(r.Seq))
	}
	start := time.Now()
	resp, err := f.HTTP.Do(req)
	fw.Latency = time.Since(start)
	if err != nil {
		fw.Error = plainForwardError(err)
		return fw, ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded)
	}
	defer resp.Body.Close()
	fw.Status = resp.StatusCode
	fw.Response, _ = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	return fw, retriableStatus(resp.StatusCode)
}

// retriableStatus says an answer is worth trying again, as a provider
// would: the app failed or is overloaded (5xx, 429), not refused the
// delivery itself (other 4xx), which another try would not change.
func retriableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

func cmpMethod(m string) string {
	if m == "" {
		return http.MethodPost
	}
	return m
}

func plainForwardError(err error) string {
	var t interface{ Timeout() bool }
	switch {
	case errors.As(err, &t) && t.Timeout():
		return "the app did not answer in time"
	case strings.Contains(err.Error(), "connection refused"):
		return "the app is not listening (connection refused)"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}
