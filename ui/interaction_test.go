package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kycwatch/kycwatch/sessions"
)

// TestStyledGolden keeps the colours: focus (the timeline's border and
// its reversed row), the marks' and states' styles, in the dark and the
// light theme. Update with go test ./ui -update, and read the diff.
func TestStyledGolden(t *testing.T) {
	for _, theme := range []struct {
		name string
		bg   color.Color
	}{{"dark", color.Black}, {"light", color.White}} {
		t.Run(theme.name+"_80x24", func(t *testing.T) {
			m := update(newModel(t, 80, 24, demo(t)), online)
			m = update(m, tea.BackgroundColorMsg{Color: theme.bg})
			m = press(m, "tab")
			out := m.View().Content
			checkSize(t, out, 80, 24)
			if !strings.Contains(out, "\x1b[") {
				t.Fatal("no styles kept")
			}
			golden.RequireEqual(t, out)
		})
	}
}

// manySessions are n deliveries of n sessions, the newest last.
func manySessions(n int) []sessions.Record {
	var rs []sessions.Record
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		rs = append(rs, judged(int64(i), time.Duration(i)*time.Second, []byte(`{"id":"`+id+`","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v`+fmt.Sprint(i)+`","endUserId":null}`), "sec", "/veriff/events"))
	}
	return rs
}

// visibleRow reports whether the screen shows a session's list row.
func visibleRow(m Model, vendorData string) bool {
	return strings.Contains(screen(m), " "+vendorData+" ")
}

func TestPageKeys(t *testing.T) {
	m := newModel(t, 80, 24, manySessions(30))
	page := m.list.rows() - 1
	if page < 2 {
		t.Fatalf("page of %d rows", page)
	}
	m = press(m, "pgdown")
	if i := m.list.index(); i != page || m.follow {
		t.Fatalf("pgdn: row %d (want %d), follow %v", i, page, m.follow)
	}
	if !visibleRow(m, m.selected().VendorData) {
		t.Fatalf("the selected row is not shown:\n%s", screen(m))
	}
	m = press(m, "pgdown", "pgup")
	if i := m.list.index(); i != page {
		t.Fatalf("pgdn pgup: row %d (want %d)", i, page)
	}
	m = press(m, "end")
	if i := m.list.index(); i != 29 || !visibleRow(m, "v1") {
		t.Fatalf("end: row %d\n%s", i, screen(m))
	}
	m = press(m, "home")
	if i := m.list.index(); i != 0 || !visibleRow(m, "v30") {
		t.Fatalf("home: row %d\n%s", i, screen(m))
	}
	// In the detail, a page scrolls by the pane's rows but one.
	m = press(m, "tab", "tab")
	m = update(m, loadedMsg{seq: 30, rec: manySessions(30)[29]})
	m = press(m, "pgdown")
	if m.detail.top != m.detail.rows()-1 {
		t.Fatalf("detail pgdn: top %d, rows %d", m.detail.top, m.detail.rows())
	}
}

func TestMouseWheel(t *testing.T) {
	down := tea.MouseWheelMsg{Button: tea.MouseWheelDown}
	up := tea.MouseWheelMsg{Button: tea.MouseWheelUp}
	m := newModel(t, 120, 40, demo(t))
	first := m.list.sel
	m = update(m, down)
	if m.list.index() != 1 || m.follow {
		t.Fatalf("wheel down in the list: row %d, follow %v", m.list.index(), m.follow)
	}
	m = update(m, up)
	if m.list.sel != first {
		t.Fatalf("wheel up: %q", m.list.sel)
	}
	// On the timeline it moves the step, and the detail follows.
	m = press(m, "tab")
	seq := m.timeline.sel
	m = update(m, up)
	if m.timeline.sel == seq || m.list.sel != first {
		t.Fatalf("wheel up on the timeline: #%d (was #%d)", m.timeline.sel, seq)
	}
	// On the detail it scrolls.
	m = press(m, "tab")
	m = update(m, down)
	if m.detail.top != 1 {
		t.Fatalf("wheel down on the detail: top %d", m.detail.top)
	}
	// Over the help (in a small window) it scrolls the help, not the panes.
	m = press(newModel(t, 80, 16, demo(t)), "?")
	sel := m.list.sel
	if m = update(m, down); m.helpTop != 1 || m.list.sel != sel {
		t.Fatalf("wheel over the help: top %d, selected %q", m.helpTop, m.list.sel)
	}
}

func TestPasteIntoTheFilter(t *testing.T) {
	m := newModel(t, 120, 40, demo(t))
	// Not filtering: a paste does nothing.
	if m = update(m, tea.PasteMsg{Content: "user-9"}); m.filter.Value() != "" {
		t.Fatalf("pasted while not filtering: %q", m.filter.Value())
	}
	m = press(m, "/")
	m = update(m, tea.PasteMsg{Content: "user-9"})
	if got := m.visibleSessions(); len(got) != 1 || got[0].VendorData != "user-9" || m.list.sel != got[0].ID {
		t.Fatalf("paste did not filter: %d sessions, selected %q", len(got), m.list.sel)
	}
	// Hostile text pasted is shown harmless.
	m = press(m, "esc", "/")
	m = update(m, tea.PasteMsg{Content: "\x1b]52;c;aGk=\x07\u202e"})
	if e := foreignEscapes(m.View().Content); e != "" {
		t.Fatalf("a pasted escape reached the terminal: %q", e)
	}
}

func TestExportKey(t *testing.T) {
	ex := &fakeExporter{}
	m := newModel(t, 120, 40, demo(t)).WithActions(Actions{Export: ex})
	m = run(t, m, "down", "M", "X") // the second session, masked
	if len(ex.ids) != 1 || ex.ids[0] != m.list.sel {
		t.Fatalf("exported %v, selected %q", ex.ids, m.list.sel)
	}
	if !strings.Contains(screen(m), "exported to /home/dev/.local/share/kycwatch/kycwatch-12df6045.{har,sh}") {
		t.Errorf("no notice:\n%s", screen(m))
	}
	// A failure says so; with no exporter, X says what it needs.
	m = update(m, exportedMsg{err: errors.New("disk full")})
	if !strings.Contains(screen(m), "could not export: disk full") {
		t.Errorf("no problem shown:\n%s", screen(m))
	}
	if m = run(t, newModel(t, 120, 40, nil), "X"); !strings.Contains(screen(m), "select a session to export it") {
		t.Errorf("X with nothing:\n%s", screen(m))
	}
}

// maskingExporter records whether it was asked to mask.
type maskingExporter struct{ masks []bool }

func (f *maskingExporter) ExportSession(_ context.Context, _ string, mask bool) ([]string, error) {
	f.masks = append(f.masks, mask)
	return []string{"/tmp/x.har"}, nil
}

func TestExportFollowsMasking(t *testing.T) {
	ex := &maskingExporter{}
	m := newModel(t, 120, 40, demo(t)).WithActions(Actions{Export: ex})
	m = run(t, m, "X", "M", "X")
	if fmt.Sprint(ex.masks) != "[false true]" {
		t.Fatalf("masks %v", ex.masks)
	}
}

// TestHelpScreen: ? lists the keys of the focused pane and of the selected
// row: decisions only for a simulated session, the lab only with a lab.
func TestHelpScreen(t *testing.T) {
	m := run(t, newModel(t, 80, 24, demo(t)), "?")
	golden.RequireEqual(t, checkSize(t, screen(m), 80, 24))
	out := flat(screen(m))
	for _, not := range []string{"approve", "new session", "forge"} {
		if strings.Contains(out, not) {
			t.Errorf("? lists %q with no lab:\n%s", not, screen(m))
		}
	}
	if m = run(t, m, "esc"); m.showHelp {
		t.Fatal("esc did not close the help")
	}
	lab := run(t, labModel(t, 120, 40, &fakeLab{}), "n", "enter", "?")
	out = flat(screen(lab))
	for _, want := range []string{"a approve", "r resubmission", "! forge a delivery", "n new session", "ctrl+x clear history"} {
		if !strings.Contains(out, want) {
			t.Errorf("? on a simulated session lacks %q:\n%s", want, screen(lab))
		}
	}
	if strings.Contains(out, "NO RISK DETECTED") {
		t.Errorf("risk levels listed for a Veriff session:\n%s", screen(lab))
	}
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestSelectedRowKeepsItsMark: out of focus, the selected session keeps
// its ⚠ (the cursor takes only a blank first cell).
func TestSelectedRowKeepsItsMark(t *testing.T) {
	m := press(newModel(t, 120, 40, demo(t)), "down", "tab") // 12df6045, which has a failed check
	if !strings.Contains(screen(m), "│⚠ 12df6045") {
		t.Fatalf("the selected session lost its mark:\n%s", screen(m))
	}
	if m = press(m, "shift+tab", "up", "tab"); !strings.Contains(screen(m), "│▸ f04bdb47") {
		t.Fatalf("no cursor on the selected session:\n%s", screen(m))
	}
}
