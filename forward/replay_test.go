package forward_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/forward"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
)

func TestReplayToKycwatchAndEditedReplays(t *testing.T) {
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys := decode.Keys{VeriffSecrets: []string{"sec"}}
	rc := sessions.NewReceiver(st, keys, nil)
	hs := httptest.NewServer(listener.New(rc, listener.DefaultLimits, nil).Handler())
	defer hs.Close()
	body := []byte(submitted)
	if code, _ := sendSigned(t, hs.URL+"/veriff/events", body, nil); code != 200 {
		t.Fatal(code)
	}
	rp := &forward.Replayer{Store: st, LocalURL: hs.URL, Keys: rc.Keys}
	ctx := context.Background()
	last := func() sessions.Record { // the newest stored delivery
		got, err := st.After(context.Background(), st.Last()-1, 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("newest delivery: %v", err)
		}
		return got[0]
	}

	done, err := rp.Replay(ctx, 1, nil, false)
	if err != nil || !strings.Contains(done, "replayed #1 to kycwatch: answered 200") {
		t.Fatalf("%q %v", done, err)
	}
	if r := last(); r.ReplayOf != 1 || r.DuplicateOf != 1 || r.Verdict.Signature != decode.SigValid {
		t.Fatalf("replay %+v", r)
	}
	edited := []byte(`{"id":"s1","code":7002,"action":"submitted","feature":"selfid","vendorData":"edited"}`)
	done, err = rp.Replay(ctx, 1, edited, false)
	if err != nil || !strings.Contains(done, "answered 401") {
		t.Fatalf("edited, not re-signed: %q %v", done, err)
	}
	if r := last(); r.Verdict.Signature != decode.SigInvalid {
		t.Errorf("an edited body kept its old signature yet verified: %+v", r.Verdict)
	}
	done, err = rp.Replay(ctx, 1, edited, true)
	if err != nil || !strings.Contains(done, "edited and replayed (re-signed) #1 to kycwatch: answered 200") {
		t.Fatalf("re-signed: %q %v", done, err)
	}
	if r := last(); r.Verdict.Signature != decode.SigValid || r.ReplayOf != 1 {
		t.Errorf("re-signed replay %+v", r.Verdict)
	}
	if _, err := rp.Replay(ctx, 99, nil, false); err == nil {
		t.Error("replayed a delivery that does not exist")
	}
	rp.Keys = func() decode.Keys { return decode.Keys{} }
	if _, err := rp.Replay(ctx, 1, edited, true); err == nil || !strings.Contains(err.Error(), "no veriff secret") {
		t.Errorf("re-sign without a secret: %v", err)
	}
}

func TestReplayToTheApp(t *testing.T) {
	a, as, g := forwardedOnce(t)
	rp := &forward.Replayer{Store: g.store, Forward: g.fwd, LocalURL: g.url}
	done, err := rp.Replay(context.Background(), 1, nil, false)
	if err != nil || !strings.Contains(done, "replayed #1 to "+as.URL+"/veriff/events → 200") {
		t.Fatalf("%q %v", done, err)
	}
	fs := g.waitDone(t, 2)
	if fs[1].SentAs != sessions.SentReplay || a.count() != 2 {
		t.Fatalf("%+v, app got %d", fs[1], a.count())
	}
	stored, _ := g.store.Forwards(context.Background(), 1)
	if len(stored) != 2 || stored[0].SentAs != sessions.SentDelivery || stored[1].SentAs != sessions.SentReplay {
		t.Errorf("stored %+v", stored)
	}
	time.Sleep(10 * time.Millisecond)
	if _, total, _ := g.store.Recent(context.Background(), 10); total != 1 {
		t.Errorf("a replay to the app was stored as a delivery: %d", total)
	}
}

// TestEditedReplayToTheAppCarriesTheVerdictOnTheBytesSent: an edited body
// sent with its original signature is forwarded as invalid (the app's own
// check fails, and kycwatch must not say valid); re-signed, it is valid;
// each forward says which kind of send it was.
func TestEditedReplayToTheAppCarriesTheVerdictOnTheBytesSent(t *testing.T) {
	a, _, g := forwardedOnce(t)
	rp := &forward.Replayer{Store: g.store, Forward: g.fwd, LocalURL: g.url, Keys: func() decode.Keys { return decode.Keys{VeriffSecrets: []string{"sec"}} }}
	edited := []byte(`{"id":"s1","code":7001,"action":"started","feature":"selfid","vendorData":"edited"}`)
	ctx := context.Background()
	if _, err := rp.Replay(ctx, 1, edited, false); err != nil {
		t.Fatal(err)
	}
	if _, err := rp.Replay(ctx, 1, edited, true); err != nil {
		t.Fatal(err)
	}
	if _, err := rp.Replay(ctx, 1, nil, false); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	var verdicts []string
	for _, r := range a.reqs {
		verdicts = append(verdicts, r.Header.Get("X-Kycwatch-Verified"))
	}
	a.mu.Unlock()
	if strings.Join(verdicts, " ") != "valid invalid valid valid" {
		t.Errorf("X-Kycwatch-Verified per send: %v, want valid invalid valid valid", verdicts)
	}
	stored, _ := g.store.Forwards(ctx, 1)
	var kinds []string
	for _, f := range stored {
		kinds = append(kinds, f.SentAs.Label())
	}
	if got := strings.Join(kinds, "|"); got != "as received|edited replay, original signature|edited replay, re-signed|replay" {
		t.Errorf("kinds %q", got)
	}
}

// forwardedOnce is a rig forwarding to a running app, s1's started
// delivered and forwarded once.
func forwardedOnce(t *testing.T) (*app, *httptest.Server, *fwdRig) {
	t.Helper()
	a := &app{}
	as := httptest.NewServer(a)
	t.Cleanup(as.Close)
	g := newFwdRig(t, as.URL, false)
	sendSigned(t, g.url+"/veriff/events", []byte(started), nil)
	g.waitDone(t, 1)
	return a, as, g
}
