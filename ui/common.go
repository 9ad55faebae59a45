package ui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/internal/display"
)

// Common is what the root and every pane share: the styles, the keys, the
// window's size and the clock. The root owns it and changes it in Update
// only; panes read it.
type Common struct {
	Styles        Styles
	Keys          KeyMap
	Dark          bool
	Width, Height int
	Clock         time.Time
	Loc           *time.Location
	MaskPII       bool // personal data hidden on screen
}

func newCommon() *Common {
	return &Common{Styles: NewStyles(true), Keys: DefaultKeyMap(), Dark: true, Clock: time.Now(), Loc: time.Local}
}

// navigate turns a navigation key or a wheel turn into a move of n rows
// (page is a pane's page); ok is false for any other message.
func (c *Common) navigate(msg tea.Msg, page int) (n int, ok bool) {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Mouse().Button {
		case tea.MouseWheelUp:
			return -1, true
		case tea.MouseWheelDown:
			return 1, true
		}
	case tea.KeyPressMsg:
		k := c.Keys.Nav
		switch {
		case key.Matches(msg, k.Up):
			return -1, true
		case key.Matches(msg, k.Down):
			return 1, true
		case key.Matches(msg, k.PageUp):
			return -max(1, page), true
		case key.Matches(msg, k.PageDown):
			return max(1, page), true
		case key.Matches(msg, k.Top):
			return -1 << 30, true
		case key.Matches(msg, k.Bottom):
			return 1 << 30, true
		}
	}
	return 0, false
}

// noticeKind tells a message done from a problem.
type noticeKind int

const (
	noticeDone    noticeKind = iota // a confirmation (copied, sent…)
	noticeProblem                   // something that did not work
)

// notice is the footer's one message, until the next key.
type notice struct {
	kind noticeKind
	text string
}

// say is the one way anything tells the user what happened: the footer
// shows it whole (wrapped), sanitised, with its mark.
func (m *Model) say(kind noticeKind, text string) { m.msg = notice{kind, text} }

// sayResult says done, or what failed and why.
func (m *Model) sayResult(err error, failed, done string) {
	if err != nil {
		m.say(noticeProblem, failed+": "+err.Error())
		return
	}
	m.say(noticeDone, done)
}

// noticeLine is the footer's message, styled.
func (m Model) noticeLine() string {
	st := m.com.Styles
	if m.msg.kind == noticeProblem {
		return st.Danger.Render(display.Safe(m.msg.text))
	}
	return st.Mark(MarkValid) + " " + display.Safe(m.msg.text)
}

// box draws a pane: a rounded border with the title in its top edge, and
// content cut or padded to fit exactly w×h cells (border included). Focus
// shows as the border's colour.
func box(st Styles, title string, lines []string, w, h int, focused bool) string {
	border := st.Edge
	titleStyle := st.PaneTitle
	if focused {
		border = st.Accent
		titleStyle = st.PaneTitleFocused
	}
	if w < 4 || h < 2 {
		return ""
	}
	inner := w - 2
	t := Fit(" "+title+" ", inner-1)
	top := border.Render("╭─") + titleStyle.Render(t) + border.Render(strings.Repeat("─", max(0, inner-1-ansi.StringWidth(t)))+"╮")
	out := []string{top}
	side := border.Render("│")
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		out = append(out, side+Pad(line, inner)+side)
	}
	out = append(out, border.Render("╰"+strings.Repeat("─", inner)+"╯"))
	return strings.Join(out, "\n")
}

// selectRow highlights the selected row: reversed when its pane has focus,
// bold with a cursor otherwise. Styles inside the row are stripped so the bar is even.
func selectRow(st Styles, row string, w int, selected, focused bool) string {
	if !selected {
		return Pad(row, w)
	}
	plain := Pad(ansi.Strip(row), w)
	if focused {
		return st.Selected.Render(plain)
	}
	if strings.HasPrefix(plain, " ") { // the cursor takes a blank first cell, never a mark (⚠)
		plain = Glyph(MarkCursor) + plain[1:]
	}
	return st.SelectedBlur.Render(plain)
}

// scrollTo is the first row to show of n so that row sel is among the
// rows shown.
func scrollTo(top, sel, rows, n int) int {
	if rows < 1 {
		return 0
	}
	if sel >= 0 {
		if sel < top {
			top = sel
		}
		if sel >= top+rows {
			top = sel - rows + 1
		}
	}
	return clamp(top, 0, max(0, n-rows))
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
