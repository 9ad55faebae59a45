package lab

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

func newLab(t *testing.T, keys decode.Keys) (*Lab, *sessions.Store) {
	t.Helper()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rc := sessions.NewReceiver(st, keys, nil)
	srv := httptest.NewServer(listener.New(rc, listener.DefaultLimits, nil).Handler())
	t.Cleanup(srv.Close)
	secret, apiKey, generated := Keys(keys, "", "")
	ctx, cancel := context.WithCancel(context.Background())
	sim := simulator.New(ctx, simulator.Config{Secret: secret, APIKey: apiKey, Target: func() string { return srv.URL },
		StartAfter: time.Hour, SubmitAfter: time.Hour, VerifiMeSecret: "vm-sim", TrackingStep: 30 * time.Millisecond, AssessAfter: 60 * time.Millisecond})
	l := &Lab{Store: st, Receiver: rc, Sim: sim, SimSecret: secret, SimAPIKey: apiKey, Generated: generated,
		Public: func() string { return "" }, Now: time.Now, SimVerifiMeSecret: "vm-sim", Context: ctx, PollEvery: 10 * time.Millisecond}
	t.Cleanup(func() { cancel(); sim.Wait(); l.Wait() })
	return l, st
}

// TestKeysPrefersConfiguredThenKept: the simulator signs with the
// configured keys, else with the kept pair (the sandbox's), so there is one
// secret and one API key on screen, not two.
func TestKeysPrefersConfiguredThenKept(t *testing.T) {
	for _, c := range []struct {
		keys        decode.Keys
		secret, key string
		generated   bool
	}{
		{decode.Keys{VeriffSecrets: []string{"conf"}, VeriffAPIKey: "conf-key"}, "conf", "conf-key", false},
		{decode.Keys{}, "kept", "kept-key", true},
		{decode.Keys{VeriffSecrets: []string{"conf"}}, "conf", "kept-key", true},
	} {
		s, k, g := Keys(c.keys, "kept", "kept-key")
		if s != c.secret || k != c.key || g != c.generated {
			t.Errorf("Keys(%+v) = %q %q %v, want %q %q %v", c.keys, s, k, g, c.secret, c.key, c.generated)
		}
	}
	if s, k, g := Keys(decode.Keys{}, "", ""); !g || !strings.HasPrefix(s, "sim-") || len(k) != 36 {
		t.Errorf("with nothing kept: %q %q %v", s, k, g)
	}
}

func TestAFreshKycwatchTakesTheSimulatorsKeys(t *testing.T) {
	l, st := newLab(t, decode.Keys{})
	if !l.Generated || !strings.HasPrefix(l.SimSecret, "sim-") {
		t.Fatalf("keys not generated: %+v", l)
	}
	if k := l.Receiver.Keys(); len(k.VeriffSecrets) != 0 {
		t.Fatal("keys taken before the simulator was used")
	}
	c, err := l.Create(context.Background(), sessions.NewSession{VendorData: "demo"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if k := l.Receiver.Keys(); len(k.VeriffSecrets) != 1 || k.VeriffSecrets[0] != l.SimSecret || k.VeriffAPIKey != l.SimAPIKey {
		t.Fatalf("receiver keys %+v", k)
	}
	// Remembered: a restart goes on checking with them (see checkedKeys).
	taken := st.Setting(context.Background(), SettingGeneratedKeys)
	if taken == "" {
		t.Fatal("taking the generated keys was not remembered")
	}
	if c.Session.Source != sessions.SourceSimulator || c.Session.VendorData != "demo" || !strings.HasSuffix(c.Session.URL, c.Session.ID) {
		t.Fatalf("session %+v", c.Session)
	}
	if saved, _ := st.TestSessions(context.Background(), 10); len(saved) != 1 || saved[0].ID != c.Session.ID {
		t.Fatalf("not saved: %+v", saved)
	}
	l.Create(context.Background(), sessions.NewSession{}, true)
	if k := l.Receiver.Keys(); len(k.VeriffSecrets) != 1 || st.Setting(context.Background(), SettingGeneratedKeys) != taken {
		t.Errorf("keys taken twice: %+v", k)
	}
	// The forgeries now fail the checks, as they should.
	for kind, want := range map[sessions.Forgery]int{sessions.BadSignature: 401, sessions.WrongAPIKey: 401, sessions.InvalidJSON: 400} {
		if got, err := l.Forge(context.Background(), sessions.Target{SessionID: c.Session.ID}, kind); err != nil || got != want {
			t.Errorf("%s: %d %v", kind, got, err)
		}
	}
}

func TestConfiguredKeysAreKept(t *testing.T) {
	l, _ := newLab(t, decode.Keys{VeriffSecrets: []string{"mine"}})
	if l.SimSecret != "mine" {
		t.Fatalf("simulator secret %q", l.SimSecret)
	}
	c, err := l.Create(context.Background(), sessions.NewSession{}, true)
	if err != nil {
		t.Fatalf("%+v %v", c, err)
	}
	// A made-up API key must not turn real deliveries away.
	if k := l.Receiver.Keys(); k.VeriffAPIKey != "" || len(k.VeriffSecrets) != 1 {
		t.Fatalf("receiver keys changed: %+v", k)
	}
	if _, err := l.Forge(context.Background(), sessions.Target{SessionID: c.Session.ID}, sessions.WrongAPIKey); err == nil ||
		!strings.Contains(err.Error(), "set VERIFF_API_KEY") {
		t.Errorf("wrong API key without one configured: %v", err)
	}
}

func TestRealSessionsGetACallbackOnlyWithTheTunnel(t *testing.T) {
	var got []map[string]map[string]any
	fakeAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]map[string]any
		json.Unmarshal(body, &req)
		got = append(got, req)
		w.WriteHeader(201)
		io.WriteString(w, `{"status":"success","verification":{"id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7","url":"https://alchemy.veriff.com/v/tok","status":"created"}}`)
	}))
	defer fakeAPI.Close()
	l, st := newLab(t, decode.Keys{VeriffSecrets: []string{"s"}, VeriffAPIKey: "k"})
	l.API = veriff.NewClient(fakeAPI.URL, "k", "s")
	if !l.Real() {
		t.Fatal("not real with a client")
	}
	c, err := l.Create(context.Background(), sessions.NewSession{VendorData: "v", FirstName: "Ada"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Session.Callback != "" || !strings.Contains(c.Note, "no callback URL sent") || got[0]["verification"]["callback"] != nil {
		t.Fatalf("callback without a tunnel: %+v %v", c, got[0])
	}
	l.Public = func() string { return "https://kyc.ngrok.app" }
	c, err = l.Create(context.Background(), sessions.NewSession{VendorData: "v"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://kyc.ngrok.app/veriff/callback?ref=" + c.Session.Ref
	if c.Session.Callback != want || got[1]["verification"]["callback"] != want || c.Session.Source != sessions.SourceVeriff {
		t.Fatalf("callback %q, sent %v", c.Session.Callback, got[1])
	}
	if ts, ok := st.TestSessionByRef(context.Background(), c.Session.Ref); !ok || ts.ID != c.Session.ID {
		t.Fatalf("ref not stored")
	}
	// N still simulates, credentials or not.
	if c, err = l.Create(context.Background(), sessions.NewSession{}, true); err != nil || c.Session.Source != sessions.SourceSimulator || len(got) != 2 {
		t.Fatalf("simulated with credentials: %+v %v", c.Session, err)
	}
}

func TestVerifiMeInviteWithTheSimulator(t *testing.T) {
	l, st := newLab(t, decode.Keys{})
	var mu sync.Mutex
	var steps []sessions.TrackingStep
	l.OnTracking = func(s sessions.TrackingStep) { mu.Lock(); steps = append(steps, s); mu.Unlock() }
	l.Failed = func(err error) { t.Errorf("failed: %v", err) }
	c, err := l.Invite(context.Background(), sessions.InviteForm{Email: "jane@example.com", FirstName: "Jane", FamilyName: "Citizen"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Receiver.Keys().VerifiMeSecrets) != 1 || st.Setting(context.Background(), SettingGeneratedVerifiMe) == "" {
		t.Fatalf("VerifiMe keys not taken: %+v", l.Receiver.Keys())
	}
	ts := c.Session
	if !strings.HasPrefix(ts.ID, "kw-") || ts.Source != sessions.SourceVerifiMeSim || ts.Ref == "" || ts.Email != "jane@example.com" {
		t.Fatalf("%+v", ts)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(steps)
		done := n > 0 && steps[n-1].Status == "Completed"
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracking %+v", steps)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	got := []string{}
	for _, s := range steps {
		got = append(got, s.Status)
	}
	mu.Unlock()
	if strings.Join(got, ",") != "Inactive,Active,Completed" {
		t.Errorf("statuses %v", got)
	}
	saved, _ := st.Tracking(context.Background(), []string{ts.ID})
	if len(saved) != 3 {
		t.Errorf("saved %d tracking steps", len(saved))
	}
	if err := l.Assess(context.Background(), sessions.Target{SessionID: ts.ID, VendorData: "Jane Citizen"}, "MEDIUM"); err != nil {
		t.Fatal(err)
	}
}

func TestVerifiMeInviteWithTheAPI(t *testing.T) {
	var mu sync.Mutex
	var sent []map[string]any
	status := "Inactive"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPost {
			var req map[string]any
			json.NewDecoder(r.Body).Decode(&req)
			sent = append(sent, req)
			if req["email"] == "bad" {
				w.WriteHeader(400)
				io.WriteString(w, `{"request":{},"validationResults":[{"name":"email","resultName":"InvalidEmail","message":"Email is not valid"}]}`)
				return
			}
			io.WriteString(w, `{"trackingReference":"tr-1","inviteUrl":"https://app.stage.verifime.com/i/tr-1","qrCodeUrl":"https://q"}`)
			return
		}
		io.WriteString(w, `{"status":"`+status+`"}`)
		status = "Completed"
	}))
	defer api.Close()
	l, _ := newLab(t, decode.Keys{VerifiMeSecrets: []string{"mine"}})
	l.VerifiMe, l.OrgCode = verifime.NewClient(api.URL), "ORG-7"
	var tracked []string
	done := make(chan struct{})
	l.OnTracking = func(s sessions.TrackingStep) {
		tracked = append(tracked, s.Status)
		if s.Status == "Completed" {
			close(done)
		}
	}
	if !l.RealVerifiMe() {
		t.Fatal("not real with a client")
	}
	c, err := l.Invite(context.Background(), sessions.InviteForm{Email: "jane@example.com", FirstName: "Jane", FamilyName: "Citizen"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("tracking %v", tracked)
	}
	mu.Lock()
	req := sent[0]
	mu.Unlock()
	if req["code"] != "ORG-7" || req["referenceData"] != c.Session.ID || req["sendInvitationEmail"] != false || c.Session.Source != sessions.SourceVerifiMe ||
		c.Session.Ref != "tr-1" {
		t.Fatalf("sent %v, got %+v", req, c)
	}
	if k := l.Receiver.Keys(); len(k.VerifiMeSecrets) != 1 || k.VerifiMeSecrets[0] != "mine" {
		t.Errorf("configured VerifiMe secret replaced: %v", k.VerifiMeSecrets)
	}
	if _, err := l.Invite(context.Background(), sessions.InviteForm{Email: "bad"}); err == nil || !strings.Contains(err.Error(), "email: Email is not valid") {
		t.Errorf("validation: %v", err)
	}
}

// TestASecondDecisionIsNamedAsAnOverride: `a` after `d` on a simulated
// session sends the decision and says it overrides the first.
func TestASecondDecisionIsNamedAsAnOverride(t *testing.T) {
	l, _ := newLab(t, decode.Keys{})
	c, err := l.Create(context.Background(), sessions.NewSession{FirstName: "Ada", LastName: "Lovelace"}, true)
	if err != nil {
		t.Fatal(err)
	}
	target := sessions.Target{SessionID: c.Session.ID, Source: c.Session.Source, VendorData: c.Session.VendorData}
	if note := l.Overrides(target); note != "" {
		t.Fatalf("before any decision: %q", note)
	}
	if err := l.Decide(context.Background(), target, sessions.StateDeclined); err != nil {
		t.Fatal(err)
	}
	if note := l.Overrides(target); !strings.Contains(note, "overrides the earlier declined") {
		t.Fatalf("after declined: %q", note)
	}
	if err := l.Decide(context.Background(), target, sessions.StateApproved); err != nil {
		t.Fatal(err)
	}
}

// TestForgetStopsTheTrackingPolls: after C (Forget) a cleared invite's
// tracking is no longer polled, nor recorded, nor reported as failing.
func TestForgetStopsTheTrackingPolls(t *testing.T) {
	l, st := newLab(t, decode.Keys{})
	var mu sync.Mutex
	var steps []sessions.TrackingStep
	l.OnTracking = func(s sessions.TrackingStep) { mu.Lock(); steps = append(steps, s); mu.Unlock() }
	l.Failed = func(err error) { t.Errorf("failed after Forget: %v", err) }
	c, err := l.Invite(context.Background(), sessions.InviteForm{Email: "jane@example.com", FirstName: "Jane", FamilyName: "Citizen"})
	if err != nil {
		t.Fatal(err)
	}
	l.Forget()
	l.Wait() // the poll ends rather than runs on
	mu.Lock()
	n := len(steps)
	mu.Unlock()
	if n > 1 {
		t.Errorf("%d tracking changes recorded after Forget", n)
	}
	if saved, _ := st.Tracking(context.Background(), []string{c.Session.ID}); len(saved) > 1 {
		t.Errorf("%d tracking steps stored after Forget", len(saved))
	}
}

// TestResumePollsWhatWasLeft: at start, Resume polls again the invites
// whose data entry was not complete (a real one with the API, a simulated
// one with the simulator, whose invites outlive a restart), and not those
// already Completed nor those too old to poll.
func TestResumePollsWhatWasLeft(t *testing.T) {
	var mu sync.Mutex
	polled := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		ref := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/user/signup/tracking/"), "/status")
		polled[ref]++
		io.WriteString(w, `{"status":"Completed"}`)
	}))
	defer api.Close()
	l, _ := newLab(t, decode.Keys{VerifiMeSecrets: []string{"mine"}})
	l.VerifiMe = verifime.NewClient(api.URL)
	sim, err := l.Sim.Invite(context.Background(), verifime.InviteRequest{Email: "a@example.com", ReferenceData: "kw-sim"})
	if err != nil {
		t.Fatal(err)
	}
	now := l.Now()
	tests := []sessions.TestSession{
		{ID: "kw-open", Ref: "tr-open", Source: sessions.SourceVerifiMe, CreatedAt: now.Add(-time.Minute)},
		{ID: "kw-done", Ref: "tr-done", Source: sessions.SourceVerifiMe, CreatedAt: now.Add(-time.Minute)},
		{ID: "kw-old", Ref: "tr-old", Source: sessions.SourceVerifiMe, CreatedAt: now.Add(-pollLimit - time.Hour)},
		{ID: "kw-sim", Ref: sim.TrackingReference, Source: sessions.SourceVerifiMeSim, CreatedAt: now.Add(-time.Minute)},
		{ID: "kw-veriff", Source: sessions.SourceSimulator, CreatedAt: now.Add(-time.Minute)},
	}
	var got []string
	done := make(chan struct{}, 10)
	l.OnTracking = func(s sessions.TrackingStep) {
		mu.Lock()
		got = append(got, s.SessionID+"="+s.Status)
		mu.Unlock()
		done <- struct{}{}
	}
	l.Resume(tests, []sessions.TrackingStep{{SessionID: "kw-done", Status: "Completed"}})
	deadline := time.After(5 * time.Second)
	for {
		mu.Lock()
		both := slices.Contains(got, "kw-open=Completed") && slices.Contains(got, "kw-sim=Completed")
		mu.Unlock()
		if both {
			break
		}
		select {
		case <-done:
		case <-deadline:
			t.Fatalf("tracking steps %v", got)
		}
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if polled["tr-open"] == 0 || polled["tr-done"] != 0 || polled["tr-old"] != 0 {
		t.Errorf("polled %v", polled)
	}
	for _, g := range got {
		if !strings.HasPrefix(g, "kw-open=") && !strings.HasPrefix(g, "kw-sim=") {
			t.Errorf("a tracking step for %s", g)
		}
	}
}

// TestResumeDoesNotRecordTheSameStatusAgain: after a restart, an invite
// whose status has not moved since its last stored step gets no second
// step with the same status.
func TestResumeDoesNotRecordTheSameStatusAgain(t *testing.T) {
	var mu sync.Mutex
	polls := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		polls++
		mu.Unlock()
		io.WriteString(w, `{"status":"Active"}`)
	}))
	defer api.Close()
	l, _ := newLab(t, decode.Keys{VerifiMeSecrets: []string{"mine"}})
	l.VerifiMe = verifime.NewClient(api.URL)
	var got []string
	l.OnTracking = func(s sessions.TrackingStep) { mu.Lock(); got = append(got, s.Status); mu.Unlock() }
	l.Resume([]sessions.TestSession{{ID: "kw-open", Ref: "tr-open", Source: sessions.SourceVerifiMe, CreatedAt: l.Now().Add(-time.Minute)}},
		[]sessions.TrackingStep{{SessionID: "kw-open", Status: "Inactive"}, {SessionID: "kw-open", Status: "Active"}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := polls
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.Forget()
	mu.Lock()
	defer mu.Unlock()
	if polls < 3 || len(got) != 0 {
		t.Errorf("%d polls; steps recorded again: %v", polls, got)
	}
}

// TestKeyTakeoversAtOnceKeepBoth: the simulator's Veriff keys and its
// VerifiMe secret taken over at the same time (a first session and a first
// assessment from two commands) both end up checked with: neither change
// overwrites the other.
func TestKeyTakeoversAtOnceKeepBoth(t *testing.T) {
	for i := range 5000 {
		rc := sessions.NewReceiver(nil, decode.Keys{}, nil)
		l := &Lab{Receiver: rc, SimSecret: "s", SimAPIKey: "k", SimVerifiMeSecret: "vm"}
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; l.simulatorKeys() }()
		go func() { defer wg.Done(); <-start; l.verifimeKeys() }()
		close(start)
		wg.Wait()
		if k := rc.Keys(); len(k.VeriffSecrets) == 0 || len(k.VerifiMeSecrets) == 0 {
			t.Fatalf("run %d: a takeover was lost: %+v", i, k)
		}
	}
}
