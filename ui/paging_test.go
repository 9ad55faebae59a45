package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

func pagedDelivery(seq int64) sessions.Record {
	body := []byte(fmt.Sprintf(`{"id":"%08d-0000-4000-8000-000000000000","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v%d","endUserId":null}`, seq, seq))
	return summary(judged(seq, time.Duration(seq)*time.Second, body, "sec", "/veriff/events"))
}

func TestOlderHistoryLoadsAtTheEndOfTheList(t *testing.T) {
	var history []sessions.Record
	for seq := int64(191); seq <= 200; seq++ {
		history = append(history, pagedDelivery(seq))
	}
	var asked []int64
	pager := func(_ context.Context, before int64, limit int) ([]sessions.Record, error) {
		asked = append(asked, before)
		var out []sessions.Record
		for seq := max(1, before-int64(limit)); seq < before; seq++ {
			out = append(out, pagedDelivery(seq))
		}
		return out, nil
	}
	info := Info{LocalURL: "http://127.0.0.1:8080", Fields: fields, Tunnel: TunnelMsg{State: TunnelOff}}
	m := New(info, history, nil).WithClock(t0.Add(time.Hour), time.UTC).WithPaging(pager, 200)
	m = update(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	if !strings.Contains(ansi.Strip(screen(m)), "200 deliveries") {
		t.Errorf("header:\n%s", ansi.Strip(screen(m)))
	}
	m = run(t, m, "G") // the end of the list: the next page loads
	if len(asked) != 1 || asked[0] != 191 || m.book.Total != 200 || m.oldest != 1 {
		t.Fatalf("asked %v, book %d, oldest %d", asked, m.book.Total, m.oldest)
	}
	if !strings.Contains(ansi.Strip(screen(m)), "loaded 190 older deliveries (#1 to #190)") {
		t.Errorf("no word:\n%s", ansi.Strip(screen(m)))
	}
	m = run(t, m, "G", "j")
	if len(asked) != 1 {
		t.Errorf("asked again with nothing older: %v", asked)
	}
}

func TestFilterByKindStateVerdictAndFullText(t *testing.T) {
	var asked []string
	search := func(_ context.Context, text string, _ int) ([]string, error) {
		asked = append(asked, text)
		if text == "sarah" {
			return []string{"12df6045-3846-3e45-946a-14fa6136d78b"}, nil
		}
		return nil, nil
	}
	m := newModel(t, 120, 40, demo(t)).WithSearch(search)
	visible := func(q string) []string {
		m.filter.SetValue(q)
		var ids []string
		for _, s := range m.visibleSessions() {
			ids = append(ids, display.ShortID(s.ID))
		}
		return ids
	}
	if got := visible("state:approved"); strings.Join(got, ",") != "12df6045" {
		t.Errorf("state: %v", got)
	}
	if got := visible("kind:watchlist"); strings.Join(got, ",") != "f5c64fd0" {
		t.Errorf("kind: %v", got)
	}
	if got := visible("sig:invalid"); strings.Join(got, ",") != "12df6045" {
		t.Errorf("sig: %v", got)
	}
	// Full text: the name is only in a body; the store finds it.
	m.filter.SetValue("sarah")
	m = update(m, m.searchCmd()())
	if len(asked) == 0 || asked[len(asked)-1] != "sarah" {
		t.Fatalf("searched %v", asked)
	}
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "12df6045") || strings.Contains(out, "7a0d3e0b") {
		t.Errorf("full-text hits:\n%s", out)
	}
}

func TestClearAsksFirst(t *testing.T) {
	calls := 0
	m := newModel(t, 120, 40, demo(t)).WithActions(Actions{Clear: func(context.Context) (int64, error) { calls++; return 8, nil }})
	m = run(t, m, "ctrl+x")
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "Delete all 8 stored deliveries") {
		t.Fatalf("no question:\n%s", out)
	}
	m = run(t, m, "n")
	if calls != 0 || m.book.Total != 8 {
		t.Fatal("cleared without a yes")
	}
	m = run(t, m, "ctrl+x", "y")
	if calls != 1 || m.book.Total != 0 || len(m.book.Sessions()) != 0 || !strings.Contains(ansi.Strip(screen(m)), "deleted 8 deliveries") {
		t.Fatalf("calls %d, book %d\n%s", calls, m.book.Total, ansi.Strip(screen(m)))
	}
	// With nothing left, ctrl+x does not ask about deleting 0 deliveries.
	m = run(t, m, "ctrl+x")
	if out := ansi.Strip(screen(m)); m.confirmClear || !strings.Contains(out, "nothing to clear") {
		t.Fatalf("asked to clear nothing:\n%s", out)
	}
}

// While the index is behind (a flood), the filter says how many of the
// newest deliveries its search could not see, and each batch of deliveries
// searches again until none are left out.
func TestFilterSaysWhatSearchCannotSeeYet(t *testing.T) {
	lag := int64(1234)
	search := func(context.Context, string, int) ([]string, error) { return nil, nil }
	m := newModel(t, 120, 40, demo(t)).WithSearch(search).WithSearchLag(func() int64 { return lag })
	m = press(m, "/", "s", "a", "r")
	m = update(m, m.searchCmd()())
	if out := screen(m); !strings.Contains(out, "+1234 unindexed") {
		t.Fatalf("no lag beside the filter:\n%s", out)
	}
	lag = 0
	m = update(m, DeliveriesMsg{Records: []sessions.Record{demo(t)[0]}})
	if !m.searchAgain {
		t.Fatal("a batch while the index was behind did not search again")
	}
	m = update(m, m.searchCmd()())
	if out := screen(m); strings.Contains(out, "unindexed") {
		t.Fatalf("the note stayed once the index caught up:\n%s", out)
	}
	// A flood's last batch searched while the index was still behind: with
	// no delivery after it, the clock's tick searches again.
	m = update(m, searchedMsg{text: "sar", hits: map[string]bool{}, behind: 500})
	m = update(m, tickMsg(t0))
	if !m.searchAgain {
		t.Fatal("no new search on the tick while the index was behind")
	}
	m = update(m, m.searchCmd()())
	if out := screen(m); strings.Contains(out, "unindexed") {
		t.Fatalf("the note stayed after the flood:\n%s", out)
	}
	if m.searchCmd() != nil {
		t.Error("the same text searched again with the index caught up")
	}
}

// The filtered list is kept between changes, never past one: a delivery,
// new hits or a new text each make it again.
func TestFilteredListFollowsTheBook(t *testing.T) {
	m := newModel(t, 120, 40, demo(t))
	m = press(m, "/", "n", "e", "e", "d", "l", "e")
	if got := m.visibleSessions(); len(got) != 0 {
		t.Fatalf("matched before any needle: %d", len(got))
	}
	body := []byte(`{"id":"5e55a1d0-0000-4000-8000-000000000001","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"needle-1","endUserId":null}`)
	m = update(m, DeliveriesMsg{Records: []sessions.Record{judged(100, time.Minute, body, "sec", "/veriff/events")}})
	if got := m.visibleSessions(); len(got) != 1 || got[0].VendorData != "needle-1" {
		t.Fatalf("a new matching session not shown: %v", got)
	}
	hit := demo(t)[0].Delivery.SessionID
	m = update(m, searchedMsg{text: "needle", hits: map[string]bool{hit: true}})
	if got := m.visibleSessions(); len(got) != 2 {
		t.Fatalf("the store's hit not added: %d sessions", len(got))
	}
	m = update(m, searchedMsg{text: "needle", hits: map[string]bool{}}) // the same text searched again
	if got := m.visibleSessions(); len(got) != 1 {
		t.Fatalf("the store's new answer not taken: %d sessions", len(got))
	}
	m = press(m, "x")
	if got := m.visibleSessions(); len(got) != 0 {
		t.Fatalf("a longer text kept the old list: %d sessions", len(got))
	}
}
