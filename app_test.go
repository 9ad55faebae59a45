package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/lab/sandbox"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/ui"
)

func delivery(i int) sessions.Incoming {
	body := fmt.Sprintf(`{"id":"s-%d","code":7001,"action":"started","feature":"selfid","n":%d}`, i%7, i)
	return sessions.Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events", Header: map[string][]string{},
		Body: []byte(body), BodySize: int64(len(body))}
}

// feedRig is the TUI's feed over a real store, its messages collected.
type feedRig struct {
	a    *app
	rc   *sessions.Receiver
	sub  *bus.Sub
	msgs chan tea.Msg
}

func newFeedRig(t *testing.T) *feedRig {
	t.Helper()
	events := bus.New()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"), sessions.WithEvents(events))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &feedRig{a: &app{store: st, events: events}, rc: sessions.NewReceiver(st, decode.Keys{}, events),
		sub: events.Subscribe(), msgs: make(chan tea.Msg, 100000)}
}

func (g *feedRig) receive(t *testing.T, i int) {
	t.Helper()
	if _, err := g.rc.Receive(context.Background(), delivery(i)); err != nil {
		t.Fatal(err)
	}
}

// deliveries collects the seqs the feed sends until it has n.
func (g *feedRig) deliveries(t *testing.T, n int) (seqs []int64, stored int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(seqs) < n {
		select {
		case m := <-g.msgs:
			if d, ok := m.(ui.DeliveriesMsg); ok {
				for _, r := range d.Records {
					seqs = append(seqs, r.Seq)
				}
				stored = d.Stored
			}
		case <-deadline:
			t.Fatalf("the feed sent %d deliveries, want %d", len(seqs), n)
		}
	}
	return seqs, stored
}

// A delivery stored after the history was read and before the feed ran
// reaches the screen: the feed reads the store from the history's end.
func TestDeliveryBetweenHistoryAndLiveIsShown(t *testing.T) {
	g := newFeedRig(t)
	for i := range 3 {
		g.receive(t, i)
	}
	history, _, _ := g.a.store.Recent(context.Background(), 10)
	after := history[len(history)-1].Seq
	g.receive(t, 3) // between the history and the feed
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.a.feed(ctx, g.sub, after, func(m tea.Msg) { g.msgs <- m })
	seqs, stored := g.deliveries(t, 1)
	if len(seqs) != 1 || seqs[0] != 4 || stored != 4 {
		t.Fatalf("fed %v (stored %d), want [4] (4)", seqs, stored)
	}
}

// Each batch carries its newest delivery whole (headers and body), so that
// the detail pane, following new activity, draws it with no second read;
// the others are summaries.
func TestFeedSendsTheNewestWhole(t *testing.T) {
	g := newFeedRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.a.feed(ctx, g.sub, 0, func(m tea.Msg) { g.msgs <- m })
	for i := range 50 {
		g.receive(t, i)
	}
	var last sessions.Record
	for n := 0; n < 50; {
		select {
		case m := <-g.msgs:
			d, ok := m.(ui.DeliveriesMsg)
			if !ok {
				continue
			}
			n += len(d.Records)
			last = d.Records[len(d.Records)-1]
			if len(last.Body) == 0 || last.Header == nil {
				t.Fatalf("the newest of a batch (#%d) came as a summary", last.Seq)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the feed sent %d deliveries of 50", n)
		}
	}
	if last.Seq != 50 {
		t.Fatalf("the last batch ends at #%d", last.Seq)
	}
}

// A program far behind (it took nothing for a while) gets every delivery
// afterwards, in order, no gap, in batches, with the store's count.
func TestFeedCatchesUpWithNoGap(t *testing.T) {
	g := newFeedRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	go g.a.feed(ctx, g.sub, 0, func(m tea.Msg) { <-release; g.msgs <- m })
	const n = 12000
	for i := range n {
		g.receive(t, i)
	}
	close(release) // the program takes messages again
	seqs, stored := g.deliveries(t, n)
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("delivery %d is #%d: a gap or a repeat", i, s)
		}
	}
	if stored != n {
		t.Fatalf("the header's count is %d, want %d", stored, n)
	}
}

// testConfig is what parseFlags gives with --no-tunnel and a database in dir.
func testConfig(t *testing.T, dir string) config {
	t.Helper()
	t.Setenv("KYCWATCH_DB", "")
	t.Setenv("XDG_DATA_HOME", dir)
	for _, k := range []string{"KYCWATCH_DB", "VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "VERIFIME_WEBHOOK_SECRET", "VERIFIME_ORG_CODE", "NGROK_AUTHTOKEN"} {
		os.Unsetenv(k)
	}
	c, err := parseFlags([]string{"--no-tunnel", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "k.db")}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c.logPath = filepath.Join(dir, "k.log")
	return c
}

// startApp builds and serves the app root on c, as run does.
func startApp(t *testing.T, c config) (*app, *bus.Sub, func()) {
	t.Helper()
	events := bus.New()
	sub := events.Subscribe()
	store, err := sessions.Open(c.db, sessions.WithEvents(events))
	if err != nil {
		t.Fatal(err)
	}
	logs, _ := os.Create(c.logPath)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, c, deps{stdout: io.Discard, stderr: io.Discard}, events, store, logs)
	if err != nil {
		t.Fatal(err)
	}
	_, stop := a.serve(ctx, deps{})
	return a, sub, func() { stop(); cancel(); a.wait(); store.Close(); logs.Close() }
}

// The header shows what the receiver enforces: after a lab key (x, a
// forged signature) on a fresh database it checks with the generated keys
// and the feed says so; after a restart it still enforces them, and the
// header says so from the start.
func TestHeaderFollowsTheKeysEnforced(t *testing.T) {
	c := testConfig(t, t.TempDir())
	a, sub, stop := startApp(t, c)
	if k := a.keysMsg(a.rc.Keys()); k.Secrets != 0 || k.Generated != "" {
		t.Fatalf("a fresh database checks with %+v", k)
	}
	msgs := make(chan tea.Msg, 100)
	ctx, cancel := context.WithCancel(context.Background())
	go a.feed(ctx, sub, a.startSeq, func(m tea.Msg) { msgs <- m })
	if code, err := a.lab.Forge(ctx, sessions.Target{SessionID: "f04bdb47-d3be-4b28-b028-a652feb060b5"}, sessions.BadSignature); err != nil || code != 401 {
		t.Fatalf("x: %d %v", code, err)
	}
	var keys ui.KeysMsg
	for deadline := time.After(5 * time.Second); keys.Secrets == 0; {
		select {
		case m := <-msgs:
			if k, ok := m.(ui.KeysMsg); ok {
				keys = k
			}
		case <-deadline:
			t.Fatal("the header was not told of the keys now enforced")
		}
	}
	if keys.Generated == "" || keys.Generated != display.Mask(a.sb.secret) || keys.APIKey == "" {
		t.Fatalf("header keys %+v", keys)
	}
	cancel()
	stop()

	a, _, stop = startApp(t, c) // a restart on the same database
	defer stop()
	if k := a.keysMsg(a.rc.Keys()); k != keys {
		t.Fatalf("after a restart the header says %+v, want %+v", k, keys)
	}
	r, err := a.rc.Receive(context.Background(), delivery(1)) // unsigned
	if err != nil || r.Status != 401 {
		t.Fatalf("an unsigned delivery after the restart: %d %v", r.Status, err)
	}
}

// TestInvitesAnswerAfterARestart: a simulated VerifiMe invite made through
// the sandbox's API keeps its page and its tracking status across a
// restart on the same database (the URL a customer was sent still works).
func TestInvitesAnswerAfterARestart(t *testing.T) {
	dir := t.TempDir()
	c := config{addr: "127.0.0.1:0", db: filepath.Join(dir, "k.db"), logPath: filepath.Join(dir, "k.log"), headless: true, noTunnel: true,
		tunnelWait: time.Second, maxBody: 1 << 20}
	local, stop := runUntil(t, c)
	resp, err := http.Post(local+sandbox.VerifiMeAPIPrefix+"/user/invite", "application/json",
		strings.NewReader(`{"email":"jane@example.com","code":"ORG","referenceData":"kw-restart-1","sendInvitationEmail":false}`))
	if err != nil {
		t.Fatal(err)
	}
	var inv struct{ TrackingReference, InviteURL string }
	json.NewDecoder(resp.Body).Decode(&inv)
	resp.Body.Close()
	if resp.StatusCode != 200 || inv.TrackingReference == "" {
		t.Fatalf("invite: %d %+v", resp.StatusCode, inv)
	}
	stop()

	local, stop = runUntil(t, c)
	defer stop()
	path := inv.InviteURL[strings.Index(inv.InviteURL, "/sandbox/"):]
	for _, u := range []string{local + path, local + sandbox.VerifiMeAPIPrefix + "/user/signup/tracking/" + inv.TrackingReference + "/status"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("after a restart, %s: %d %s", u, resp.StatusCode, body)
		}
	}
}
