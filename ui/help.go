package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// helpLines are the ? screen's lines for a width: the keys that apply to
// the focused pane and the selected row, their groups laid out in as many
// rows as the width needs (the help bubble alone cuts them off), then the
// marks and where files go.
func (m Model) helpLines(w int) []string {
	groups := m.com.Keys.forPane(m.focus, m.rowKind(), m.lab != nil).FullHelp()
	var rows, row []string
	rowW := 0
	flush := func() {
		if len(row) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowW = nil, 0
		}
	}
	for _, g := range groups {
		block := m.help.FullHelpView([][]key.Binding{g})
		bw := lipgloss.Width(block) + 3
		if rowW+bw > w-2 && len(row) > 0 {
			flush()
		}
		row = append(row, lipgloss.NewStyle().PaddingRight(3).Render(block))
		rowW += bw
	}
	flush()
	lines := []string{""}
	for i, r := range rows {
		if i > 0 {
			lines = append(lines, "")
		}
		for _, l := range strings.Split(r, "\n") {
			lines = append(lines, " "+l)
		}
	}
	st := m.com.Styles
	if m.lab != nil && m.rowKind() == rowNone {
		lines = append(lines, "", " "+st.Faint.Render(Fit("decisions (a d r v e b) and risk levels (1 2 3 4 0) act on a selected simulated session", w-4)))
	}
	marks := st.Mark(MarkValid) + " verified  " + st.Mark(MarkFailed) + " failed (invalid signature, wrong API key) or refused (not JSON, too large)  " +
		st.Mark(MarkMissing) + " signature or API key missing  " + st.Mark(MarkUnchecked) + " unchecked (no secret)  " +
		st.Mark(MarkRetry) + " a retry (same body)  " + st.Mark(MarkAlert) + " a session with a failed check"
	lines = append(lines, "")
	for _, l := range wrap(st.Faint.Render("marks  ")+marks, w-4, 7) {
		lines = append(lines, " "+l)
	}
	if m.info.DBPath != "" {
		lines = append(lines, "", " "+st.Faint.Render(Fit("database "+m.info.DBPath, w-4)))
	}
	if m.info.ExportDir != "" {
		lines = append(lines, " "+st.Faint.Render(Fit("exports  "+m.info.ExportDir, w-4)))
	}
	return lines
}

// helpRows is how many of the help's lines show: the screen but the
// footer's line and the border.
func (m Model) helpRows() int { return m.com.Height - 1 - 2 }

// scrollHelp moves the help by n lines, within its length.
func (m *Model) scrollHelp(n int) {
	last := max(0, len(m.helpLines(m.com.Width))-m.helpRows())
	m.helpTop = clamp(m.helpTop+max(-last-1, min(n, last+1)), 0, last)
}

// helpView fills the screen with the help; a small window scrolls it (↑↓)
// rather than cut the marks off.
func (m Model) helpView(w, h int) string {
	lines := m.helpLines(w)
	visible := h - 2
	top := min(m.helpTop, max(0, len(lines)-visible))
	title := "Keys"
	if top > 0 {
		title += " · ↑ more"
	}
	if top+visible < len(lines) {
		title += " · ↓ more"
	}
	return box(m.com.Styles, title, lines[top:min(len(lines), top+visible)], w, h, true)
}
