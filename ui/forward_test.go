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
	for _, want := range []string{"→ localhost:3000/hooks", "7002 submitted ↻ →200", "Forwarded  200 in 3ms · http://localhost:3000/hooks/veriff/events", `app: {"ok":true}`} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	m = update(m, ForwardMsg{Seq: 8, Target: "http://localhost:3000/hooks/veriff/events", Error: "the app is not listening (connection refused)", Replay: true})
	if out = ansi.Strip(screen(m)); !strings.Contains(out, "✗ the app is not listening (connection refused) in 0s") || !strings.Contains(out, "· replay") || !strings.Contains(out, "→✗") {
		t.Errorf("a failed replay:\n%s", out)
	}
}
