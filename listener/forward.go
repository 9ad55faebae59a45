package listener

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
// X-Kycwatch-Verified with kycwatch's verdict. Deliveries of one session
// go in order; sessions do not wait for each other; the provider never
// waits for the app unless the answer is the app's (Transparent).
type Forwarder struct {
	Targets []string
	Timeout time.Duration
	HTTP    *http.Client
	Store   *sessions.Store
	Log     *slog.Logger
	// events hears each outcome, a sessions.Forward (the UI shows it on
	// the timeline).
	events sessions.Publisher

	mu     sync.Mutex
	queues map[string]*queue // by session id
	wg     sync.WaitGroup
	ctx    context.Context
}

type queue struct {
	jobs []sessions.Record
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
		HTTP: &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // an app's redirect is its answer
		}},
		queues: map[string]*queue{}}
}

// Enqueue forwards r in the background, after the session's earlier ones.
func (f *Forwarder) Enqueue(r sessions.Record) {
	key := r.Delivery.SessionID
	f.mu.Lock()
	q := f.queues[key]
	if q != nil {
		q.jobs = append(q.jobs, r)
		f.mu.Unlock()
		return
	}
	q = &queue{jobs: []sessions.Record{r}}
	f.queues[key] = q
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			f.mu.Lock()
			if len(q.jobs) == 0 || f.ctx.Err() != nil {
				delete(f.queues, key)
				f.mu.Unlock()
				return
			}
			job := q.jobs[0]
			q.jobs = q.jobs[1:]
			f.mu.Unlock()
			f.Send(f.ctx, job, false)
		}
	}()
}

// Wait waits for the forwards in flight.
func (f *Forwarder) Wait() { f.wg.Wait() }

// Send forwards r to every target now and returns the outcomes, recorded.
func (f *Forwarder) Send(ctx context.Context, r sessions.Record, replay bool) []sessions.Forward {
	var out []sessions.Forward
	for _, t := range f.Targets {
		fw := f.one(ctx, t, r)
		fw.Replay = replay
		if f.Store != nil && r.Seq > 0 {
			if err := f.Store.AddForward(context.WithoutCancel(ctx), fw); err != nil {
				f.Log.Error("store forward", "seq", r.Seq, "err", err)
			}
		}
		if f.events != nil {
			f.events.Publish(fw)
		}
		out = append(out, fw)
	}
	return out
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

func (f *Forwarder) one(ctx context.Context, target string, r sessions.Record) sessions.Forward {
	fw := sessions.Forward{Seq: r.Seq, At: time.Now(), Target: target}
	to, err := Target(target, r.Path)
	if err != nil {
		fw.Error = "bad --forward-to URL: " + err.Error()
		return fw
	}
	fw.Target = to
	if r.Truncated {
		fw.Error = "not forwarded: the body was over the size limit, only its first bytes are kept"
		return fw
	}
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, cmpMethod(r.Method), to, bytes.NewReader(r.Body))
	if err != nil {
		fw.Error = err.Error()
		return fw
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
	req.Header.Set("X-Kycwatch-Seq", fmt.Sprint(r.Seq))
	start := time.Now()
	resp, err := f.HTTP.Do(req)
	fw.Latency = time.Since(start)
	if err != nil {
		fw.Error = plainForwardError(err)
		return fw
	}
	defer resp.Body.Close()
	fw.Status = resp.StatusCode
	fw.Response, _ = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	return fw
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
