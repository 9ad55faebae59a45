package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// TestKeepAndRestore: every change of a sandbox session reaches Keep in
// order; the last snapshot, through JSON (as the store keeps it), brings
// the session back in a new simulator, which answers for it as the first
// did.
func TestKeepAndRestore(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var mu sync.Mutex
	var kept []Snapshot
	cfg := Config{Secret: secret, APIKey: apiKey, Target: func() string { return srv.URL }, Manual: true,
		Keep: func(s Snapshot) { mu.Lock(); kept = append(kept, s); mu.Unlock() }}
	ctx := context.Background()
	first := New(ctx, cfg)
	c, err := first.CreateSession(ctx, veriff.SessionRequest{Verification: veriff.NewVerification{
		VendorData: "backend-1", Callback: "https://example.com/back", Person: &veriff.NewPerson{FirstName: "Ada", LastName: "Lovelace"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := first.AddMedia(c.ID, "document-front", "image/jpeg", 1234, ""); err != nil {
		t.Fatal(err)
	}
	if err := first.Submit(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := first.Decide(ctx, c.ID, sessions.StateResubmit, Known{}); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, s := range kept {
		statuses = append(statuses, s.Status)
	}
	if want := []string{"created", "started", "started", "submitted", sessions.StateResubmit, "created"}; !reflect.DeepEqual(statuses, want) {
		t.Fatalf("kept statuses %v, want %v", statuses, want)
	}

	b, err := json.Marshal(kept[len(kept)-1])
	if err != nil {
		t.Fatal(err)
	}
	var snap Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	// The next run listens elsewhere (another port).
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv2.Close()
	cfg.Keep = nil
	cfg.Target = func() string { return srv2.URL }
	second := New(ctx, cfg)
	second.Restore([]Snapshot{snap, {}}) // an empty one is skipped
	for _, f := range []func(*Simulator) (any, error){
		func(s *Simulator) (any, error) { return s.Attempts(c.ID) },
		func(s *Simulator) (any, error) { return s.MediaOf(c.ID) },
		func(s *Simulator) (any, error) { return s.DecisionOf(c.ID) },
		func(s *Simulator) (any, error) { st, _ := s.State(c.ID); return st, nil },
	} {
		want, _ := f(first)
		got, err := f(second)
		wj, _ := json.Marshal(want)
		gj, _ := json.Marshal(got)
		wj = []byte(strings.ReplaceAll(string(wj), srv.URL, srv2.URL)) // media URLs name the new address
		if err != nil || string(wj) != string(gj) {
			t.Errorf("restored %s (%v), want %s", gj, err, wj)
		}
	}
	// The restored session carries on: a new attempt, started then
	// submitted, then decided.
	if err := second.Start(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := second.Submit(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if !second.Open(c.ID) {
		t.Fatal("restored session not open for a decision")
	}
	if err := second.Decide(ctx, c.ID, sessions.StateApproved, Known{}); err != nil {
		t.Fatal(err)
	}
	d, _ := second.DecisionOf(c.ID)
	if d == nil || d.Status != sessions.StateApproved || d.AttemptID != snap.Attempt || d.VendorData == nil || *d.VendorData != "backend-1" {
		t.Fatalf("decision after restore %+v", d)
	}
	second.Forget()
	if _, err := second.Attempts(c.ID); err == nil {
		t.Fatal("a forgotten session still answers")
	}
}
