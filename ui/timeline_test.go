package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/sessions"
)

func started(seq int64, at time.Duration, id string) DeliveriesMsg {
	body := fmt.Sprintf(`{"id":%q,"attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v","endUserId":null}`, id)
	return DeliveriesMsg{Records: []sessions.Record{judged(seq, at, []byte(body), "sec", "/veriff/events")}}
}

// TestTimelineShowsNoNegativeDelta: a step stored after another but
// received before it (a request timed from its start) shows no "+-37ms".
func TestTimelineShowsNoNegativeDelta(t *testing.T) {
	m := newModel(t, 120, 40, nil)
	id := "5f0c2a9b-1b47-47fc-a4fc-f72b6d3584a7"
	m = update(m, started(1, 10*time.Second, id))
	m = update(m, started(2, 10*time.Second-37*time.Millisecond, id))
	if out := screen(m); strings.Contains(out, "+-") {
		t.Errorf("a negative delta:\n%s", out)
	}
}

// TestTimelineKindColumnFitsItsKinds: with room, "watchlist" is whole.
func TestTimelineKindColumnFitsItsKinds(t *testing.T) {
	m := newModel(t, 200, 50, demo(t))
	for _, s := range m.book.Sessions() {
		for _, st := range s.Steps {
			if st.Delivery.Kind == "watchlist" {
				m.selectSession(s)
			}
		}
	}
	m = update(m, nil)
	out := screen(m)
	if !strings.Contains(out, "watchlist") || strings.Contains(out, "watchli…") {
		t.Errorf("the kind column cuts watchlist:\n%s", out)
	}
}

// TestTimelineTitleNamesTheSessionAsTheListDoes: ids that share a long
// prefix are told apart in the list; the timeline's title uses the same.
func TestTimelineTitleNamesTheSessionAsTheListDoes(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		m := newModel(t, sz[0], sz[1], nil)
		m = update(m, started(1, time.Second, "abcdef01-0000-0000-0000-000000000002"))
		m = update(m, started(2, 2*time.Second, "abcdef01-0000-0000-0000-000000000001"))
		out := screen(m)
		var title string
		for _, l := range strings.Split(out, "\n") {
			if _, after, ok := strings.Cut(l, "Timeline "); ok {
				title, _, _ = strings.Cut(after, " ")
			}
		}
		if title == "" || strings.Count(out, title) < 2 || title == "abcdef01" {
			t.Errorf("%dx%d: the title says %q, the list something else:\n%s", sz[0], sz[1], title, ansi.Strip(out))
		}
	}
}
