package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/internal/display"
)

func (m Model) header() string {
	st := m.com.Styles
	w := m.com.Width
	failed := 0
	for _, s := range m.book.Sessions() {
		failed += s.Failed
	}
	nd, ns := max(m.book.Total, m.stored), len(m.book.Sessions())
	long := fmt.Sprintf("%d deliver%s · %d session%s", nd, plural2(nd, "y", "ies"), ns, plural(ns))
	if m.book.Total < m.stored {
		long += " loaded" // the deliveries are the store's count; the sessions, those held (--history)
	}
	short := fmt.Sprintf("%d dlv · %d sess", nd, ns)
	if failed > 0 {
		long += " · " + st.Marked(MarkAlert, fmt.Sprintf("%d failed check%s", failed, plural(failed)))
		short += " " + st.Danger.Render(fmt.Sprintf("%s%d", Glyph(MarkAlert), failed))
	}
	title := st.Title.Render("kycwatch") + "  "
	count := long
	room := w - 4 - ansi.StringWidth(title) // spread keeps two spaces between

	tunnel := m.tunnelSummary(1000)
	if ansi.StringWidth(tunnel)+ansi.StringWidth(long) > room {
		count = short
		tunnel = m.tunnelSummary(room - ansi.StringWidth(count))
	}
	left := title + tunnel
	line1 := spread(left, count, w)

	cfg, brief := m.checkedWith()
	// The legend stays: in words when there is room, as bare marks (which
	// ? explains) when not; the configuration shortens first.
	sep, bar := st.Faint.Render(" · "), st.Faint.Render("  │  ")
	legend, short := m.legend()+bar, m.shortLegend()+bar
	tiers := []string{
		legend + strings.Join(cfg, sep),
		legend + strings.Join(brief, sep),
		short + strings.Join(cfg, sep),
		short + strings.Join(brief, sep),
		strings.Join(brief, sep),
	}
	lines := []string{line1}
	urls := m.urlLines(w)
	lines = append(lines, urls...)
	// The URL keys' hint keeps its room while a shorter tier fits beside it.
	hint := ""
	if _, public := m.base(); len(urls) > 0 && !strings.Contains(ansi.Strip(urls[0]), m.urlHint(public)) {
		hint = m.urlHint(public)
	}
	legendLine := tiers[len(tiers)-1]
	fitted := false
	if hint != "" {
		for _, try := range tiers[:4] { // the legend before the hint
			if ansi.StringWidth(try)+2+ansi.StringWidth(hint) <= w-1 {
				legendLine, fitted = spread(try, st.Faint.Render(hint), w), true
				break
			}
		}
	}
	if !fitted {
		for _, try := range tiers {
			if legendLine = try; ansi.StringWidth(try) <= w-1 {
				break
			}
		}
	}
	lines = append(lines, legendLine)
	if m.info.Team != "" {
		lines = append(lines, ansi.Truncate(st.Info.Render(display.Safe(m.info.Team)), w-1, "…"))
	}
	lines = append(lines, m.tunnelNote(w)...)
	for _, n := range m.info.Notes {
		lines = append(lines, st.Warning.Render(Glyph(MarkAlert)+" "+n))
	}
	for i := range lines {
		lines[i] = Pad(" "+lines[i], w)
	}
	return strings.Join(lines, "\n")
}

// checkedWith is what deliveries are checked with (what the server
// enforces), and where they go, in a long and a short form each.
func (m Model) checkedWith() (cfg, brief []string) {
	st := m.com.Styles
	add := func(long, b string) { cfg, brief = append(cfg, long), append(brief, b) }
	vmSim := m.info.Keys.VerifiMeSim
	switch {
	case m.info.Keys.Generated != "" && vmSim == m.info.Keys.Generated:
		add("secret "+m.info.Keys.Generated+st.Faint.Render(" (generated, Veriff and VerifiMe)"), "secret "+m.info.Keys.Generated+st.Faint.Render(" (generated)"))
		vmSim = ""
	case m.info.Keys.Generated != "":
		add("secret "+m.info.Keys.Generated+st.Faint.Render(" (generated)"), "secret "+m.info.Keys.Generated+st.Faint.Render(" (generated)"))
	case m.info.Keys.Secrets == 0:
		add(st.Warning.Render("no secret set (--secret)"), st.Warning.Render("no secret (--secret)"))
	default:
		n := fmt.Sprintf("%d secret%s", m.info.Keys.Secrets, plural(m.info.Keys.Secrets))
		add(n, n)
	}
	if m.info.Keys.APIKey != "" {
		add("API key "+m.info.Keys.APIKey, "key "+m.info.Keys.APIKey)
	}
	switch {
	case vmSim != "":
		add("VerifiMe secret "+vmSim+st.Faint.Render(" (simulator's)"), "VerifiMe "+vmSim)
	case m.info.Keys.Generated != "" && m.info.Keys.VerifiMeSim != "":
	case m.info.Keys.VerifiMe > 0:
		n := fmt.Sprintf("%d VerifiMe secret%s", m.info.Keys.VerifiMe, plural(m.info.Keys.VerifiMe))
		add(n, n)
	}
	if m.com.MaskPII {
		add(st.Warning.Render("masked ("+keyOf(m.com.Keys.App.MaskPII)+")"), st.Warning.Render("masked"))
	}
	for _, f := range m.info.ForwardTo {
		to := st.Info.Render("→ ") + display.Safe(strings.TrimPrefix(strings.TrimPrefix(f, "http://"), "https://"))
		add(to, to)
	}
	return cfg, brief
}

// footerLines wraps a message that must be read whole (an error, a
// question and its keys) onto three lines at most.
func (m Model) footerLines(s string) string {
	lines := wrap(s, max(10, m.com.Width-2), 2)
	if len(lines) > 3 {
		lines = append(lines[:2], ansi.Truncate(strings.Join(lines[2:], " "), max(10, m.com.Width-2), "…"))
	}
	for i, l := range lines {
		lines[i] = Pad(" "+l, m.com.Width)
	}
	return strings.Join(lines, "\n")
}

// spread puts left and right on one line of width w, right-aligned.
func spread(left, right string, w int) string {
	gap := w - 2 - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 2 {
		return left
	}
	return left + strings.Repeat(" ", gap) + right
}

// legend names the verdict marks a delivery row carries.
func (m Model) legend() string {
	st := m.com.Styles
	return st.Mark(MarkValid) + " verified " + st.Mark(MarkFailed) + " failed " +
		st.Mark(MarkMissing) + " missing " + st.Mark(MarkUnchecked) + " unchecked " + st.Mark(MarkRetry) + " retry"
}

// shortLegend is the marks alone, for a narrow header (? names them).
func (m Model) shortLegend() string {
	st := m.com.Styles
	return st.Mark(MarkValid) + st.Danger.Render(Glyph(MarkFailed)+Glyph(MarkMissing)) + st.Mark(MarkUnchecked) + st.Mark(MarkRetry)
}

// --- timeline pane ---

// footer is the message of the moment (a question, a problem, a
// confirmation), whole; else the keys of the focused pane.
func (m Model) footer() string {
	if m.showHelp {
		return Pad(" "+m.com.Styles.Faint.Render("? or esc closes the help · ↑↓ scroll"), m.com.Width)
	}
	if q := m.question(); q != "" {
		return m.footerLines(q)
	}
	if m.msg.text != "" {
		return m.footerLines(m.noticeLine()) // whole: its end is often the point
	}
	follow := ""
	if !m.follow {
		follow = m.com.Styles.Warning.Render("paused ") + m.com.Styles.Faint.Render("(f follows) ")
	}
	// As many whole keys as fit, in order; ? lists them all. (help's own
	// cut can overflow by one key when its ellipsis does not fit.)
	h := m.help
	h.SetWidth(0)
	room := m.com.Width - 1 - ansi.StringWidth(follow)
	all := m.keysNow().ShortHelp()
	line := ""
	for n := len(all); n > 0; n-- {
		if line = h.ShortHelpView(all[:n]); ansi.StringWidth(line) <= room {
			break
		}
	}
	return Pad(" "+follow+line, m.com.Width)
}

// keysNow are the keys that act now: those of the open form, the QR
// screen, the filter, or the focused pane and the selected row.
func (m Model) keysNow() paneKeys {
	k := m.com.Keys
	switch {
	case m.showForm:
		return k.forForm()
	case m.showQR:
		return k.forQR()
	case m.filtering:
		return k.forFilter()
	}
	return k.forPane(m.focus, m.rowKind(), m.lab != nil)
}

// question is what the footer asks while a key is awaited: the answers
// are the Confirm keys (and the forgeries inside the ! menu).
func (m Model) question() string {
	st, c := m.com.Styles, m.com.Keys.Confirm
	switch {
	case m.confirmClear:
		what := fmt.Sprintf("all %d stored deliveries", max(m.book.Total, m.stored))
		if n := max(m.book.Total, m.stored); n == 1 {
			what = "the 1 stored delivery"
		}
		return st.Danger.Render("Delete "+what+" and the test sessions from the database?") + " " +
			hintsOf(st.Bold, c.Yes) + " · any other key: no"
	case m.pendingEdit != nil:
		return st.Warning.Render(fmt.Sprintf("Body of #%d edited. Re-sign it with the configured secret?", m.pendingEdit.seq)) + " " +
			hintsOf(st.Bold, c.Yes, withHelp(c.No, "no, send as edited"), c.Cancel)
	case m.forging:
		return st.Warning.Render("Forge a delivery:") + " " +
			hintsOf(st.Bold, append(m.com.Keys.Lab.forgeries(), c.Cancel)...)
	}
	return ""
}

// withHelp is b described otherwise, for one question.
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}
