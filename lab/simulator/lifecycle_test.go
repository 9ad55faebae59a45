package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// TestADecidedEndUserStops: after expired (never started) or abandoned
// (started, never submitted) the simulated end-user neither starts nor
// submits.
func TestADecidedEndUserStops(t *testing.T) {
	for _, status := range []string{sessions.StateExpired, sessions.StateAbandoned} {
		t.Run(status, func(t *testing.T) {
			g := newRig(t)
			g.sim.cfg.StartAfter, g.sim.cfg.SubmitAfter = 30*time.Millisecond, 30*time.Millisecond
			ctx := context.Background()
			c, err := g.sim.CreateSession(ctx, veriff.SessionRequest{Verification: veriff.NewVerification{VendorData: "v"}})
			if err != nil {
				t.Fatal(err)
			}
			if status == sessions.StateAbandoned {
				g.waitN(t, 1) // 7001 started
			}
			if err := g.sim.Decide(ctx, c.ID, status, Known{}); err != nil {
				t.Fatal(err)
			}
			g.sim.Wait() // the end-user's steps have had their turn: all is stored
			want := []int{9104}
			if status == sessions.StateAbandoned {
				want = []int{7001, 9104}
			}
			g.waitN(t, len(want)) // the follower reads the store on its own time
			var codes []int
			g.mu.Lock()
			for _, r := range g.got {
				codes = append(codes, r.Delivery.Code)
			}
			g.mu.Unlock()
			if len(codes) != len(want) || codes[len(codes)-1] != 9104 || (status == sessions.StateAbandoned && codes[0] != 7001) {
				t.Fatalf("deliveries %v, want %v", codes, want)
			}
		})
	}
}

// TestASecondDecisionSaysItOverrides: a decided session takes another
// decision (as a forced status in a test integration does), and says
// which one it overrides.
func TestASecondDecisionSaysItOverrides(t *testing.T) {
	g := newRig(t)
	ctx := context.Background()
	c, err := g.sim.CreateSession(ctx, veriff.SessionRequest{Verification: veriff.NewVerification{VendorData: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	g.waitN(t, 2) // started, submitted
	if prev := g.sim.Decided(c.ID); prev != "" {
		t.Fatalf("undecided session: %q", prev)
	}
	if err := g.sim.Decide(ctx, c.ID, sessions.StateDeclined, Known{}); err != nil {
		t.Fatal(err)
	}
	if prev := g.sim.Decided(c.ID); prev != sessions.StateDeclined {
		t.Fatalf("after declined: %q", prev)
	}
	if err := g.sim.Decide(ctx, c.ID, sessions.StateApproved, Known{}); err != nil {
		t.Fatal(err)
	}
	rs := g.waitN(t, 4)
	if d := rs[3].Delivery; d.Kind != decode.KindDecision || d.State != sessions.StateApproved {
		t.Fatalf("%+v", d)
	}
	if got := OverrideNote(sessions.StateDeclined); got == "" {
		t.Fatal("no note")
	}
}
