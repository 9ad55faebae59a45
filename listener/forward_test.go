package listener

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
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
	fwd   *Forwarder
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
	g.fwd = NewForwarder(ctx, []string{target}, 2*time.Second, st, nil, outcomes(func(f sessions.Forward) { g.mu.Lock(); g.done = append(g.done, f); g.mu.Unlock() }))
	srv := New(sessions.NewReceiver(st, decode.Keys{VeriffSecrets: []string{"sec"}}, nil), DefaultLimits, nil)
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
	code, _ := sendSigned(t, g.url+"/veriff/events", []byte(`{"id":"s1","code":7001,"action":"started","feature":"selfid"}`), nil)
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
	code, body := sendSigned(t, g.url+"/veriff/events", []byte(`{"id":"s1","code":7001,"action":"started","feature":"selfid"}`), nil)
	if code != 418 || body != "app says 418" {
		t.Fatalf("answered %d %q", code, body)
	}
	as.Close()
	code, body = sendSigned(t, g.url+"/veriff/events", []byte(`{"id":"s1","code":7002,"action":"submitted","feature":"selfid"}`), nil)
	if code != 502 || !strings.Contains(body, "the app did not answer") {
		t.Fatalf("app down: %d %q", code, body)
	}
	if _, total, _ := g.store.Recent(context.Background(), 10); total != 2 {
		t.Fatalf("stored %d", total)
	}
}

// outcomes hears the forwarder's published outcomes.
type outcomes func(sessions.Forward)

func (o outcomes) Publish(e any) {
	if f, ok := e.(sessions.Forward); ok {
		o(f)
	}
}
