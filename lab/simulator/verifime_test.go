package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

func TestVerifiMeTwoPhases(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	inv, err := g.sim.Invite(ctx, verifime.InviteRequest{Email: "jane@example.com", Code: "sim", ReferenceData: "kw-ref-1",
		CustomerContext: verifime.CustomerContext{FirstName: "Jane", FamilyName: "Citizen"}})
	if err != nil {
		t.Fatal(err)
	}
	if inv.TrackingReference == "" || !strings.Contains(inv.InviteURL, inv.TrackingReference) {
		t.Fatalf("%+v", inv)
	}
	// Phase 1: the tracking status only moves forward, to Completed.
	var seen []string
	deadline := time.Now().Add(5 * time.Second)
	for len(seen) == 0 || seen[len(seen)-1] != verifime.Completed {
		st, raw, err := g.sim.TrackingStatus(ctx, inv.TrackingReference)
		if err != nil || verifime.ParseStatus([]byte(raw)) != st {
			t.Fatalf("%q %q %v", st, raw, err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if time.Now().After(deadline) {
			t.Fatalf("statuses %v", seen)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if seen[0] != verifime.Inactive || len(seen) != 3 {
		t.Errorf("statuses %v", seen)
	}
	// Phase 2: PRELIMINARY, then ASSESSED LOW, signed as VerifiMe signs.
	rs := g.waitN(t, 2)
	for i, want := range []string{"preliminary", "assessed"} {
		r := rs[i]
		if r.Delivery.Kind != decode.KindRiskAssessment || r.Delivery.SessionID != "kw-ref-1" || r.Delivery.State != want ||
			r.Verdict.Signature != decode.SigValid || r.Status != 200 || r.Header["X-Verifime-Version"][0] != "1" {
			t.Fatalf("assessment %d: %+v %+v", i, r.Delivery, r.Verdict)
		}
	}
	if rs[1].Delivery.Risk.RiskLevel != "LOW" || rs[1].Delivery.Risk.CustomerName != "Jane Citizen" || rs[0].Delivery.Risk.RiskLevel != "" {
		t.Errorf("risk %+v / %+v", rs[0].Delivery.Risk, rs[1].Delivery.Risk)
	}
	// A key re-assesses with another level.
	if err := g.sim.Assess(ctx, "kw-ref-1", "EXTREME", ""); err != nil {
		t.Fatal(err)
	}
	if r := g.waitN(t, 3)[2]; r.Delivery.Risk.RiskLevel != "EXTREME" || r.Delivery.SessionID != "kw-ref-1" {
		t.Errorf("%+v", r.Delivery.Risk)
	}
	if err := g.sim.Assess(ctx, "kw-ref-1", "PURPLE", ""); err == nil {
		t.Error("unknown level accepted")
	}
	if _, _, err := g.sim.TrackingStatus(ctx, "nope"); err == nil {
		t.Error("unknown tracking reference answered")
	}
}

func TestVerifiMeChosenLevelBeforeTheAssessment(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	if _, err := g.sim.Invite(ctx, verifime.InviteRequest{Email: "a@b.c", ReferenceData: "kw-2"}); err != nil {
		t.Fatal(err)
	}
	// Chosen early: sent at once, and nothing automatic follows.
	if err := g.sim.Assess(ctx, "kw-2", "NO RISK DETECTED", ""); err != nil {
		t.Fatal(err)
	}
	rs := g.waitN(t, 1)
	time.Sleep(150 * time.Millisecond)
	g.mu.Lock()
	n := len(g.got)
	g.mu.Unlock()
	if rs[0].Delivery.Risk.RiskLevel != "NO RISK DETECTED" || n != 1 {
		t.Errorf("first %+v, %d deliveries", rs[0].Delivery.Risk, n)
	}
	if rs[0].Delivery.Risk.CustomerName == "" {
		t.Error("no customer name made up")
	}
}

func TestVerifiMeInviteValidation(t *testing.T) {
	g := newRig(t)
	_, err := g.sim.Invite(context.Background(), verifime.InviteRequest{Email: "nope"})
	var e *verifime.Error
	if !errors.As(err, &e) || len(e.Results) != 2 || !strings.Contains(err.Error(), "email: Email is not valid") {
		t.Fatalf("%v", err)
	}
}

// TestAnOpenedInviteMovesWithTheCustomer: once the customer opens the
// invite page, the timer no longer completes the data entry for them.
func TestAnOpenedInviteMovesWithTheCustomer(t *testing.T) {
	g := newRig(t)
	g.sim.cfg.TrackingStep = time.Second
	ctx := context.Background()
	inv, err := g.sim.Invite(ctx, verifime.InviteRequest{Email: "jane@example.com", ReferenceData: "kw-open-1"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := g.sim.OpenInvite(inv.TrackingReference); err != nil || st.Status != verifime.Active {
		t.Fatalf("%+v %v", st, err)
	}
	g.sim.Wait() // the timer has had its turns
	if st, _, _ := g.sim.TrackingStatus(ctx, inv.TrackingReference); st != verifime.Active {
		t.Fatalf("the timer moved it to %s", st)
	}
	if err := g.sim.EnterData(inv.TrackingReference, "Jane Citizen"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := g.sim.TrackingStatus(ctx, inv.TrackingReference); st != verifime.Completed {
		t.Fatalf("after the details: %s", st)
	}
	if rs := g.waitN(t, 2); rs[1].Delivery.State != "assessed" || rs[1].Delivery.SessionID != "kw-open-1" {
		t.Fatalf("%+v", rs[1].Delivery)
	}
	if err := g.sim.EnterData(inv.TrackingReference, "again"); err == nil {
		t.Error("Completed is one way")
	}
}

// TestInvitesAreBounded: the sandbox's invite endpoint needs no key, so a
// simulator holds MaxInvites at most, dropping the oldest.
func TestInvitesAreBounded(t *testing.T) {
	g := newRig(t)
	g.sim.cfg.TrackingStep = time.Hour
	ctx := context.Background()
	var first string
	for i := 0; i <= MaxInvites; i++ {
		inv, err := g.sim.Invite(ctx, verifime.InviteRequest{Email: "a@example.com", ReferenceData: fmt.Sprint("kw-", i)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = inv.TrackingReference
		}
	}
	if _, ok := g.sim.Invitation(first); ok {
		t.Error("the oldest invite is still held")
	}
	if _, _, err := g.sim.TrackingStatus(ctx, first); err == nil {
		t.Error("the oldest invite still answers")
	}
	g.sim.mu.Lock()
	n := len(g.sim.order)
	g.sim.mu.Unlock()
	if n != MaxInvites {
		t.Errorf("%d held", n)
	}
}

// TestInvitesKeptAcrossARestart: every change of an invite reaches
// KeepInvite; a new simulator restored from the last states answers for
// them alike (page state, tracking status) and carries on: phase 2 begun
// before the restart sends its assessments, and a tracking status still
// moving on its own reaches Completed.
func TestInvitesKeptAcrossARestart(t *testing.T) {
	g := newRig(t)
	var mu sync.Mutex
	last := map[string]InviteSnapshot{}
	var order []string
	keep := func(p InviteSnapshot) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := last[p.Ref]; !ok {
			order = append(order, p.Ref)
		}
		last[p.Ref] = p
	}
	ctx1, kill := context.WithCancel(context.Background())
	first := New(ctx1, Config{Secret: secret, APIKey: apiKey, Target: func() string { return g.url }, VerifiMeSecret: vmSecret,
		TrackingStep: time.Hour, AssessAfter: time.Hour, KeepInvite: keep})
	entered, err := first.Invite(ctx1, verifime.InviteRequest{Email: "jane@example.com", ReferenceData: "kw-kept-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.EnterData(entered.TrackingReference, "Jane Kept"); err != nil {
		t.Fatal(err)
	}
	moving, err := first.Invite(ctx1, verifime.InviteRequest{Email: "joe@example.com", ReferenceData: "kw-kept-2"})
	if err != nil {
		t.Fatal(err)
	}
	kill()
	first.Wait()
	mu.Lock()
	if p := last[entered.TrackingReference]; p.Status != verifime.Completed || !p.Phase2 || !p.ByPage || p.Customer != "Jane Kept" {
		t.Fatalf("kept %+v", p)
	}
	snaps := []InviteSnapshot{last[order[0]], last[order[1]]}
	mu.Unlock()

	ctx2, cancel := context.WithCancel(context.Background())
	defer cancel()
	next := New(ctx2, Config{Secret: secret, APIKey: apiKey, Target: func() string { return g.url }, VerifiMeSecret: vmSecret,
		TrackingStep: 20 * time.Millisecond, AssessAfter: 60 * time.Millisecond, KeepInvite: keep})
	defer next.Wait()
	next.RestoreInvites(snaps)
	if st, ok := next.Invitation(entered.TrackingReference); !ok || st.Status != verifime.Completed || st.Customer != "Jane Kept" {
		t.Fatalf("restored %+v %v", st, ok)
	}
	// kw-kept-1's PRELIMINARY then ASSESSED (kw-kept-2's own phase 2 may
	// come in between: it completes meanwhile).
	var kept []sessions.Record
	for n := 2; len(kept) < 2 && n <= 4; n++ {
		kept = kept[:0]
		for _, r := range g.waitN(t, n) {
			if r.Delivery.SessionID == "kw-kept-1" {
				kept = append(kept, r)
			}
		}
	}
	if len(kept) != 2 || kept[0].Delivery.State != "preliminary" || kept[1].Delivery.State != "assessed" ||
		kept[1].Delivery.Risk.CustomerName != "Jane Kept" {
		t.Fatalf("phase 2 after the restart: %+v", kept)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _, err := next.TrackingStatus(ctx2, moving.TrackingReference)
		if err != nil {
			t.Fatal(err)
		}
		if st == verifime.Completed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restored invite's tracking stays %s", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUnansweredAssessmentGoesAgainAfterARestart: an assessment posted and
// never answered (kycwatch stopped, or not listening) is kept as pending;
// restored, the simulator sends it again, the same event, and once it is
// answered it is pending no more.
func TestUnansweredAssessmentGoesAgainAfterARestart(t *testing.T) {
	g := newRig(t)
	var mu sync.Mutex
	var last InviteSnapshot
	keep := func(p InviteSnapshot) { mu.Lock(); last = p; mu.Unlock() }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	nowhere := func() string { return "http://127.0.0.1:1" } // nothing listens: no answer
	first := New(ctx, Config{Secret: secret, APIKey: apiKey, Target: nowhere, VerifiMeSecret: vmSecret,
		TrackingStep: time.Hour, AssessAfter: time.Hour, KeepInvite: keep})
	inv, err := first.Invite(ctx, verifime.InviteRequest{Email: "jane@example.com", ReferenceData: "kw-pending-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Assess(ctx, "kw-pending-1", verifime.High, "Jane Pending"); err == nil {
		t.Fatal("an assessment to nowhere was delivered")
	}
	mu.Lock()
	snap := last
	mu.Unlock()
	if len(snap.Assessments) != 1 || len(snap.Pending) != 1 || snap.Pending[0] != snap.Assessments[0].EventID {
		t.Fatalf("kept after no answer: %d assessments, pending %v", len(snap.Assessments), snap.Pending)
	}

	next := New(ctx, Config{Secret: secret, APIKey: apiKey, Target: func() string { return g.url }, VerifiMeSecret: vmSecret,
		TrackingStep: time.Hour, AssessAfter: time.Hour, KeepInvite: keep})
	next.RestoreInvites([]InviteSnapshot{snap})
	r := g.waitN(t, 1)[0]
	if r.Delivery.Risk == nil || r.Delivery.Risk.EventID != snap.Assessments[0].EventID || r.Delivery.SessionID != "kw-pending-1" {
		t.Fatalf("after the restart kycwatch got %+v", r.Delivery)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		done := len(last.Pending) == 0
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the assessment stays pending after its answer")
		}
	}
	cancel()
	first.Wait()
	next.Wait()
	mu.Lock()
	defer mu.Unlock()
	if last.Ref != inv.TrackingReference || len(last.Pending) != 0 || len(last.Assessments) != 1 {
		t.Fatalf("kept after the answer: ref %s, pending %v, %d assessments", last.Ref, last.Pending, len(last.Assessments))
	}
}

// TestUnansweredAssessmentsGoAgainInOrder: a PRELIMINARY and an ASSESSED
// both unanswered before a restart go again in the order they were made,
// or the session would end "preliminary" after its assessment.
func TestUnansweredAssessmentsGoAgainInOrder(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev verifime.RiskAssessmentWebhook
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		got = append(got, ev.AssessmentStatus)
		mu.Unlock()
	}))
	defer srv.Close()
	level := verifime.Low
	for run := range 50 {
		mu.Lock()
		got = nil
		mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		s := New(ctx, Config{Secret: secret, APIKey: apiKey, Target: func() string { return srv.URL }, VerifiMeSecret: vmSecret,
			TrackingStep: time.Hour, AssessAfter: time.Hour})
		s.RestoreInvites([]InviteSnapshot{{Ref: "r1", ReferenceData: "kw-1", Status: verifime.Completed, Phase2: true, Assessed: true,
			Assessments: []verifime.RiskAssessmentWebhook{
				{EventID: "e1", EventName: verifime.RiskAssessmentUpdated, AssessmentStatus: verifime.Preliminary, Metadata: "kw-1"},
				{EventID: "e2", EventName: verifime.RiskAssessmentUpdated, AssessmentStatus: verifime.Assessed, RiskLevel: &level, Metadata: "kw-1"},
			}, Pending: []string{"e1", "e2"}}})
		s.Wait()
		cancel()
		mu.Lock()
		if len(got) != 2 || got[0] != verifime.Preliminary || got[1] != verifime.Assessed {
			mu.Unlock()
			t.Fatalf("run %d: after the restart the app got %v", run, got)
		}
		mu.Unlock()
	}
}

// TestKeepingAnInviteDoesNotStallTheSimulator: keeping an invite's state
// (a database write, which can wait for the delivery writer) happens
// outside the simulator's lock: while one is slow, the sandbox's other
// calls are answered.
func TestKeepingAnInviteDoesNotStallTheSimulator(t *testing.T) {
	keeping, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := func(InviteSnapshot) { // the first keep hangs until released
		once.Do(func() { close(keeping); <-release })
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := New(ctx, Config{Secret: secret, APIKey: apiKey, Target: func() string { return "http://127.0.0.1:1" }, VerifiMeSecret: vmSecret,
		TrackingStep: time.Hour, AssessAfter: time.Hour, KeepInvite: slow})
	made := make(chan verifime.Invite, 1)
	go func() {
		inv, _ := s.Invite(ctx, verifime.InviteRequest{Email: "jane@example.com", ReferenceData: "kw-slow-1"})
		made <- inv
	}()
	<-keeping
	answered := make(chan bool)
	go func() { // the sandbox asks meanwhile
		_, ok := s.Invitation("no-such-ref")
		s.Decided("some-session")
		answered <- !ok
	}()
	select {
	case <-answered:
	case <-time.After(3 * time.Second):
		close(release)
		t.Fatal("the simulator stalled while an invite was being kept")
	}
	close(release)
	if inv := <-made; inv.TrackingReference == "" {
		t.Fatal("the invite was not made")
	}
	cancel()
	s.Wait()
}
