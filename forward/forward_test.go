package forward_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/forward"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
)

// app is the user's application: it records what it was sent.
type app struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies [][]byte
	status int
	delay  time.Duration
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(a.delay)
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.reqs, a.bodies = append(a.reqs, r), append(a.bodies, b)
	status := a.status
	a.mu.Unlock()
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "app says %d", status)
}

func (a *app) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.reqs)
}

type fwdRig struct {
	url   string
	store *sessions.Store
	fwd   *forward.Forwarder
	mu    sync.Mutex
	done  []sessions.Forward
}

func newFwdRig(t *testing.T, target string, transparent bool) *fwdRig {
	t.Helper()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	g := &fwdRig{store: st}
	g.fwd = forward.NewForwarder(ctx, []string{target}, 2*time.Second, st, nil, outcomes(func(f sessions.Forward) { g.mu.Lock(); g.done = append(g.done, f); g.mu.Unlock() }))
	srv := listener.New(sessions.NewReceiver(st, decode.Keys{VeriffSecrets: []string{"sec"}}, nil), listener.DefaultLimits, nil)
	srv.Forward(g.fwd, transparent)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); cancel(); g.fwd.Wait() })
	g.url = hs.URL
	return g
}

func (g *fwdRig) waitDone(t *testing.T, n int) []sessions.Forward {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		if len(g.done) >= n {
			out := append([]sessions.Forward(nil), g.done...)
			g.mu.Unlock()
			return out
		}
		g.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("%d forwards, want %d", len(g.done), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func sendSigned(t *testing.T, url string, body []byte, extra map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-HMAC-SIGNATURE", decode.Sign("sec", body))
	req.Header.Set("X-AUTH-CLIENT", "the-api-key")
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestForwardKeepsBytesAndHeaders(t *testing.T) {
	a := &app{}
	as := httptest.NewServer(a)
	defer as.Close()
	g := newFwdRig(t, as.URL+"/hooks/", false)
	body := []byte("{\"id\":\"s1\",\"code\":7002,\"action\":\"submitted\",\"feature\":\"selfid\",\"vendorData\":\"caf\\u00e9\"}\n")
	if code, _ := sendSigned(t, g.url+"/veriff/events?x=1", body, map[string]string{"X-Custom": "kept"}); code != 200 {
		t.Fatalf("answered %d", code)
	}
	f := g.waitDone(t, 1)[0]
	if f.Status != 200 || f.Error != "" || f.Latency <= 0 || string(f.Response) != "app says 200" || f.Target != as.URL+"/hooks/veriff/events?x=1" {
		t.Fatalf("forward %+v", f)
	}
	a.mu.Lock()
	r, got := a.reqs[0], a.bodies[0]
	a.mu.Unlock()
	if string(got) != string(body) {
		t.Fatalf("body changed:\n%q\n%q", got, body)
	}
	if r.URL.Path != "/hooks/veriff/events" || r.URL.RawQuery != "x=1" || r.Method != "POST" {
		t.Errorf("sent to %s %s", r.Method, r.URL)
	}
	if r.Header.Get("X-Hmac-Signature") != decode.Sign("sec", body) || r.Header.Get("X-Auth-Client") != "the-api-key" ||
		r.Header.Get("X-Custom") != "kept" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	if r.Header.Get("X-Kycwatch-Verified") != "valid" || r.Header.Get("X-Forwarded-Host") == "" {
		t.Errorf("kycwatch headers %v", r.Header)
	}
	stored, err := g.store.Forwards(context.Background(), 1)
	if err != nil || len(stored) != 1 || stored[0].Status != 200 || stored[0].Latency != f.Latency {
		t.Fatalf("stored %+v %v", stored, err)
	}
}

func TestForwardKeepsEachSessionsOrder(t *testing.T) {
	a := &app{delay: 2 * time.Millisecond}
	as := httptest.NewServer(a)
	defer as.Close()
	g := newFwdRig(t, as.URL, false)
	const n = 30
	for i := range n {
		session := []string{"a", "b", "c"}[i%3]
		sendSigned(t, g.url+"/veriff/events", []byte(fmt.Sprintf(`{"id":"%s","code":7001,"action":"started","feature":"selfid","n":%d}`, session, i)), nil)
	}
	g.waitDone(t, n)
	a.mu.Lock()
	defer a.mu.Unlock()
	last := map[string]int{}
	for i, r := range a.reqs {
		seq, _ := strconv.Atoi(r.Header.Get("X-Kycwatch-Seq"))
		session := string(a.bodies[i][7:8])
		if seq <= last[session] {
			t.Fatalf("session %s: #%d after #%d", session, seq, last[session])
		}
		last[session] = seq
	}
}

func TestADownAppLosesNothing(t *testing.T) {
	as := httptest.NewServer(&app{})
	down := as.URL
	as.Close()
	g := newFwdRig(t, down, false)
	code, _ := sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	if code != 200 {
		t.Fatalf("the provider got %d because the app is down", code)
	}
	f := g.waitDone(t, 1)[0]
	if f.Status != 0 || !strings.Contains(f.Error, "not listening") || f.OK() {
		t.Fatalf("forward %+v", f)
	}
	if _, total, _ := g.store.Recent(context.Background(), 10); total != 1 {
		t.Fatalf("stored %d deliveries", total)
	}
}

func TestTransparentAnswersWithTheApp(t *testing.T) {
	a := &app{status: 418}
	as := httptest.NewServer(a)
	g := newFwdRig(t, as.URL, true)
	code, body := sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	if code != 418 || body != "app says 418" {
		t.Fatalf("answered %d %q", code, body)
	}
	as.Close()
	code, body = sendSigned(t, g.url+"/veriff/events", []byte(submitted), nil)
	if code != 502 || !strings.Contains(body, "the app did not answer") {
		t.Fatalf("app down: %d %q", code, body)
	}
	if _, total, _ := g.store.Recent(context.Background(), 10); total != 2 {
		t.Fatalf("stored %d", total)
	}
}

// TestTransparentStoresWhatTheProviderGot: with --answer app the stored
// record (and so the UI and the NDJSON status) is the app's answer, with
// kycwatch's own verdict kept beside it; an oversized body gets 413, as
// without forwarding, and is not sent to the app.
func TestTransparentStoresWhatTheProviderGot(t *testing.T) {
	a := &app{status: 500}
	as := httptest.NewServer(a)
	g := newFwdRig(t, as.URL, true)
	code, _ := sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	if code != 500 {
		t.Fatalf("answered %d", code)
	}
	as.Close()
	if code, _ = sendSigned(t, g.url+"/veriff/events", []byte(submitted), nil); code != 502 {
		t.Fatalf("app down: answered %d", code)
	}
	big := []byte(`{"id":"s1","pad":"` + strings.Repeat("x", int(listener.DefaultLimits.MaxBody)) + `"}`)
	if code, _ = sendSigned(t, g.url+"/veriff/events", big, nil); code != 413 {
		t.Fatalf("oversized: answered %d, want 413", code)
	}
	recs, _, err := g.store.Recent(context.Background(), 10)
	if err != nil || len(recs) != 3 {
		t.Fatalf("stored %d %v", len(recs), err)
	}
	for i, want := range []struct{ answered, verdict int }{{500, 200}, {502, 200}, {413, 413}} {
		r := recs[i]
		if r.ProviderStatus() != want.answered || r.Status != want.verdict {
			t.Errorf("#%d: provider got %d, kycwatch's verdict %d; want %d and %d", r.Seq, r.ProviderStatus(), r.Status, want.answered, want.verdict)
		}
		line := string(r.MarshalLine())
		if !strings.Contains(line, fmt.Sprintf(`"status":%d,`, want.answered)) || !strings.Contains(line, fmt.Sprintf(`"kycwatch_status":%d`, want.verdict)) {
			t.Errorf("line %s", line)
		}
	}
	g.waitDone(t, 3) // the oversized one's is recorded in the background
	fws, _ := g.store.Forwards(context.Background(), 1, 2, 3)
	if len(fws) != 3 || fws[0].Seq != 1 || fws[0].Status != 500 || fws[1].Seq != 2 || fws[1].Error == "" || !strings.Contains(fws[2].Error, "not forwarded") {
		t.Errorf("forwards recorded %+v", fws)
	}
}

// TestForwardsWaitForTheAppToComeBack: a delivery that came while the app
// was down is tried again with backoff, each try recorded with when the
// next comes, and reaches the app once it answers; the session's later
// deliveries follow it in order.
func TestForwardsWaitForTheAppToComeBack(t *testing.T) {
	addr := downAddr(t) // down for now, at a known address
	g := newFwdRig(t, "http://"+addr, false)
	tries := make(chan int, 100)
	g.fwd.Backoff = func(n int) time.Duration { tries <- n; return time.Millisecond }
	sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	sendSigned(t, g.url+"/veriff/events", []byte(submitted), nil)
	for n := range 3 {
		if got := <-tries; got != n+1 {
			t.Fatalf("try %d, want %d", got, n+1)
		}
	}
	a := &app{}
	up, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skip("the port was taken meanwhile:", err)
	}
	hs := &httptest.Server{Listener: up, Config: &http.Server{Handler: a}}
	hs.Start()
	defer hs.Close()
	deadline := time.Now().Add(10 * time.Second)
	for a.count() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	a.mu.Lock()
	if len(a.bodies) != 2 || !strings.Contains(string(a.bodies[0]), "7001") || !strings.Contains(string(a.bodies[1]), "7002") {
		t.Fatalf("the app got %q", a.bodies)
	}
	a.mu.Unlock()
	fws, _ := g.store.Forwards(context.Background(), 1)
	last := fws[len(fws)-1]
	if len(fws) < 4 || fws[0].Error == "" || fws[0].RetryIn <= 0 || fws[0].Attempt != 1 || !last.OK() || last.Attempt != len(fws) || last.RetryIn != 0 {
		t.Errorf("tries of #1: %+v", fws)
	}
}

// TestForwardTriesAreBounded: an app that never comes back is tried
// Attempts times; the last try says no more will come.
func TestForwardTriesAreBounded(t *testing.T) {
	as := httptest.NewServer(&app{})
	down := as.URL
	as.Close()
	g := newFwdRig(t, down, false)
	g.fwd.Attempts = 3
	g.fwd.Backoff = func(int) time.Duration { return time.Millisecond }
	sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	fs := g.waitDone(t, 3)
	if fs[0].RetryIn == 0 || fs[1].RetryIn == 0 || fs[2].RetryIn != 0 || fs[2].Attempt != 3 {
		t.Errorf("tries %+v", fs)
	}
	time.Sleep(20 * time.Millisecond)
	if n := len(g.waitDone(t, 3)); n != 3 {
		t.Errorf("%d tries, want 3", n)
	}
}

// TestForwardsCutOffByAQuitResumeAtStart: kycwatch quitting stops the
// waits between tries at once (Close), and the next start tries again
// what was still to be tried, so a restart loses nothing either.
func TestForwardsCutOffByAQuitResumeAtStart(t *testing.T) {
	g, addr := waitingAnHour(t)
	g.fwd.Close()
	g.fwd.Wait() // returns: the hour is not waited out

	a := &app{}
	up, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skip("the port was taken meanwhile:", err)
	}
	hs := &httptest.Server{Listener: up, Config: &http.Server{Handler: a}}
	hs.Start()
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan sessions.Forward, 4)
	next := forward.NewForwarder(ctx, []string{"http://" + addr + "/hooks"}, 2*time.Second, g.store, nil, outcomes(func(f sessions.Forward) { done <- f }))
	if n, err := next.Resume(ctx); err != nil || n != 1 {
		t.Fatalf("resumed %d, %v", n, err)
	}
	f := <-done
	next.Wait()
	if !f.OK() || f.Attempt != 2 || a.count() != 1 || a.reqs[0].URL.Path != "/hooks/veriff/events" {
		t.Errorf("resumed try %+v; the app got %d", f, a.count())
	}
	if n, _ := next.Resume(ctx); n != 0 {
		t.Errorf("resumed %d again", n)
	}
}

// outcomes hears the forwarder's published outcomes.
type outcomes func(sessions.Forward)

func (o outcomes) Publish(e any) {
	if f, ok := e.(sessions.Forward); ok {
		o(f)
	}
}

// TestForwardsRetryAnAppThatErrs: an app that answers 5xx (restarting,
// failing) or 429 is tried again like an app that is down, as a provider
// retries; a 4xx is the app's answer on the delivery itself and is not.
func TestForwardsRetryAnAppThatErrs(t *testing.T) {
	var mu sync.Mutex
	answers := map[string][]int{"s1": {503, 500, 429, 200}, "s2": {401, 200}}
	got := map[string]int{}
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := "s2"
		if strings.Contains(string(body), `"s1"`) {
			id = "s1"
		}
		mu.Lock()
		code := answers[id][min(got[id], len(answers[id])-1)]
		got[id]++
		mu.Unlock()
		w.WriteHeader(code)
	}))
	defer as.Close()
	g := newFwdRig(t, as.URL, false)
	g.fwd.Backoff = func(int) time.Duration { return time.Millisecond }
	sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	sendSigned(t, g.url+"/veriff/events", []byte(`{"id":"s2","code":7001,"action":"started","feature":"selfid"}`), nil)
	g.waitDone(t, 5)
	time.Sleep(20 * time.Millisecond)
	fws, _ := g.store.Forwards(context.Background(), 1)
	if len(fws) != 4 || fws[0].Status != 503 || fws[0].RetryIn == 0 || fws[2].Status != 429 || fws[3].Status != 200 || fws[3].RetryIn != 0 || fws[3].Attempt != 4 {
		t.Errorf("tries of #1 (503, 500, 429, then 200): %+v", fws)
	}
	fws, _ = g.store.Forwards(context.Background(), 2)
	if len(fws) != 1 || fws[0].Status != 401 || fws[0].RetryIn != 0 {
		t.Errorf("tries of #2 (401 is the app's answer, not retried): %+v", fws)
	}
}

// TestQueuedForwardsResumeAtStart: deliveries waiting behind their
// session's failing forward (never tried: the app was down) are sent at
// the next start too, after it and in order; a delivery of another session
// already forwarded is not sent again.
func TestQueuedForwardsResumeAtStart(t *testing.T) {
	g, addr := waitingAnHour(t)
	sendSigned(t, g.url+"/veriff/events", []byte(submitted), nil)
	sendSigned(t, g.url+"/veriff/decisions", []byte(`{"status":"success","verification":{"id":"s1","code":9001,"status":"approved"}}`), nil)
	// kycwatch is killed here: the forwarder is left waiting its hour, the
	// two later deliveries queued in its memory, never tried.

	a := &app{}
	up, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skip("the port was taken meanwhile:", err)
	}
	hs := &httptest.Server{Listener: up, Config: &http.Server{Handler: a}}
	hs.Start()
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	next := forward.NewForwarder(ctx, []string{"http://" + addr + "/hooks"}, 2*time.Second, g.store, nil, nil)
	if n, err := next.Resume(ctx); err != nil || n != 3 {
		t.Fatalf("resumed %d, %v; want the failed one and the two behind it", n, err)
	}
	next.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.bodies) != 3 || !strings.Contains(string(a.bodies[0]), "7001") || !strings.Contains(string(a.bodies[1]), "7002") ||
		!strings.Contains(string(a.bodies[2]), "approved") || a.reqs[2].URL.Path != "/hooks/veriff/decisions" {
		t.Errorf("the app got %q", a.bodies)
	}
}

// TestAForwardCutByQuittingResumes: a forward in flight when kycwatch
// quits (the app slow to answer) is recorded as to be tried again, so the
// next start sends it, and the deliveries queued behind it, in order.
func TestAForwardCutByQuittingResumes(t *testing.T) {
	st, slow := quitMidForward(t, 0, started, submitted)
	fws, _ := st.Forwards(context.Background(), 1, 2)
	if len(fws) != 2 || fws[0].Seq != 1 || fws[0].RetryIn == 0 || fws[1].Seq != 2 || fws[1].RetryIn == 0 || fws[1].Attempt != 0 {
		t.Fatalf("recorded %+v; want #1's cut try and #2 never tried, both to be tried again", fws)
	}
	a := &app{}
	up := httptest.NewServer(a)
	defer up.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	next := forward.NewForwarder(ctx2, []string{slow.URL}, 2*time.Second, st, nil, nil)
	next.Targets = []string{slow.URL} // the same target, now answering through a proxy below
	next.HTTP = &http.Client{Transport: &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return url.Parse(up.URL) }}}
	if n, err := next.Resume(ctx2); err != nil || n != 2 {
		t.Fatalf("resumed %d, %v; want 2", n, err)
	}
	next.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.bodies) != 2 || !strings.Contains(string(a.bodies[0]), "7001") || !strings.Contains(string(a.bodies[1]), "7002") {
		t.Errorf("the app got %q", a.bodies)
	}
}

// TestTheLastTryCutByQuittingResumes: a try cut by kycwatch quitting does
// not use up the last attempt: the next start sends it, and what was
// queued behind it.
func TestTheLastTryCutByQuittingResumes(t *testing.T) {
	st, slow := quitMidForward(t, 1, started, submitted)
	ctx2, cancel := context.WithCancel(context.Background())
	defer cancel()
	next := forward.NewForwarder(ctx2, []string{slow.URL}, time.Second, st, nil, nil)
	next.Close() // no waiting between tries here: only what Resume queues counts
	if n, err := next.Resume(ctx2); err != nil || n != 2 {
		t.Errorf("resumed %d (%v), want the cut try and the one behind it", n, err)
	}
}

// TestForwardsNotTriedBeforeQuittingResume: deliveries of a session still
// queued when kycwatch quits (never tried: the one before them was with
// the app) are recorded as to be tried, and the next start sends all of
// them, in order.
func TestForwardsNotTriedBeforeQuittingResume(t *testing.T) {
	st, slow := quitMidForward(t, 0, started, submitted, `{"status":"success","verification":{"id":"s1","code":9001,"status":"approved"}}`)
	fws, _ := st.Forwards(context.Background(), 2, 3)
	if len(fws) != 2 || fws[0].RetryIn == 0 || fws[1].RetryIn == 0 || fws[0].Attempt != 0 {
		t.Fatalf("the two never tried are recorded %+v", fws)
	}
	a := &app{}
	up := httptest.NewServer(a)
	defer up.Close()
	ctx2, cancel := context.WithCancel(context.Background())
	defer cancel()
	next := forward.NewForwarder(ctx2, []string{slow.URL}, 2*time.Second, st, nil, nil)
	next.HTTP = &http.Client{Transport: &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return url.Parse(up.URL) }}}
	if n, err := next.Resume(ctx2); err != nil || n != 3 {
		t.Fatalf("resumed %d (%v), want 3", n, err)
	}
	next.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.bodies) != 3 || !strings.Contains(string(a.bodies[0]), "7001") || !strings.Contains(string(a.bodies[1]), "7002") || !strings.Contains(string(a.bodies[2]), "approved") {
		t.Errorf("the app got %q", a.bodies)
	}
}

// Two deliveries of session s1, as the quitting tests send them.
const (
	started   = `{"id":"s1","code":7001,"action":"started","feature":"selfid"}`
	submitted = `{"id":"s1","code":7002,"action":"submitted","feature":"selfid"}`
)

// quitMidForward runs kycwatch's listener with a forwarder to an app that
// never answers (slow), sends bodies, and quits while the first is with the
// app: what the next start finds is in the store it returns. attempts, when
// not 0, bounds the forwarder's tries.
func quitMidForward(t *testing.T, attempts int, bodies ...string) (st *sessions.Store, slow *httptest.Server) {
	t.Helper()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	slow = httptest.NewServer(&app{delay: time.Hour})
	t.Cleanup(slow.CloseClientConnections)
	ctx, quit := context.WithCancel(context.Background())
	fwd := forward.NewForwarder(ctx, []string{slow.URL}, time.Hour, st, nil, nil)
	if attempts > 0 {
		fwd.Attempts = attempts
	}
	srv := listener.New(sessions.NewReceiver(st, decode.Keys{VeriffSecrets: []string{"sec"}}, nil), listener.DefaultLimits, nil)
	srv.Forward(fwd, false)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	for _, b := range bodies {
		sendSigned(t, hs.URL+"/veriff/events", []byte(b), nil)
	}
	time.Sleep(50 * time.Millisecond) // the first is with the app
	quit()
	fwd.Close()
	fwd.Wait()
	return st, slow
}

// downAddr is an address where nothing listens: an app that is down.
func downAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitingAnHour forwards to an app that is down at addr: s1's started has
// had its first try, and the next waits an hour (only Close ends that
// wait).
func waitingAnHour(t *testing.T) (g *fwdRig, addr string) {
	t.Helper()
	addr = downAddr(t)
	g = newFwdRig(t, "http://"+addr+"/hooks", false)
	g.fwd.Backoff = func(int) time.Duration { return time.Hour }
	sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	if f := g.waitDone(t, 1)[0]; f.RetryIn != time.Hour {
		t.Fatalf("first try %+v", f)
	}
	return g, addr
}
