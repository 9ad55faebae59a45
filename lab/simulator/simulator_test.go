package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

const (
	vmSecret = "vm-test-secret"
	secret   = "sim-test-secret"
	apiKey   = "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"
)

// rig is kycwatch's real receive path (listener, verifier, store) behind an
// httptest server, with the simulator pointed at it.
type rig struct {
	sim  *Simulator
	url  string // kycwatch's listener, where simulators deliver
	mu   sync.Mutex
	got  []sessions.Record
	cond chan struct{}
}

func newRig(t *testing.T) *rig {
	t.Helper()
	events := bus.New()
	sub := events.Subscribe()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"), sessions.WithEvents(events))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rc := sessions.NewReceiver(st, decode.Keys{VeriffSecrets: []string{secret}, VeriffAPIKey: apiKey, VerifiMeSecrets: []string{vmSecret}}, nil)
	g := &rig{cond: make(chan struct{}, 1000)}
	srv := httptest.NewServer(listener.New(rc, listener.DefaultLimits, nil).Handler())
	t.Cleanup(srv.Close)
	g.url = srv.URL
	ctx, cancel := context.WithCancel(context.Background())
	// Follow the store as kycwatch's consumers do: whole deliveries, in order.
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		cur := st.Follow(0)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Ready():
				sub.Take()
			}
			for recs, _ := cur.Next(ctx, 1000); len(recs) > 0; recs, _ = cur.Next(ctx, 1000) {
				g.deliver(ctx, st, recs)
			}
		}
	}()
	t.Cleanup(func() { <-followed })

	g.sim = New(ctx, Config{Secret: secret, APIKey: apiKey, Target: func() string { return srv.URL },
		StartAfter: 10 * time.Millisecond, SubmitAfter: 10 * time.Millisecond,
		VerifiMeSecret: vmSecret, TrackingStep: 20 * time.Millisecond, AssessAfter: 60 * time.Millisecond,
		Failed: func(err error) { t.Errorf("delivery failed: %v", err) }})
	t.Cleanup(func() { cancel(); g.sim.Wait() })
	return g
}

// deliver keeps what the follower read, whole.
func (g *rig) deliver(ctx context.Context, st *sessions.Store, recs []sessions.Record) {
	for _, r := range recs {
		if full, err := st.Get(ctx, r.Seq); err == nil {
			r = full
		}
		g.mu.Lock()
		g.got = append(g.got, r)
		g.mu.Unlock()
		g.cond <- struct{}{}
	}
}

// waitN waits until n deliveries have been received.
func (g *rig) waitN(t *testing.T, n int) []sessions.Record {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		g.mu.Lock()
		if len(g.got) >= n {
			out := append([]sessions.Record(nil), g.got...)
			g.mu.Unlock()
			return out
		}
		g.mu.Unlock()
		select {
		case <-g.cond:
		case <-deadline:
			t.Fatalf("got %d deliveries, want %d", len(g.got), n)
		}
	}
}

func TestLifecycleWithEveryDecision(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	book := sessions.NewBook()
	seen := 0
	fold := func(rs []sessions.Record) {
		for ; seen < len(rs); seen++ {
			book.Add(rs[seen])
		}
	}
	for _, status := range sessions.DecisionStatuses {
		t.Run(status, func(t *testing.T) {
			c, err := g.sim.CreateSession(ctx, veriff.SessionRequest{Verification: veriff.NewVerification{
				VendorData: "demo-" + status, Person: &veriff.NewPerson{FirstName: "Ada", LastName: "Lovelace"}}})
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != "created" || len(c.ID) != 36 || c.VendorData != "demo-"+status || c.URL == "" || c.SessionToken == "" {
				t.Fatalf("created %+v", c)
			}
			rs := g.waitN(t, seen+2)
			fold(rs)
			s := book.Get(c.ID)
			if s == nil || s.State != sessions.StateSubmitted || len(s.Steps) != 2 {
				t.Fatalf("after the end-user: %+v", s)
			}
			for _, st := range s.Steps {
				if st.Verdict.Signature != decode.SigValid || st.Verdict.APIKey != decode.KeyMatch || st.Status != 200 {
					t.Fatalf("event not verified: %+v", st.Verdict)
				}
			}
			if err := g.sim.Decide(ctx, c.ID, status, Known{}); err != nil {
				t.Fatal(err)
			}
			rs = g.waitN(t, seen+1)
			fold(rs)
			d := rs[len(rs)-1]
			if code, _ := veriff.DecisionCode(status); d.Delivery.Kind != decode.KindDecision || d.Delivery.State != status || d.Delivery.Code != code ||
				d.Verdict.Signature != decode.SigValid || d.Status != 200 || d.Delivery.AttemptID != s.Attempts[0] {
				t.Fatalf("decision %+v %+v", d.Delivery, d.Verdict)
			}
			if s = book.Get(c.ID); s.State != status {
				t.Errorf("state %q after %s", s.State, status)
			}
			checkAlwaysSent(t, d.Body, status)
			if status == sessions.StateResubmit {
				// The end-user goes round again on a new attempt.
				rs = g.waitN(t, seen+2)
				fold(rs)
				if s = book.Get(c.ID); s.State != sessions.StateSubmitted || len(s.Attempts) != 2 {
					t.Fatalf("after resubmission: state %q, attempts %v", s.State, s.Attempts)
				}
				if err := g.sim.Decide(ctx, c.ID, sessions.StateApproved, Known{}); err != nil {
					t.Fatal(err)
				}
				fold(g.waitN(t, seen+1))
				if s = book.Get(c.ID); s.State != sessions.StateApproved || s.Steps[len(s.Steps)-1].Delivery.AttemptID != s.Attempts[1] {
					t.Fatalf("second attempt not approved: %q", s.State)
				}
			}
		})
	}
}

// checkAlwaysSent: every field Veriff documents as always sent is there,
// and the body is compact JSON with no trailing newline.
func checkAlwaysSent(t *testing.T, body []byte, status string) {
	t.Helper()
	if body[len(body)-1] == '\n' || json.Valid(body) == false {
		t.Fatalf("body %q", body)
	}
	var d struct {
		Status        *string                    `json:"status"`
		Verification  map[string]json.RawMessage `json:"verification"`
		TechnicalData map[string]json.RawMessage `json:"technicalData"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.Status == nil || *d.Status != "success" || d.TechnicalData == nil {
		t.Fatalf("decision %s (%v)", body, err)
	}
	for _, k := range []string{"id", "attemptId", "vendorData", "endUserId", "status", "code", "reason", "reasonCode",
		"decisionTime", "acceptanceTime", "submissionTime", "person", "document"} {
		if _, ok := d.Verification[k]; !ok {
			t.Errorf("verification.%s missing", k)
		}
	}
	var p, doc map[string]json.RawMessage
	json.Unmarshal(d.Verification["person"], &p)
	json.Unmarshal(d.Verification["document"], &doc)
	for _, k := range []string{"firstName", "lastName", "dateOfBirth", "gender", "nationality", "idNumber", "yearOfBirth", "placeOfBirth"} {
		if _, ok := p[k]; !ok {
			t.Errorf("person.%s missing", k)
		}
	}
	for _, k := range []string{"number", "type", "country", "state"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("document.%s missing", k)
		}
	}
	if status == sessions.StateApproved && string(p["firstName"]) != `"ADA"` {
		t.Errorf("the form's name was not used: %s", p["firstName"])
	}
	if (status == sessions.StateDeclined || status == sessions.StateResubmit) && string(d.Verification["reasonCode"]) == "null" {
		t.Errorf("%s without a reason code", status)
	}
}

func TestForgeries(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	c, err := g.sim.CreateSession(ctx, veriff.SessionRequest{Verification: veriff.NewVerification{VendorData: "forge"}})
	if err != nil {
		t.Fatal(err)
	}
	g.waitN(t, 2)
	cases := []struct {
		kind   sessions.Forgery
		status int
		check  func(sessions.Record) bool
	}{
		{sessions.BadSignature, 401, func(r sessions.Record) bool {
			return r.Verdict.Signature == decode.SigInvalid && r.Verdict.Reason != ""
		}},
		{sessions.WrongAPIKey, 401, func(r sessions.Record) bool {
			return r.Verdict.Signature == decode.SigValid && r.Verdict.APIKey == decode.KeyMismatch
		}},
		{sessions.InvalidJSON, 400, func(r sessions.Record) bool {
			return r.Delivery.Kind == decode.KindInvalid && r.Verdict.Signature == decode.SigValid
		}},
	}
	for i, cs := range cases {
		status, err := g.sim.Forge(ctx, c.ID, cs.kind, Known{})
		if err != nil || status != cs.status {
			t.Fatalf("%s: answered %d, %v", cs.kind, status, err)
		}
		rs := g.waitN(t, 3+i)
		if r := rs[len(rs)-1]; !cs.check(r) {
			t.Errorf("%s: verdict %+v kind %s", cs.kind, r.Verdict, r.Delivery.Kind)
		}
	}
}

// TestForgottenSession decides a session created before a restart, from
// what kycwatch knows of it.
func TestForgottenSession(t *testing.T) {
	g := newRig(t)
	known := Known{AttemptID: "e30122d1-740b-4764-853f-470374a7abf4", VendorData: "old", Created: time.Now().Add(-time.Hour)}
	if err := g.sim.Decide(context.Background(), "f04bdb47-d3be-4b28-b028-a652feb060b5", sessions.StateDeclined, known); err != nil {
		t.Fatal(err)
	}
	r := g.waitN(t, 1)[0]
	if r.Delivery.SessionID != "f04bdb47-d3be-4b28-b028-a652feb060b5" || r.Delivery.AttemptID != known.AttemptID ||
		r.Delivery.VendorData != "old" || r.Delivery.State != sessions.StateDeclined {
		t.Fatalf("%+v", r.Delivery)
	}
}

func TestCreateSessionValidates(t *testing.T) {
	g := newRig(t)
	_, err := g.sim.CreateSession(context.Background(), veriff.SessionRequest{Verification: veriff.NewVerification{EndUserID: "not-a-uuid"}})
	var e *veriff.Error
	if !errors.As(err, &e) || e.Code != "1104" || e.HTTPStatus != 400 {
		t.Fatalf("%v", err)
	}
	long := make([]byte, 1001)
	for i := range long {
		long[i] = 'x'
	}
	if _, err := g.sim.CreateSession(context.Background(), veriff.SessionRequest{Verification: veriff.NewVerification{VendorData: string(long)}}); !errors.As(err, &e) || e.Code != "1500" {
		t.Fatalf("%v", err)
	}
}

func TestIdentityIsStablePerSession(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	a, b := identityFor("s1", "", "", now), identityFor("s1", "", "", now)
	if a != b || a.first == "" || a.docNumber == "" || a.ip[:10] != "203.0.113." {
		t.Fatalf("%+v %+v", a, b)
	}
	if c := identityFor("s1", "ADA", "", now); c.first != "ADA" || c.last != a.last {
		t.Errorf("%+v", c)
	}
}

// TestForgetStopsLifecyclesInFlight: clearing the history (Forget) stops
// the end-user's steps and VerifiMe assessments still to come, so no
// lone row without its created step comes back after C.
func TestForgetStopsLifecyclesInFlight(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	if _, err := g.sim.CreateSession(ctx, veriff.SessionRequest{Verification: veriff.NewVerification{VendorData: "cleared"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.sim.Invite(ctx, verifime.InviteRequest{Email: "jane@example.com", Code: "sim", ReferenceData: "kw-cleared",
		CustomerContext: verifime.CustomerContext{FirstName: "Jane", FamilyName: "Citizen"}}); err != nil {
		t.Fatal(err)
	}
	g.sim.Forget()
	g.sim.Wait() // every lifecycle ran out its waits
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.got) != 0 {
		t.Errorf("%d deliveries after Forget: %v", len(g.got), g.got[0].Delivery)
	}
}
