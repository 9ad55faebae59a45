package ui

import (
	"strings"
	"testing"

	"github.com/kycwatch/kycwatch/internal/display"
)

// TestFilterMatchingNothingShowsNoSession: when no session passes the
// filter, the timeline and the detail show none, not the one selected
// before; clearing the filter brings it back.
func TestFilterMatchingNothingShowsNoSession(t *testing.T) {
	for _, q := range []string{"state:aproved", "zzznomatch"} {
		m := newModel(t, 120, 40, demo(t))
		before := m.selected()
		if before == nil {
			t.Fatal("nothing selected to start with")
		}
		m = press(m, append([]string{"/"}, strings.Split(q, "")...)...)
		out := screen(m)
		if !strings.Contains(out, "no session matches") {
			t.Fatalf("%s:\n%s", q, out)
		}
		if s := m.selected(); s != nil {
			t.Errorf("%s: %q still selected", q, s.ID)
		}
		if !strings.Contains(out, "No session passes the filter") {
			t.Errorf("%s: the timeline does not say why it is empty:\n%s", q, out)
		}
		if strings.Contains(out, "Timeline "+display.ShortID(before.ID)) || strings.Contains(out, "Timeline unsorted") || strings.Contains(out, "Received") {
			t.Errorf("%s: a filtered-out session is shown:\n%s", q, out)
		}
		m = press(m, "esc")
		if m.selected() == nil {
			t.Errorf("%s: nothing selected after esc", q)
		}
	}
}

// TestFilterHintsTheValidValues: a qualifier's value that names nothing
// (a typo) gets a hint with the values it takes.
func TestFilterHintsTheValidValues(t *testing.T) {
	cases := map[string][]string{
		"state:aproved": {"approved", "declined", "resubmission"},
		"kind:decison":  {"decision", "watchlist"},
		"sig:bad":       {"valid", "invalid", "fail"},
	}
	for q, want := range cases {
		m := press(newModel(t, 200, 50, demo(t)), append([]string{"/"}, strings.Split(q, "")...)...)
		out := screen(m)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no hint naming %q:\n%s", q, w, out)
			}
		}
	}
	// A known value, even one that matches nothing, gets no hint.
	if out := screen(press(newModel(t, 200, 50, demo(t)), append([]string{"/"}, strings.Split("state:expired", "")...)...)); strings.Contains(out, "one of") {
		t.Errorf("state:expired hinted:\n%s", out)
	}
}
