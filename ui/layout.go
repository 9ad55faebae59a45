package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// MinWidth and MinHeight are the smallest window the panes are readable
// in: below it kycwatch says so rather than draw empty borders.
const MinWidth, MinHeight = 60, 16

// wideFrom is the width from which the three panes stand side by side.
const wideFrom = 150

// layout is where each pane goes: outer sizes, borders included.
type layout struct {
	sessW, sessH, tlW, tlH, detW, detH int
	wide                               bool
}

// computeLayout splits a body of w×bodyH cells: three columns from 150
// wide, else the list and the timeline above the detail; zoomed, the
// detail alone.
func computeLayout(w, bodyH int, zoom bool) layout {
	if zoom {
		return layout{detW: w, detH: bodyH}
	}
	if w >= wideFrom {
		sw := w * 30 / 100
		tw := w * 33 / 100
		return layout{wide: true, sessW: sw, sessH: bodyH, tlW: tw, tlH: bodyH, detW: w - sw - tw, detH: bodyH}
	}
	top := max(6, bodyH*9/20)
	sw := w / 2
	return layout{sessW: sw, sessH: top, tlW: w - sw, tlH: top, detW: w, detH: bodyH - top}
}

// relayout is the one place the screen is laid out: it gives the panes
// what they show and their sizes, and they keep their selections in view.
// Update calls it after every message, and View draws with what it
// returns, so that scrolling and drawing never disagree.
func (m *Model) relayout() (header, footer string) {
	if m.tooSmall() {
		return "", ""
	}
	m.list.SetList(m.visibleSessions(), m.filtering || m.filter.Value() != "")
	if m.filter.Value() == "" && m.ids != nil { // the list is the book
		m.ids.sync(m.list.list, m.book.Get(sessions.UnsortedKey) != nil)
		m.list.ids = m.ids
	} else { // a filtered list: its own ids tell apart
		m.list.ids = newIDIndex()
		m.list.ids.rebuild(m.list.list)
	}
	s := m.selected()
	m.timeline.SetSession(s, m.waitLine(s))
	m.timeline.forwards = m.forwards
	header, footer = m.header(), m.footer()
	bodyH := m.com.Height - lipgloss.Height(header) - lipgloss.Height(footer)
	l := computeLayout(m.com.Width, bodyH, m.zoom)
	m.list.SetSize(l.sessW, l.sessH)
	m.timeline.SetSize(l.tlW, l.tlH)
	m.detail.SetSize(l.detW, l.detH)
	m.timeline.none = ""
	if len(m.list.list) == 0 && m.filter.Value() != "" {
		m.timeline.none = "No session passes the filter"
	}
	m.timeline.listID = ""
	if s != nil && !s.Unsorted() {
		m.timeline.listID = m.list.idOf(s)
	}
	return header, footer
}

func (m Model) tooSmall() bool { return m.com.Width < MinWidth || m.com.Height < MinHeight }

// View renders the whole screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "kycwatch"
	v.MouseMode = tea.MouseModeCellMotion
	return v
}

func (m Model) render() string {
	w, h := m.com.Width, m.com.Height
	if m.tooSmall() {
		// The panes would be empty borders: say what is needed instead.
		msg := []string{"kycwatch: window too small", fmt.Sprintf("needs %d×%d, is %d×%d", MinWidth, MinHeight, w, h), "q quits"}
		return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, Fit(msg[0], w)+"\n"+Fit(msg[1], w)+"\n"+m.com.Styles.Faint.Render(Fit(msg[2], w)))
	}
	header, footer := m.relayout() // on this copy: the numbers Update used
	if m.showHelp {                // every key: the whole screen
		return lipgloss.JoinVertical(lipgloss.Left, m.helpView(w, h-lipgloss.Height(footer)), footer)
	}
	if m.showQR { // the whole screen: a QR code needs the rows
		return lipgloss.JoinVertical(lipgloss.Left, m.qrView(w, h-lipgloss.Height(footer)), footer)
	}
	bodyH := h - lipgloss.Height(header) - lipgloss.Height(footer)
	if bodyH < 3 {
		return lipgloss.JoinVertical(lipgloss.Left, header, footer)
	}
	return lipgloss.JoinVertical(lipgloss.Left, header, m.body(bodyH), footer)
}

func (m Model) body(h int) string {
	if m.showForm {
		return m.formView(m.com.Width, h)
	}
	det := m.detailView()
	if m.zoom {
		return det
	}
	sess := m.list.View(m.focus == focusSessions, m.filterLine(), m.emptyLines())
	tl := m.timeline.View(m.focus == focusTimeline)
	if m.com.Width < wideFrom {
		return lipgloss.JoinVertical(lipgloss.Left, lipgloss.JoinHorizontal(lipgloss.Top, sess, tl), det)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, sess, tl, det)
}

// filterLine is the filter as the list's first row, when there is one.
func (m Model) filterLine() string {
	if !m.filtering && m.filter.Value() == "" {
		return ""
	}
	f := m.filter
	note := m.searchLagNote()
	if w := lipgloss.Width(note); w > m.list.w/2 || lipgloss.Width(f.Value())+w > m.list.w-2-3-2 {
		note = "" // never cut: a number cut short would be a wrong one
	}
	f.SetWidth(max(1, m.list.w-2-3-lipgloss.Width(note)))
	return f.View() + note
}

// emptyLines are what the list says when it has nothing to show: how to
// make something happen.
func (m Model) emptyLines() []string {
	st := m.com.Styles
	if m.filter.Value() != "" {
		lines := []string{st.Faint.Render(" no session matches")}
		var states []string
		for _, s := range m.book.Sessions() { // only when nothing matches: not every frame
			states = append(states, s.State)
		}
		hints := parseFilter(m.filter.Value()).hints(states)
		for i := 0; i+1 < len(hints); i += 2 {
			lines = append(lines, m.hintLines(hints[i])...)
		}
		for i := 1; i < len(hints); i += 2 { // the lists, when they fit whole
			if more := m.hintLines(hints[i]); len(lines)+len(more) <= m.list.rows() {
				lines = append(lines, more...)
			}
		}
		return lines
	}
	lines := []string{st.Faint.Render(" Waiting for deliveries…"), ""}
	if _, public := m.base(); public {
		lines = append(lines, st.Faint.Render(" Paste the URLs above into the"), st.Faint.Render(" Veriff Customer Portal, or POST to"))
	} else {
		lines = append(lines, st.Faint.Render(" POST a webhook to"))
	}
	lines = append(lines, " "+display.Safe(m.info.LocalURL)+"/veriff/events")
	if m.lab != nil {
		what := "a simulated session"
		if m.lab.Real() {
			what = "a Veriff test session"
		}
		lines = append(lines, "", st.Faint.Render(" Or press ")+st.Bold.Render(keyOf(m.com.Keys.Lab.New))+st.Faint.Render(" for "+what)+st.Faint.Render(","),
			st.Faint.Render(" ")+st.Bold.Render(keyOf(m.com.Keys.Lab.Invite))+st.Faint.Render(" for a VerifiMe invite."))
	}
	rows := m.list.h - 2
	if m.list.filterRow {
		rows--
	}
	return fitRows(lines, rows)
}

func (m Model) hintLines(h string) []string {
	var out []string
	for _, l := range wrap(display.Safe(h), max(10, m.list.w-3), 1) {
		out = append(out, " "+m.com.Styles.Warning.Render(l))
	}
	return out
}
