package ui

import (
	"fmt"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// uniqueIDsReference is how the list measured its ids before the index:
// every frame, all of them sorted again. The index must agree with it.
func uniqueIDsReference(ids []string) (shown map[string]string, width int) {
	readable := make([]string, len(ids))
	longest := 8
	for i, id := range ids {
		readable[i] = display.ReadableID(id)
		longest = max(longest, utf8.RuneCountInString(readable[i]))
	}
	sorted := slices.Clone(readable)
	slices.Sort(sorted)
	need := 8
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		k := 0
		for k < len(a) && k < len(b) && a[k] == b[k] {
			k++
		}
		for k > 0 && k < len(a) && !utf8.RuneStart(a[k]) {
			k--
		}
		need = max(need, utf8.RuneCountInString(a[:k])+1)
	}
	n := max(8, min(need, longest))
	shown = make(map[string]string, len(ids))
	for i, id := range ids {
		shown[id] = display.Prefix(readable[i], n)
		if readable[i] != id {
			shown[id] = display.Prefix(readable[i], max(n, 16))
		}
		width = max(width, utf8.RuneCountInString(shown[id]))
	}
	return shown, max(8, width)
}

// checkIDs compares the list's id column with the reference.
func checkIDs(t *testing.T, m Model, when string) {
	t.Helper()
	var ids []string
	for _, s := range m.list.list {
		if !s.Unsorted() {
			ids = append(ids, s.ID)
		}
	}
	want, wantW := uniqueIDsReference(ids)
	c := m.list.columns(1000)
	if c.id != wantW {
		t.Errorf("%s: id column %d, want %d", when, c.id, wantW)
	}
	for _, id := range ids {
		if got := shownID(id, c.prefix); got != want[id] {
			t.Errorf("%s: %q shown as %q, want %q", when, id, got, want[id])
		}
	}
}

// TestIDColumnFollowsTheBook: the ids the list shows (the shortest prefix
// that tells them apart) stay the same as sessions with shared prefixes
// arrive, page in, and are evicted, as sorting them all every frame gave.
func TestIDColumnFollowsTheBook(t *testing.T) {
	ids := []string{
		"12345678-aaab", "12345678-aaaa", // the second sorts first: its right neighbour says how far
		"abcdef01-0000-0000-0000-000000000001", "abcdef01-0000-0000-0000-000000000002",
		`{"customerId":42}`, "abcdef01-0000-0000-0000-000000000003", "zz", "abcdef01-0000-0000-1111-000000000001",
		"abcdef01-0000-0000-0000-000000000001", // again: no new session
		`{"customerId":43,"region":"eu"}`, "12345678-aaac", "ábcdéf01-1", "ábcdéf01-2", "q",
	}
	m := newModel(t, 200, 50, nil)
	m.keepLive = 8
	for i, id := range ids {
		body := fmt.Sprintf(`{"id":%q,"attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v","endUserId":null}`, id)
		rebuilds := m.ids.rebuilds
		m = update(m, DeliveriesMsg{Records: []sessions.Record{judged(int64(i+1), time.Duration(i)*time.Second, []byte(body), "sec", "/veriff/events")}})
		checkIDs(t, m, fmt.Sprintf("after %d (%s), %d sessions", i+1, id, len(m.list.list)))
		if id[0] == '{' && shownID(id, m.ids.prefixLen())[0] == '{' {
			t.Errorf("%s is not read as its fields", id)
		}
		if m.book.Total == i+1 && m.ids.rebuilds != rebuilds { // nothing evicted yet
			t.Errorf("after %d: the ids were sorted again", i+1)
		}
	}
	if m.book.Total >= len(ids) {
		t.Fatalf("nothing was evicted (%d deliveries held)", m.book.Total)
	}
	// A filter narrows the list: its ids are told apart among themselves.
	m = press(m, "/", "a", "b", "c")
	checkIDs(t, m, "filtered")
	m = press(m, "esc")
	checkIDs(t, m, "unfiltered")
}

// TestNarrowIDColumnTellsSessionsApart: ids that share a long prefix and
// differ in two places (a client number, then a counter, as a load tool
// makes them) stay apart when the column is too narrow for the prefix
// that tells them apart: the cell keeps a head and a tail.
func TestNarrowIDColumnTellsSessionsApart(t *testing.T) {
	ids := []string{
		"00000003-0000-4000-8000-00000000034b", "00000005-0000-4000-8000-00000000034b",
		"00000003-0000-4000-8000-00000000034c", "00000005-0000-4000-8000-000000000001",
	}
	var recs []sessions.Record
	for i, id := range ids {
		body := fmt.Sprintf(`{"id":%q,"attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v","endUserId":null}`, id)
		recs = append(recs, judged(int64(i+1), time.Duration(i)*time.Second, []byte(body), "sec", "/veriff/events"))
	}
	for _, w := range []int{80, 160} {
		m := newModel(t, w, 24, recs)
		c := m.list.columns(m.list.w - 2)
		if c.id >= 36 {
			t.Fatalf("at %d columns the id column is %d wide: the test needs a narrow one", w, c.id)
		}
		seen := map[string]string{}
		for _, id := range ids {
			cell := c.cell(id)
			if utf8.RuneCountInString(cell) > c.id {
				t.Errorf("at %d columns %q is shown as %q, wider than its column (%d)", w, id, cell, c.id)
			}
			if other, ok := seen[cell]; ok {
				t.Errorf("at %d columns %q and %q are both shown as %q", w, other, id, cell)
			}
			seen[cell] = id
		}
	}
}
