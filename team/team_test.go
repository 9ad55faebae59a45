package team

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/sessions"
)

const testSecret = "team-secret"

// instance is one kycwatch's store, bus and receiver, as the app root
// builds them.
type instance struct {
	name  string
	store *sessions.Store
	bus   *bus.Bus
	rc    *sessions.Receiver
	n     int
}

func newInstance(t *testing.T, name, db string) *instance {
	t.Helper()
	b := bus.New()
	st, err := sessions.Open(db, sessions.WithEvents(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &instance{name: name, store: st, bus: b, rc: sessions.NewReceiver(st, decode.Keys{VeriffSecrets: []string{testSecret}}, b)}
}

// receive stores n signed Veriff events, as the listener would.
func (in *instance) receive(t *testing.T, n int) {
	t.Helper()
	for range n {
		in.n++
		body := []byte(fmt.Sprintf(`{"id":"%s-session-%d","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"%s-%d","endUserId":null}`,
			in.name, in.n%7, in.name, in.n))
		_, err := in.rc.Receive(context.Background(), sessions.Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events",
			Header: map[string][]string{"Content-Type": {"application/json"}, "X-Hmac-Signature": {decode.Sign(testSecret, body)}},
			Body:   body, BodySize: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// publish starts a publisher for the instance; stop ends it and waits.
func (in *instance) publish(t *testing.T, d Dial, replicas int) (p *Publisher, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := NewPublisher(ctx, PublisherConfig{Store: in.store, Events: in.bus, Dial: d, Origin: in.name, Replicas: replicas,
		Say: func(s string) { t.Logf("%s publisher: %s", in.name, s) }})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return p, start(t, ctx, cancel, p)
}

// follow starts a follower into the instance's store.
func (in *instance) follow(t *testing.T, d Dial, name string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := NewFollower(FollowerConfig{Store: in.store, Dial: d, Name: name, Events: in.bus,
		Say: func(s string) { t.Logf("follower %s: %s", name, s) }})
	return start(t, ctx, cancel, f)
}

// runner is a Publisher or a Follower, as the tests start them.
type runner interface {
	Connect(context.Context) error
	Run(context.Context)
	Wait()
}

// start connects r and runs it on ctx; stop (also at the test's end)
// cancels it and waits for it.
func start(t *testing.T, ctx context.Context, cancel context.CancelFunc, r runner) (stop func()) {
	t.Helper()
	if err := r.Connect(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	go r.Run(ctx)
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); r.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// waitFor polls ok until it holds, or fails the test after a deadline.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// refs are the origin references a follower's store holds, each once
// (the column is unique), oldest first.
func refs(t *testing.T, st *sessions.Store) []string {
	t.Helper()
	var out []string
	cur := st.Follow(0)
	for {
		recs, err := cur.Next(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		for _, r := range recs {
			if r.Origin == "" || r.StreamSeq == 0 {
				t.Fatalf("followed delivery #%d has no origin or stream seq: %+v", r.Seq, r)
			}
			out = append(out, fmt.Sprintf("%s#%d", r.Origin, r.StreamSeq))
		}
	}
}

// checkExactly fails unless the follower holds want deliveries, with no
// stream seq twice and the stream's order kept.
func checkExactly(t *testing.T, st *sessions.Store, want int) {
	t.Helper()
	var last int64
	seen := map[int64]bool{}
	cur := st.Follow(0)
	n := 0
	for {
		recs, _ := cur.Next(context.Background(), 1000)
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			n++
			if seen[r.StreamSeq] {
				t.Fatalf("stream seq %d stored twice", r.StreamSeq)
			}
			seen[r.StreamSeq] = true
			if r.StreamSeq < last {
				t.Fatalf("stream order broken: %d after %d", r.StreamSeq, last)
			}
			last = r.StreamSeq
		}
	}
	if n != want {
		t.Fatalf("follower holds %d deliveries, want %d", n, want)
	}
}

// drained reports whether the durable consumer has nothing left to deliver
// nor waiting for an acknowledgement: whatever it sent is stored.
func drained(t *testing.T, d Dial, name string) bool {
	t.Helper()
	js, done := jsOf(t, d)
	defer done()
	c, err := js.Consumer(context.Background(), Stream, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}

func startServer(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := StartServer("127.0.0.1:0", dir, NewToken())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func streamMsgs(t *testing.T, d Dial) uint64 {
	t.Helper()
	js, done := jsOf(t, d)
	defer done()
	s, err := js.Stream(context.Background(), Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// Two instances publish to the embedded server (one in-process, one over
// TCP with the join URL); a durable follower gets every delivery of both
// once; stopped, it misses some; restarted under the same name, even into
// an empty store, it gets exactly what it missed.
func TestTwoPublishersAndADurableFollower(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	b := newInstance(t, "beta", filepath.Join(dir, "b.db"))
	pa, _ := a.publish(t, srv.Dial("alpha"), 1)
	pb, _ := b.publish(t, Dial{URLs: []string{srv.URL()}}, 1)

	f := newInstance(t, "", filepath.Join(dir, "f.db"))
	stopF := f.follow(t, Dial{URLs: []string{srv.URL()}}, "laptop")
	a.receive(t, 40)
	b.receive(t, 35)
	waitFor(t, "the follower to store 75", func() bool { return f.store.Count() == 75 })
	stopF()
	checkExactly(t, f.store, 75)
	got := refs(t, f.store)
	if !strings.HasPrefix(got[0], "alpha#") && !strings.HasPrefix(got[0], "beta#") {
		t.Fatalf("origin not kept: %v", got[:3])
	}

	// Missed while stopped.
	a.receive(t, 20)
	b.receive(t, 10)
	waitFor(t, "both publishers to be acknowledged", func() bool { return pa.Acked() == 60 && pb.Acked() == 45 })
	stopF = f.follow(t, Dial{URLs: []string{srv.URL()}}, "laptop")
	waitFor(t, "the follower to store 105", func() bool { return f.store.Count() == 105 })
	stopF()
	checkExactly(t, f.store, 105)

	// The same name into an empty store: JetStream itself resumes where
	// the consumer stopped, so only what came after is delivered.
	a.receive(t, 5)
	b.receive(t, 3)
	g := newInstance(t, "", filepath.Join(dir, "g.db"))
	g.follow(t, Dial{URLs: []string{srv.URL()}}, "laptop")
	waitFor(t, "the resumed follower to store 8", func() bool { return g.store.Count() == 8 })
	waitFor(t, "the consumer to have nothing pending", func() bool { return drained(t, srv.Dial("check"), "laptop") })
	checkExactly(t, g.store, 8)
}

// A publisher that lost its acknowledged seq publishes everything again:
// JetStream drops every copy by its message id.
func TestRepublishIsDeduplicated(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	p, stop := a.publish(t, srv.Dial("alpha"), 1)
	a.receive(t, 30)
	waitFor(t, "30 acknowledged", func() bool { return p.Acked() == 30 })
	stop()
	if err := a.store.SetSetting(context.Background(), settingPublished+"alpha", "0"); err != nil {
		t.Fatal(err)
	}
	p2, _ := a.publish(t, srv.Dial("alpha"), 1)
	a.receive(t, 2)
	waitFor(t, "32 acknowledged", func() bool { return p2.Acked() == 32 })
	if n := streamMsgs(t, srv.Dial("check")); n != 32 {
		t.Fatalf("the stream holds %d messages after a republish of 30, want 32", n)
	}
}

// A wrong token, or none, is refused at once, for a publisher and a
// follower alike; the error says NATS refused it.
func TestWrongTokenRefused(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	_, port, _ := net.SplitHostPort(srv.Addr)
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	for _, u := range []string{"nats://wrong-token@127.0.0.1:" + port, "nats://127.0.0.1:" + port} {
		d := Dial{URLs: []string{u}}
		p, err := NewPublisher(context.Background(), PublisherConfig{Store: a.store, Events: a.bus, Dial: d, Origin: "alpha"})
		if err != nil {
			t.Fatal(err)
		}
		err = p.Connect(context.Background())
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "NATS refused") {
			t.Fatalf("%s: publisher got %v, want NATS refused", Redact(u), err)
		}
		if strings.Contains(err.Error(), "wrong-token") {
			t.Fatalf("the token is printed: %v", err)
		}
		err = NewFollower(FollowerConfig{Store: a.store, Dial: d}).Connect(context.Background())
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("%s: follower got %v, want NATS refused", Redact(u), err)
		}
	}
}

// A stream named KYCWATCH made by something else is refused, not mixed into.
func TestStreamOfAnotherLayoutRefused(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	nc, js, err := srv.Dial("setup").jetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: Stream, Subjects: []string{"kycwatch.>"}}); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	p, _ := NewPublisher(context.Background(), PublisherConfig{Store: a.store, Events: a.bus, Dial: srv.Dial("alpha"), Origin: "alpha"})
	if err := p.Connect(context.Background()); !errors.Is(err, ErrLayout) || !strings.Contains(err.Error(), "another layout") {
		t.Fatalf("publisher got %v, want another layout", err)
	}
	if err := NewFollower(FollowerConfig{Store: a.store, Dial: srv.Dial("f")}).Connect(context.Background()); !errors.Is(err, ErrLayout) {
		t.Fatalf("follower got %v, want another layout", err)
	}
}

// NATS down at start: the instance stores on, says so, and publishes
// everything once a server answers on that address.
func TestPublisherCatchesUpWhenNATSComesBack(t *testing.T) {
	dir := t.TempDir()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	token := NewToken()
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	var mu sync.Mutex
	var said []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, _ := NewPublisher(ctx, PublisherConfig{Store: a.store, Events: a.bus, Dial: Dial{URLs: []string{"nats://" + token + "@" + addr}},
		Origin: "alpha", Say: func(s string) { mu.Lock(); said = append(said, s); mu.Unlock() }})
	if err := p.Connect(ctx); err != nil {
		t.Fatalf("unreachable NATS must not stop kycwatch: %v", err)
	}
	go p.Run(ctx)
	defer p.Wait()
	defer cancel()
	a.receive(t, 25) // stored and answered while NATS is down
	mu.Lock()
	if len(said) == 0 || !strings.Contains(said[0], "unreachable") || strings.Contains(said[0], token) {
		t.Fatalf("said %q", said)
	}
	mu.Unlock()
	srv, err := StartServer(addr, filepath.Join(dir, "late.nats"), token)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	waitFor(t, "the publisher to catch up", func() bool { return p.Acked() == 25 })
	if n := streamMsgs(t, srv.Dial("check")); n != 25 {
		t.Fatalf("stream holds %d, want 25", n)
	}
}

// Tokens are kept valid subject tokens whatever the name holds.
func TestSubjectTokens(t *testing.T) {
	for in, want := range map[string]string{"": "none", "host:8080": "host_8080", "a.b*c>d e": "a_b_c_d_e", "laptop-1_x": "laptop-1_x", "é": "__"} {
		if got := Token(in); got != want {
			t.Errorf("Token(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CleanName("a\x1b[31mb\u202ec"); got != "a?[31mb?c" {
		t.Errorf("CleanName = %q", got)
	}
	if got := Redact("nats://secret@host:4222"); strings.Contains(got, "secret") {
		t.Errorf("Redact = %q", got)
	}
}

// The test-session, tracking and forward events a timeline shows travel
// too: the follower stores each once, a forward tied to its delivery there.
func TestTimelineEventsFollowed(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	p, _ := a.publish(t, srv.Dial("alpha"), 1)
	a.receive(t, 3)
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	ts := sessions.TestSession{ID: "s-1", CreatedAt: at, Source: sessions.SourceVerifiMeSim, VendorData: "ref-1", URL: "https://example.test/i"}
	a.bus.Publish(ts)
	a.bus.Publish(sessions.TrackingStep{SessionID: "s-1", At: at.Add(time.Second), Status: "Active"})
	a.bus.Publish(sessions.Forward{Seq: 2, At: at.Add(2 * time.Second), Target: "http://127.0.0.1:9/app", Status: 200, Attempt: 1})
	a.bus.Publish(ts) // twice: stored once
	a.bus.Publish(CreatedHere{sessions.TestSession{ID: "s-2", CreatedAt: at, Source: sessions.SourceSimulator, VendorData: "keyboard"}})
	waitFor(t, "3 acknowledged", func() bool { return p.Acked() == 3 })

	f := newInstance(t, "", filepath.Join(dir, "f.db"))
	f.follow(t, Dial{URLs: []string{srv.URL()}}, "events")
	ctx := context.Background()
	waitFor(t, "the forward", func() bool { fw, _ := f.store.Forwards(ctx, 2); return len(fw) == 1 })
	waitFor(t, "the consumer to have nothing pending", func() bool { return drained(t, srv.Dial("check"), "events") })
	tests, _ := f.store.TestSessions(ctx, 10)
	steps, _ := f.store.Tracking(ctx, []string{"s-1"})
	fws, _ := f.store.Forwards(ctx, 1, 2, 3)
	if len(tests) != 2 || tests[0].VendorData != "ref-1" || tests[1].VendorData != "keyboard" || len(steps) != 1 || steps[0].Status != "Active" ||
		len(fws) != 1 || fws[0].Seq != 2 || fws[0].Status != 200 {
		t.Fatalf("followed events: tests %+v, tracking %+v, forwards %+v", tests, steps, fws)
	}
	if o := f.store.OriginOf(ctx, "alpha-session-1"); o != "alpha" {
		t.Fatalf("origin of a followed session %q", o)
	}
}

// Messages nobody should have put on the stream (not JSON, another
// layout, a hostile origin) are skipped or cleaned, never fatal.
func TestHostileMessagesOnTheStream(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	p, _ := a.publish(t, srv.Dial("alpha"), 1) // makes the stream
	a.receive(t, 1)
	waitFor(t, "1 acknowledged", func() bool { return p.Acked() == 1 })
	js, done := jsOf(t, srv.Dial("evil"))
	defer done()
	ctx := context.Background()
	evil := `{"layout":"` + Layout + `","origin":"ev\u001b[2Jil\u202e","instance":"x","type":"delivery","delivery":{"seq":1,"kind":"event","provider":"veriff","session_id":"s"}}` + "\n\x1b[31mbody"
	for _, data := range []string{"not json", `{"layout":"other"}`, evil, `{"layout":"` + Layout + `","type":"forward"}`} {
		if _, err := js.Publish(ctx, "kycwatch.evil.veriff.event", []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	f := newInstance(t, "", filepath.Join(dir, "f.db"))
	f.follow(t, Dial{URLs: []string{srv.URL()}}, "")
	waitFor(t, "two deliveries", func() bool { return f.store.Count() == 2 })
	r, err := f.store.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Origin != "ev?[2Jil?" || string(r.Body) != "\x1b[31mbody" {
		t.Fatalf("hostile delivery stored as origin %q body %q", r.Origin, r.Body)
	}
}

// Without --name a follower reads from --since: a stream sequence, or a
// time back from now.
func TestFollowSince(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	p, _ := a.publish(t, srv.Dial("alpha"), 1)
	a.receive(t, 10)
	waitFor(t, "10 acknowledged", func() bool { return p.Acked() == 10 })
	f := newInstance(t, "", filepath.Join(dir, "f.db"))
	since, err := ParseSince("4", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fl := NewFollower(FollowerConfig{Store: f.store, Dial: srv.Dial("f"), Since: since})
	if err := fl.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	go fl.Run(ctx)
	defer fl.Wait()
	defer cancel()
	waitFor(t, "7 deliveries from stream seq 4", func() bool { return f.store.Count() == 7 })
	if got := refs(t, f.store); got[0] != "alpha#4" || got[6] != "alpha#10" {
		t.Fatalf("from --since 4: %v", got)
	}
	if s, err := ParseSince("1h", time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)); err != nil || s.Time.Hour() != 9 {
		t.Fatalf("--since 1h: %+v %v", s, err)
	}
	for _, bad := range []string{"", "0", "-1h", "soon"} {
		if _, err := ParseSince(bad, time.Now()); err == nil {
			t.Errorf("--since %q accepted", bad)
		}
	}
}

// jsOf connects as d says and opens JetStream; done closes the connection.
func jsOf(t *testing.T, d Dial) (js jetstream.JetStream, done func()) {
	t.Helper()
	nc, js, err := d.jetStream()
	if err != nil {
		t.Fatal(err)
	}
	return js, nc.Close
}

// A delivery that comes alone is published as soon as the writer rests:
// the flood's cadence (one batch every pace.Every) is for floods only.
func TestLoneDeliveryPublishedWithoutTheFloodCadence(t *testing.T) {
	defer func(d time.Duration) { pace.Every = d }(pace.Every)
	pace.Every = time.Hour
	dir := t.TempDir()
	srv := startServer(t, filepath.Join(dir, "a.nats"))
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	p, _ := a.publish(t, srv.Dial("alpha"), 1)
	for i := 1; i <= 3; i++ {
		time.Sleep(200 * time.Millisecond) // the writer rests
		a.receive(t, 1)
		deadline := time.Now().Add(5 * time.Second)
		for p.Acked() != int64(i) {
			if time.Now().After(deadline) {
				t.Fatalf("delivery %d not published after 5 s (acknowledged %d)", i, p.Acked())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
