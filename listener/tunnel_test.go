package listener

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions"
)

// fakeEndpoint is a real TCP listener on 127.0.0.1 that claims a public URL,
// standing in for ngrok's endpoint.
type fakeEndpoint struct {
	net.Listener
	url *url.URL
}

func (e fakeEndpoint) URL() *url.URL { return e.url }

// fakeTunnel opens fake endpoints; open decides what each call does.
type fakeTunnel struct {
	mu    sync.Mutex
	calls int
	open  func(call int, ctx context.Context, changes func(TunnelStatus)) (Endpoint, error)
}

func (f *fakeTunnel) Open(ctx context.Context, changes func(TunnelStatus)) (Endpoint, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.mu.Unlock()
	return f.open(n, ctx, changes)
}

func newFakeEndpoint(t *testing.T, public string) fakeEndpoint {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(public)
	return fakeEndpoint{l, u}
}

// statuses collects what Publish reports and lets a test wait for a state.
type statuses struct {
	mu   sync.Mutex
	list []TunnelStatus
	seen int // waitFor consumes the list in order
	ch   chan struct{}
}

func newStatuses() *statuses { return &statuses{ch: make(chan struct{}, 100)} }

func (s *statuses) report(st TunnelStatus) {
	s.mu.Lock()
	s.list = append(s.list, st)
	s.mu.Unlock()
	s.ch <- struct{}{}
}

func (s *statuses) waitFor(t *testing.T, state TunnelState) TunnelStatus {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		for ; s.seen < len(s.list); s.seen++ {
			if s.list[s.seen].State == state {
				st := s.list[s.seen]
				s.seen++
				s.mu.Unlock()
				return st
			}
		}
		s.mu.Unlock()
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("no %s status; got %+v", state, s.list)
		}
	}
}

type tunnelRig struct {
	srv   *Server
	local string
	store *sessions.Store
}

func newTunnelRig(t *testing.T) *tunnelRig {
	t.Helper()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := New(sessions.NewReceiver(st, decode.Keys{}, nil), DefaultLimits, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &tunnelRig{srv: srv, local: URL(l), store: st}
}

func postTo(t *testing.T, base, path string) int {
	t.Helper()
	resp, err := http.Post(base+path, "application/json", strings.NewReader(`{"id":"s1","feature":"selfid","code":7001,"action":"started"}`))
	if err != nil {
		t.Fatalf("POST %s%s: %v", base, path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestPublishServesTheHandlerOnBothListeners(t *testing.T) {
	g := newTunnelRig(t)
	ep := newFakeEndpoint(t, "https://kyc-demo.ngrok.test")
	ft := &fakeTunnel{open: func(int, context.Context, func(TunnelStatus)) (Endpoint, error) { return ep, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := newStatuses()
	go g.srv.Publish(ctx, ft, time.Second, st.report)

	if got := st.waitFor(t, TunnelConnecting); got.URL != "" {
		t.Errorf("connecting with a URL: %+v", got)
	}
	on := st.waitFor(t, TunnelOnline)
	if on.URL != "https://kyc-demo.ngrok.test" {
		t.Fatalf("online URL = %q", on.URL)
	}
	if code := postTo(t, "http://"+ep.Addr().String(), "/veriff/events"); code != 200 {
		t.Errorf("through the tunnel: %d", code)
	}
	if code := postTo(t, g.local, "/veriff/decisions"); code != 200 {
		t.Errorf("local: %d", code)
	}
	recs, total, err := g.store.Recent(context.Background(), 10)
	if err != nil || total != 2 {
		t.Fatalf("stored %d (%v), want 2", total, err)
	}
	if recs[0].Path != "/veriff/events" || recs[1].Path != "/veriff/decisions" {
		t.Errorf("paths %q %q", recs[0].Path, recs[1].Path)
	}
	want := []string{"https://kyc-demo.ngrok.test/veriff/events", "https://kyc-demo.ngrok.test/veriff/decisions",
		"https://kyc-demo.ngrok.test/veriff/statuses", "https://kyc-demo.ngrok.test/veriff/watchlist"}
	if got := PublicURLs(on.URL); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("PublicURLs = %v", got)
	}
}

func TestPublishFailureKeepsTheLocalListener(t *testing.T) {
	g := newTunnelRig(t)
	ft := &fakeTunnel{open: func(int, context.Context, func(TunnelStatus)) (Endpoint, error) {
		return nil, &TunnelError{Reason: "no public URL: ngrok rejected the authtoken (ERR_NGROK_107)", Hint: "copy it again"}
	}}
	st := newStatuses()
	done := make(chan struct{})
	go func() { g.srv.Publish(context.Background(), ft, time.Second, st.report); close(done) }()
	f := st.waitFor(t, TunnelFailed)
	if !strings.Contains(f.Reason, "ERR_NGROK_107") || f.Hint != "copy it again" || f.URL != "" {
		t.Errorf("failed status %+v", f)
	}
	select {
	case <-done: // a tunnel that never opened is not retried
	case <-time.After(5 * time.Second):
		t.Fatal("Publish kept going after a failure to open")
	}
	if ft.calls != 1 {
		t.Errorf("opened %d times", ft.calls)
	}
	if code := postTo(t, g.local, "/veriff/events"); code != 200 {
		t.Errorf("local after failure: %d", code)
	}
}

func TestPublishIsBoundedByTheTimeout(t *testing.T) {
	g := newTunnelRig(t)
	ft := &fakeTunnel{open: func(_ int, ctx context.Context, _ func(TunnelStatus)) (Endpoint, error) {
		<-ctx.Done() // like ngrok offline: retries until told to stop
		return nil, fmt.Errorf("failed to connect: %w", ctx.Err())
	}}
	st := newStatuses()
	start := time.Now()
	go g.srv.Publish(context.Background(), ft, 200*time.Millisecond, st.report)
	f := st.waitFor(t, TunnelFailed)
	if !strings.Contains(f.Reason, "did not open within 200ms") || !strings.Contains(f.Hint, "--tunnel-timeout") {
		t.Errorf("timeout status %+v", f)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if code := postTo(t, g.local, "/veriff/events"); code != 200 {
		t.Errorf("local after timeout: %d", code)
	}
}

func TestPublishShowsDropsAndReopens(t *testing.T) {
	saved := reopenDelays
	reopenDelays = []time.Duration{10 * time.Millisecond}
	defer func() { reopenDelays = saved }()

	g := newTunnelRig(t)
	first := newFakeEndpoint(t, "https://one.ngrok.test")
	second := newFakeEndpoint(t, "https://two.ngrok.test")
	drop := make(chan struct{}) // closed once the test has seen the tunnel online
	ft := &fakeTunnel{open: func(call int, _ context.Context, changes func(TunnelStatus)) (Endpoint, error) {
		switch call {
		case 1:
			// ngrok reconnecting its session while the endpoint stays
			go func() {
				<-drop
				changes(TunnelStatus{State: TunnelReconnecting, URL: "https://one.ngrok.test", Reason: "ngrok connection lost: EOF"})
				changes(TunnelStatus{State: TunnelOnline, URL: "https://one.ngrok.test"})
			}()
			return first, nil
		case 2:
			return nil, errors.New("failed to connect: connection refused")
		default:
			return second, nil
		}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := newStatuses()
	go g.srv.Publish(ctx, ft, time.Second, st.report)

	st.waitFor(t, TunnelOnline)
	close(drop)
	r := st.waitFor(t, TunnelReconnecting)
	if !strings.Contains(r.Reason, "connection lost") || r.URL != "https://one.ngrok.test" {
		t.Errorf("session drop %+v", r)
	}
	st.waitFor(t, TunnelOnline)

	first.Listener.Close() // the endpoint closes for good
	r = st.waitFor(t, TunnelReconnecting)
	if !strings.Contains(r.Reason, "the tunnel closed") {
		t.Errorf("endpoint drop %+v", r)
	}
	if code := postTo(t, g.local, "/veriff/events"); code != 200 {
		t.Errorf("local while the tunnel is down: %d", code)
	}
	r = st.waitFor(t, TunnelReconnecting) // the failed reopen, still retrying
	if !strings.Contains(r.Reason, "connection refused") {
		t.Errorf("failed reopen %+v", r)
	}
	if on := st.waitFor(t, TunnelOnline); on.URL != "https://two.ngrok.test" {
		t.Errorf("reopened at %q", on.URL)
	}
	if code := postTo(t, "http://"+second.Addr().String(), "/veriff/events"); code != 200 {
		t.Errorf("through the reopened tunnel: %d", code)
	}
}

func TestPublishStopsWithTheContext(t *testing.T) {
	g := newTunnelRig(t)
	ep := newFakeEndpoint(t, "https://kyc.ngrok.test")
	ft := &fakeTunnel{open: func(int, context.Context, func(TunnelStatus)) (Endpoint, error) { return ep, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	st := newStatuses()
	done := make(chan struct{})
	go func() { g.srv.Publish(ctx, ft, time.Second, st.report); close(done) }()
	st.waitFor(t, TunnelOnline)
	cancel()
	sctx, c2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer c2()
	g.srv.Shutdown(sctx)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish did not return after shutdown")
	}
	if _, err := net.Dial("tcp", ep.Addr().String()); err == nil {
		t.Error("the tunnel endpoint is still open after shutdown")
	}
}

// codedErr is shaped like ngrok's errors: a message and an ERR_NGROK code.
type codedErr struct{ code, msg string }

func (e codedErr) Error() string     { return e.msg + "\n\n" + e.code }
func (e codedErr) ErrorCode() string { return e.code }
func (e codedErr) Msg() string       { return e.msg }

func TestExplainNgrok(t *testing.T) {
	const token = "2abcDEFsecretTOKEN0123456789_xyz"
	dial := errors.New(`failed to dial ngrok server with address "connect.ngrok-agent.com:443": dial tcp: lookup connect.ngrok-agent.com on 10.255.255.53:53: no such host`)
	authMsg := "The authtoken you specified is properly formed, but it is invalid.\nYour authtoken: " + token + "\nThis usually happens when:\n..."
	cases := []struct {
		name, stage, domain string
		err                 error
		reason, hint        string
	}{
		{"no network", "tcp", "", dial, "no public URL: cannot reach ngrok (lookup connect.ngrok-agent.com: no such host)", "check the network"},
		{"tls", "tls", "", errors.New("x509: certificate signed by unknown authority"), "TLS to ngrok failed (x509: certificate signed by unknown authority)", "proxy"},
		{"bad token", "connect", "", fmt.Errorf("authentication failed: %w", codedErr{"ERR_NGROK_107", authMsg}), "ngrok rejected the authtoken (ERR_NGROK_107)", "NGROK_AUTHTOKEN"},
		{"malformed token", "connect", "", codedErr{"ERR_NGROK_105", "The authtoken you specified does not look like a proper ngrok tunnel authtoken.\nYour authtoken: " + token}, "rejected the authtoken (ERR_NGROK_105)", "dashboard.ngrok.com"},
		{"needs token", "connect", "", codedErr{"ERR_NGROK_4018", "authentication failed: Usage of ngrok requires a verified account and authtoken."}, "needs an authtoken", "NGROK_AUTHTOKEN"},
		{"session limit", "connect", "", codedErr{"ERR_NGROK_108", "Your account is limited to 1 simultaneous ngrok agent sessions."}, "another agent session", "stop the other"},
		{"domain taken", "listen", "kyc.ngrok.app", codedErr{"ERR_NGROK_334", "The endpoint 'https://kyc.ngrok.app' is already online."}, "kyc.ngrok.app is already online", "another --domain"},
		{"domain refused", "listen", "nope.example.com", codedErr{"ERR_NGROK_319", "You must reserve a domain before you can use it."}, "refused the domain nope.example.com: You must reserve a domain", "dashboard.ngrok.com/domains"},
		{"other code", "connect", "", codedErr{"ERR_NGROK_9999", "Something new."}, "ngrok said: Something new. (ERR_NGROK_9999)", "ngrok.com/docs/errors"},
		{"timeout", "connect", "", context.DeadlineExceeded, "did not answer in time", "--tunnel-timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te := explainNgrok(c.stage, c.err, c.domain, token)
			if !strings.Contains(te.Reason, c.reason) || !strings.Contains(te.Hint, c.hint) {
				t.Errorf("got reason %q hint %q\nwant %q / %q", te.Reason, te.Hint, c.reason, c.hint)
			}
			if strings.Contains(te.Error(), token) || strings.Contains(te.Error(), "\n") {
				t.Errorf("shown text has the token or a newline: %q", te.Error())
			}
			if te.Err != c.err {
				t.Errorf("the library's error is not kept for the log")
			}
		})
	}
}

func TestRedactKeepsTheTokenOutOfTheLog(t *testing.T) {
	const token = "2abcDEFsecretTOKEN0123456789_xyz"
	var buf bytes.Buffer
	lg := slog.New(redact(slog.NewTextHandler(&buf, nil), token))
	lg.With("cfg", "token="+token).Warn("auth failed for "+token, "err", errors.New("Your authtoken: "+token), "n", 3,
		slog.Group("g", "t", token))
	out := buf.String()
	if strings.Contains(out, token) {
		t.Fatalf("token in log: %s", out)
	}
	if !strings.Contains(out, "2abc…_xyz") || !strings.Contains(out, "n=3") {
		t.Errorf("log lost its content: %s", out)
	}
}

// TestNgrokBogusToken runs the real ngrok agent with a made-up token. With no
// network (CI) the diagnosis fails at once; with one, ngrok refuses the
// token. Either way Open returns an explained error within the bound, and
// nothing reaches stderr.
func TestNgrokBogusToken(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	slogSaved := slog.Default()
	defer func() { os.Stderr = saved; slog.SetDefault(slogSaved) }()

	var logBuf bytes.Buffer
	var mu sync.Mutex
	lg := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logBuf}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	ep, err := Ngrok{Authtoken: "bogus-token-123", Logger: lg, Version: "test"}.Open(ctx, func(TunnelStatus) {})
	elapsed := time.Since(start)
	w.Close()
	os.Stderr = saved
	stray, _ := io.ReadAll(r)

	if ep != nil {
		ep.Close()
		t.Fatal("a bogus token opened a tunnel")
	}
	var te *TunnelError
	if !errors.As(err, &te) || !strings.HasPrefix(te.Reason, "no public URL: ") || te.Hint == "" {
		t.Fatalf("err = %#v", err)
	}
	if strings.Contains(te.Error(), "bogus-token-123") {
		t.Errorf("token shown: %s", te.Error())
	}
	if len(stray) > 0 {
		t.Errorf("ngrok wrote to stderr: %q", stray)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logBuf.String(), "bogus-token-123") {
		t.Errorf("token in the log: %s", logBuf.String())
	}
	t.Logf("%s after %s; log:\n%s", te.Error(), elapsed.Round(time.Millisecond), logBuf.String())
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
