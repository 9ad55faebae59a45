package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/sessions"
)

func TestForwardsShowOnTheTimelineAndInTheDetail(t *testing.T) {
	m := newModel(t, 120, 40, demo(t)).WithForwards([]string{"http://localhost:3000/hooks"}, []sessions.Forward{
		{Seq: 7, Target: "http://localhost:3000/hooks/veriff/decisions", Status: 500, Latency: 12 * time.Millisecond, Response: []byte("boom\nstack")},
	})
	m = update(m, ForwardMsg{Seq: 8, Target: "http://localhost:3000/hooks/veriff/events", Status: 200, Latency: 3 * time.Millisecond, Response: []byte(`{"ok":true}`)})
	out := ansi.Strip(screen(m))
	for _, want := range []string{"→ localhost:3000/hooks", "7002 submitted ↻ →200", "Forwarded  200 in 3ms · as received · http://localhost:3000/hooks/veriff/events", `app: {"ok":true}`} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	m = update(m, ForwardMsg{Seq: 8, Target: "http://localhost:3000/hooks/veriff/events", Error: "the app is not listening (connection refused)", SentAs: sessions.SentEdited})
	if out = ansi.Strip(screen(m)); !strings.Contains(out, "✗ the app is not listening (connection refused) in 0s") || !strings.Contains(out, "· edited replay, original signature") || !strings.Contains(out, "→✗") {
		t.Errorf("a failed replay:\n%s", out)
	}
}

// TestAnsweredByTheAppShowsWhatTheProviderGot: with --answer app the
// timeline and the detail show the status the provider got (the app's
// 500), with kycwatch's own verdict beside it in the detail.
func TestAnsweredByTheAppShowsWhatTheProviderGot(t *testing.T) {
	r := delivery(t, 1, 0, "veriff-event-7001-started.json", "sec", "/veriff/events")
	r.Answered = 500
	m := newModel(t, 120, 40, []sessions.Record{r})
	out := screen(m)
	if !strings.Contains(out, "7001 started 500") {
		t.Errorf("the timeline does not show the provider's 500:\n%s", out)
	}
	if !strings.Contains(out, "→ 500 (your app's answer; kycwatch: 200)") {
		t.Errorf("the detail does not show both:\n%s", out)
	}
}

// TestForwardRetriesShowOnTheTimeline: a forward the app did not answer
// says it will be tried again, on the timeline and in the detail.
func TestForwardRetriesShowOnTheTimeline(t *testing.T) {
	m := newModel(t, 120, 40, demo(t)).WithForwards([]string{"http://localhost:3000/hooks"}, nil)
	m = update(m, ForwardMsg{Seq: 8, Target: "http://localhost:3000/hooks/veriff/events", Error: "the app is not listening (connection refused)", Attempt: 2, RetryIn: 4 * time.Second})
	out := ansi.Strip(screen(m))
	if !strings.Contains(out, "→✗ retry") || !strings.Contains(out, "try 2 · trying again in 4s") {
		t.Errorf("no retry shown:\n%s", out)
	}
}
