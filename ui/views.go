package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions"
)

// --- header and footer ---

func (m Model) header() string {
	st := m.styles
	w := m.width
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
		long += " · " + st.Danger.Render(fmt.Sprintf("⚠ %d failed check%s", failed, plural(failed)))
		short += " " + st.Danger.Render(fmt.Sprintf("⚠%d", failed))
	}
	title := st.Title.Render("kycwatch") + "  "
	count := long
	room := w - 4 - ansi.StringWidth(title) // spread keeps two spaces between

	if ansi.StringWidth(m.tunnelSummary(1000))+ansi.StringWidth(long) > room {
		count = short
	}
	left := title + m.tunnelSummary(room-ansi.StringWidth(count))
	line1 := spread(left, count, w)

	// What deliveries are checked with, in a long and a short form each.
	var cfg, brief []string
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
	if m.maskPII {
		add(st.Warning.Render("masked (M)"), st.Warning.Render("masked"))
	}
	for _, f := range m.info.ForwardTo {
		to := st.Info.Render("→ ") + Safe(strings.TrimPrefix(strings.TrimPrefix(f, "http://"), "https://"))
		add(to, to)
	}
	// The legend stays: in words when there is room, as bare marks (which
	// ? explains) when not; the configuration shortens first.
	sep, bar := st.Faint.Render(" · "), st.Faint.Render("  │  ")
	tiers := []string{
		m.legend() + bar + strings.Join(cfg, sep),
		m.legend() + bar + strings.Join(brief, sep),
		m.shortLegend() + bar + strings.Join(cfg, sep),
		m.shortLegend() + bar + strings.Join(brief, sep),
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
		lines = append(lines, ansi.Truncate(st.Info.Render(Safe(m.info.Team)), w-1, "…"))
	}
	lines = append(lines, m.tunnelNote(w)...)
	for _, n := range m.info.Notes {
		lines = append(lines, st.Warning.Render("⚠ "+n))
	}
	for i := range lines {
		lines[i] = Pad(" "+lines[i], w)
	}
	return strings.Join(lines, "\n")
}

// footerLines wraps a message that must be read whole (an error, a
// question and its keys) onto three lines at most.
func (m Model) footerLines(s string) string {
	lines := wrap(s, max(10, m.width-2), 2)
	if len(lines) > 3 {
		lines = append(lines[:2], ansi.Truncate(strings.Join(lines[2:], " "), max(10, m.width-2), "…"))
	}
	for i, l := range lines {
		lines[i] = Pad(" "+l, m.width)
	}
	return strings.Join(lines, "\n")
}

func (m Model) footer() string {
	if m.status != "" && !m.showHelp {
		return m.footerLines(m.styles.Danger.Render(Safe(m.status)))
	}
	if m.confirmClear {
		what := fmt.Sprintf("all %d stored deliveries", max(m.book.Total, m.stored))
		if n := max(m.book.Total, m.stored); n == 1 {
			what = "the 1 stored delivery"
		}
		return m.footerLines(m.styles.Danger.Render("Delete "+what+" and the test sessions from the database?") + " " +
			m.styles.Bold.Render("y") + " yes · any other key: no")
	}
	if m.pendingEdit != nil {
		return m.footerLines(m.styles.Warning.Render(fmt.Sprintf("Body of #%d edited. Re-sign it with the configured secret?", m.pendingEdit.seq)) + " " +
			m.styles.Bold.Render("y") + " yes · " + m.styles.Bold.Render("n") + " no, send as edited · esc cancel")
	}
	if m.notice != "" && !m.showHelp {
		return m.footerLines(m.styles.Success.Render("✓ ") + Safe(m.notice)) // whole: its end is often the point
	}
	keys := m.keys.forPane(m.focus, m.filtering)
	if m.showQR {
		keys = m.keys.forQR()
	}
	if m.showForm {
		keys = m.keys.forForm()
	}
	if m.showHelp {
		return Pad(" "+m.styles.Faint.Render("? or esc closes the help · ↑↓ scroll"), m.width)
	}
	follow := ""
	if !m.follow {
		follow = m.styles.Warning.Render("paused ") + m.styles.Faint.Render("(f follows) ")
	}
	// As many whole keys as fit, in order; ? lists them all. (help's own
	// cut can overflow by one key when its ellipsis does not fit.)
	h := m.help
	h.SetWidth(0)
	room := m.width - 1 - ansi.StringWidth(follow)
	all := keys.ShortHelp()
	line := ""
	for n := len(all); n > 0; n-- {
		if line = h.ShortHelpView(all[:n]); ansi.StringWidth(line) <= room {
			break
		}
	}
	return Pad(" "+follow+line, m.width)
}

// spread puts left and right on one line of width w, right-aligned.
func spread(left, right string, w int) string {
	gap := w - 2 - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 2 {
		return left
	}
	return left + strings.Repeat(" ", gap) + right
}

// box draws a pane: a rounded border with the title in its top edge, and
// content cut or padded to fit exactly w×h cells (border included).
func (m Model) box(title string, lines []string, w, h int, focused bool) string {
	st := m.styles
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

// --- badges ---

// badge is a delivery's one-cell validity mark.
func (m Model) badge(r sessions.Record) string {
	st := m.styles
	v := r.Verdict
	switch {
	case v.Signature == decode.SigInvalid || v.APIKey == decode.KeyMismatch:
		return st.Danger.Render("✗")
	case v.Signature == decode.SigMissing || v.APIKey == decode.KeyMissing:
		return st.Danger.Render("!")
	case r.Status != 200 && r.Delivery.Kind != decode.KindAPICall:
		return st.Danger.Render("✗") // refused (not JSON, too large): never ✓
	case v.Signature == decode.SigValid:
		return st.Success.Render("✓")
	}
	return st.Faint.Render("·")
}

// sigMark and keyMark mark one check each, for the detail's verdict.
func (m Model) sigMark(s decode.Signature) string {
	switch s {
	case decode.SigValid:
		return m.styles.Success.Render("✓")
	case decode.SigInvalid:
		return m.styles.Danger.Render("✗")
	case decode.SigMissing:
		return m.styles.Danger.Render("!")
	}
	return m.styles.Faint.Render("·")
}

func (m Model) keyMark(k decode.APIKey) string {
	switch k {
	case decode.KeyMatch:
		return m.styles.Success.Render("✓")
	case decode.KeyMismatch:
		return m.styles.Danger.Render("✗")
	case decode.KeyMissing:
		return m.styles.Danger.Render("!")
	}
	return m.styles.Faint.Render("·")
}

func (m Model) stateStyle(state string) lipgloss.Style {
	st := m.styles
	switch state {
	case sessions.StateApproved, "assessed":
		return st.Success
	case sessions.StateDeclined:
		return st.Danger
	case sessions.StateResubmit, sessions.StateReview, "preliminary", "pending", sessions.StateEntered:
		return st.Warning
	case sessions.StateExpired, sessions.StateAbandoned, sessions.StateCreated, sessions.StateInvited, "":
		return st.Faint
	}
	return st.Info
}

// riskStyle colours a VerifiMe risk level.
func (m Model) riskStyle(level string) lipgloss.Style {
	switch strings.ToUpper(level) {
	case "LOW", "NO RISK DETECTED":
		return m.styles.Success
	case "MEDIUM":
		return m.styles.Warning
	case "HIGH", "EXTREME":
		return m.styles.Danger
	}
	return m.styles.Faint
}

func stateLabel(s string) string {
	switch s {
	case sessions.StateResubmit:
		return "resubmission"
	case sessions.StateEntered:
		return "data entered"
	case "":
		return "—"
	}
	return Safe(s) // a state is the payload's word: hostile until cleaned
}

// --- sessions pane ---

func (m Model) sessionsView(w, h int) string {
	st := m.styles
	list := m.visibleSessions()
	inner := w - 2
	var lines []string
	if m.filtering || m.filter.Value() != "" {
		f := m.filter
		f.SetWidth(max(1, inner-3))
		lines = append(lines, f.View())
	}
	title := fmt.Sprintf("Sessions %d", len(list))
	if len(list) == 0 {
		if m.filter.Value() != "" {
			lines = append(lines, st.Faint.Render(" no session matches"))
		} else {
			lines = append(lines, st.Faint.Render(" Waiting for deliveries…"), "")
			if _, public := m.base(); public {
				lines = append(lines, st.Faint.Render(" Paste the URLs above into the"), st.Faint.Render(" Veriff Customer Portal, or POST to"))
			} else {
				lines = append(lines, st.Faint.Render(" POST a webhook to"))
			}
			lines = append(lines, " "+Safe(m.info.LocalURL)+"/veriff/events")
			if m.lab != nil {
				what := "a simulated session"
				if m.lab.Real() {
					what = "a Veriff test session"
				}
				lines = append(lines, "", st.Faint.Render(" Or press ")+st.Bold.Render("n")+st.Faint.Render(" for "+what)+st.Faint.Render(","),
					st.Faint.Render(" ")+st.Bold.Render("i")+st.Faint.Render(" for a VerifiMe invite."))
			}
		}
		return m.box(title, lines, w, h, m.focus == focusSessions)
	}
	// Columns: mark, id, state, vendorData (flex), deliveries, last activity.
	// Ids are as long as it takes to tell them apart.
	ids := make([]string, 0, len(list))
	for _, s := range list {
		if !s.Unsorted() {
			ids = append(ids, s.ID)
		}
	}
	shown, idW := uniqueIDs(ids)
	idW = min(idW, max(8, inner-24)) // vendorData gives way first
	const nW, agoW = 3, 4
	stW := 12
	vendW := inner - (2 + idW + 1 + stW + 1 + nW + 1 + agoW)
	if vendW < 8 { // narrow: a shorter state column buys room for vendorData
		stW = 10
		vendW = inner - (2 + idW + 1 + stW + 1 + nW + 1 + agoW)
	}
	vendCol := ""
	if vendW >= 6 {
		vendW-- // its separating space
		vendCol = Pad("vendorData", vendW) + " "
	} else {
		vendW = 0
	}
	lines = append(lines, st.Faint.Render(Pad("  "+Pad("session", idW)+" "+Pad("state", stW)+" "+vendCol+"dlv last", inner)))
	rows := h - 2 - len(lines)
	sel := m.sessionIndex(list)
	for i := m.sessTop; i < len(list) && i < m.sessTop+rows; i++ {
		s := list[i]
		mark := " "
		if s.Failed > 0 {
			mark = st.Danger.Render("⚠")
		}
		id := Safe(shown[s.ID])
		if utf8.RuneCountInString(shown[s.ID]) > idW {
			// No room for the prefix that tells it apart: its head and
			// tail, where ids that share a long prefix differ.
			r := []rune(readableID(s.ID))
			id = Safe(string(r[:3]) + "…" + string(r[len(r)-(idW-4):]))
		}
		if s.Unsorted() {
			id = "unsorted"
		}
		state := s.State
		stateCell := m.stateStyle(state).Render(Pad(stateLabel(state), stW))
		if s.RiskLevel != "" {
			// The level is what matters: it keeps its room before the state.
			label := stateLabel(state) + " " + Safe(s.RiskLevel)
			if ansi.StringWidth(label) > stW {
				label = Safe(s.RiskLevel)
			}
			stateCell = m.riskStyle(s.RiskLevel).Render(Pad(label, stW))
		}
		vend := ""
		if vendW > 0 {
			vend = Pad(Safe(s.VendorData), vendW) + " "
		}
		row := mark + " " + Pad(id, idW) + " " + stateCell + " " + vend +
			fmt.Sprintf("%*d", nW, deliveries(s)) + " " + Pad(ago(m.clock, s.Last), agoW)
		lines = append(lines, m.selectRow(row, inner, i == sel, m.focus == focusSessions))
	}
	return m.box(title, lines, w, h, m.focus == focusSessions)
}

// apiCallLabel shortens a sandbox call's note ("GET /v1/sessions/ID/decision
// → 200") for the timeline of session id: "GET …/decision".
func apiCallLabel(note, id string) string {
	call, _, _ := strings.Cut(note, " → ")
	method, path, ok := strings.Cut(call, " ")
	if !ok || !strings.HasPrefix(path, "/") {
		return note // the end-user's page: "end-user: started"
	}
	path = strings.TrimPrefix(path, "/v1")
	if id != "" {
		path = strings.Replace(path, "/sessions/"+id, "…", 1)
	}
	return method + " " + path
}

// deliveries counts a session's deliveries, as the header does: not its
// created step nor its tracking changes.
func deliveries(s *sessions.Session) int {
	n := 0
	for _, st := range s.Steps {
		if st.Created == nil && st.Tracking == nil {
			n++
		}
	}
	return n
}

// selectRow highlights the selected row: reversed when its pane has focus,
// bold otherwise. Styles inside the row are stripped so the bar is even.
func (m Model) selectRow(row string, w int, selected, focused bool) string {
	if !selected {
		return Pad(row, w)
	}
	plain := Pad(ansi.Strip(row), w)
	if focused {
		return m.styles.Selected.Render(plain)
	}
	return m.styles.SelectedBlur.Render("▸" + ansi.TruncateLeft(plain, 1, ""))
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if d := now.Sub(t); d >= time.Second {
		return shortDur(d)
	}
	return "now"
}

// legend names the verdict marks a delivery row carries.
func (m Model) legend() string {
	st := m.styles
	return st.Success.Render("✓") + " verified " + st.Danger.Render("✗") + " failed " +
		st.Danger.Render("!") + " missing " + st.Faint.Render("·") + " unchecked " + st.Info.Render("↻") + " retry"
}

// shortLegend is the marks alone, for a narrow header (? names them).
func (m Model) shortLegend() string {
	st := m.styles
	return st.Success.Render("✓") + st.Danger.Render("✗!") + st.Faint.Render("·") + st.Info.Render("↻")
}

// --- timeline pane ---

func (m Model) timelineView(w, h int) string {
	st := m.styles
	s := m.selected()
	inner := w - 2
	if s == nil {
		return m.box("Timeline", []string{st.Faint.Render(" Select a session")}, w, h, m.focus == focusTimeline)
	}
	title := "Timeline " + Safe(s.ID)
	if w < 50+ansi.StringWidth(s.ID) {
		title = "Timeline " + Safe(Short(s.ID))
	}
	if s.Unsorted() {
		title = "Timeline: no session id"
	}
	if n := len(s.Attempts); n > 1 {
		title += fmt.Sprintf(" · %d attempts", n)
	}
	var lines []string
	info := m.stateStyle(s.State).Render(stateLabel(s.State))
	if s.VendorData != "" {
		label := " · vendorData "
		if s.Provider == decode.VerifiMe {
			label = " · reference " // referenceData, the webhook's metadata
		}
		info += st.Faint.Render(label) + Safe(s.VendorData)
	}
	if s.Unsorted() {
		info = st.Faint.Render("deliveries that named no session")
	}
	lines = append(lines, " "+info)
	rows := h - 3
	sel := stepIndex(s, m.selSeq)
	attempt := ""
	// The last rows say what the session waits for: two at most, so a
	// narrow pane keeps the hint (which keys decide) instead of cutting it.
	var wait []string
	if wl := m.waitLine(s); wl != "" {
		wait = wrap(wl, max(1, inner-1), 2)
		if len(wait) > 2 || rows-len(wait) < 2 {
			wait = []string{ansi.Truncate(wl, inner-1, "…")}
		}
		rows -= len(wait)
	}
	// The code column (7001, 9001…) is Veriff's: VerifiMe's deliveries
	// carry no code, so its sessions give the room to the text.
	codeCol := func(code string) string { return Pad(code, 4) + " " }
	if s.Provider == decode.VerifiMe {
		codeCol = func(string) string { return "" }
	}
	for i := m.stepTop; i < len(s.Steps) && i < m.stepTop+rows; i++ {
		step := s.Steps[i]
		d := step.Delivery
		delta := ""
		if i > 0 {
			delta = "+" + shortDur(step.Delta)
		}
		if step.Created != nil {
			src := step.Created.SourceLabel()
			kind := ""
			if inner >= 48 {
				kind = Pad("session", 8) + " "
			}
			row := " " + step.ReceivedAt.In(m.loc).Format("15:04:05") + " " + Pad(delta, 6) + " " + st.Info.Render("●") + " " +
				kind + codeCol("") + m.stateStyle(sessions.StateCreated).Render("created") + st.Faint.Render(" · "+src)
			lines = append(lines, m.selectRow(row, inner, i == sel, m.focus == focusTimeline))
			continue
		}
		if tr := step.Tracking; tr != nil {
			kind := ""
			if inner >= 48 {
				kind = Pad("tracking", 8) + " "
			}
			what := st.Info.Render(Safe(tr.Status))
			if tr.Status == "" {
				what = st.Warning.Render("? ") + st.Faint.Render(Safe(tr.Raw))
			}
			if tr.Status == "Completed" {
				what += st.Faint.Render(" data entry done")
			}
			row := " " + step.ReceivedAt.In(m.loc).Format("15:04:05") + " " + Pad(delta, 6) + " " + st.Info.Render("●") + " " +
				kind + codeCol("") + what
			lines = append(lines, m.selectRow(row, inner, i == sel, m.focus == focusTimeline))
			continue
		}
		if d.Kind == decode.KindCallback {
			kind := ""
			if inner >= 48 {
				kind = Pad("callback", 8) + " "
			}
			row := " " + step.ReceivedAt.In(m.loc).Format("15:04:05") + " " + Pad(delta, 6) + " " + st.Info.Render("↩") + " " +
				kind + codeCol("") + st.Info.Render("end-user returned")
			lines = append(lines, m.selectRow(row, inner, i == sel, m.focus == focusTimeline))
			continue
		}
		code := ""
		if d.Code != 0 {
			code = strconv.Itoa(d.Code)
		}
		what := m.stateStyle(d.State).Render(stateLabel(d.State))
		if d.Kind == decode.KindRiskAssessment && d.Risk != nil {
			if d.Risk.RiskLevel != "" {
				what += " " + m.riskStyle(d.Risk.RiskLevel).Render(Safe(d.Risk.RiskLevel))
			}
			if d.State == "pending" || d.State == "preliminary" {
				what += st.Faint.Render(" not final")
			}
		}
		if d.Kind == decode.KindAPICall {
			// The call first, short: the timeline's session is not repeated.
			what = Safe(apiCallLabel(d.Note, s.ID))
			if d.State != "" {
				what += st.Faint.Render(" · ") + m.stateStyle(d.State).Render(stateLabel(d.State))
			}
			code = ""
		}
		if d.Kind == decode.KindInvalid || d.Kind == decode.KindUnknown {
			what = st.Faint.Render(string(d.Kind))
		}
		tail := ""
		if d.Kind == decode.KindAPICall && step.ProviderStatus() < 400 {
			// 201 created and the like are the sandbox working.
		} else if step.ProviderStatus() != 200 {
			tail += " " + st.Danger.Render(strconv.Itoa(step.ProviderStatus()))
		}
		if step.DuplicateOf != 0 {
			tail += " " + st.Info.Render("↻")
		}
		tail += m.forwardMark(step.Seq)
		if step.ReplayOf != 0 {
			tail += st.Info.Render(" replay of #" + itoa(step.ReplayOf))
		}
		if a := d.AttemptID; a != "" && a != attempt && len(s.Attempts) > 1 {
			tail += st.Faint.Render(" attempt " + Safe(Short(a)))
		}
		if d.AttemptID != "" {
			attempt = d.AttemptID
		}
		kind := ""
		if inner >= 48 { // the code says the kind well enough when narrow
			kind = Pad(kindLabel(d.Kind), 8) + " "
		}
		codeCell := codeCol(code)
		if d.Kind == decode.KindAPICall && inner < 48 {
			codeCell = "" // an API call has no code: its room goes to the call
		}
		row := " " + step.ReceivedAt.In(m.loc).Format("15:04:05") + " " + Pad(delta, 6) + " " + m.badge(step.Record) + " " +
			kind + codeCell + what + tail
		lines = append(lines, m.selectRow(row, inner, i == sel, m.focus == focusTimeline))
	}
	if len(wait) > 0 {
		for len(lines) < h-2-len(wait) {
			lines = append(lines, "")
		}
		for _, l := range wait {
			lines = append(lines, " "+l)
		}
	}
	return m.box(title, lines, w, h, m.focus == focusTimeline)
}

func kindLabel(k decode.Kind) string {
	switch k {
	case decode.KindUserStatus:
		return "status"
	case decode.KindRiskAssessment:
		return "risk"
	}
	return string(k)
}

func shortDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.Itoa(int(d.Milliseconds())) + "ms"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func plural2(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// helpView fills the screen with every key, its groups laid out in as
// many rows as the width needs (the help bubble alone cuts them off).
func (m Model) helpView(w, h int) string {
	groups := m.keys.forPane(m.focus, false).FullHelp()
	var rows []string
	var row []string
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
	st := m.styles
	marks := st.Success.Render("✓") + " verified  " + st.Danger.Render("✗") + " failed (invalid signature, wrong API key) or refused (not JSON, too large)  " +
		st.Danger.Render("!") + " signature or API key missing  " + st.Faint.Render("·") + " unchecked (no secret)  " +
		st.Info.Render("↻") + " a retry (same body)  " + st.Danger.Render("⚠") + " a session with a failed check"
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
	// A small window scrolls the help (↑↓) rather than cut the marks off.
	visible := h - 2
	top := min(m.helpTop, max(0, len(lines)-visible))
	title := "Keys"
	if top > 0 {
		title += " · ↑ more"
	}
	if top+visible < len(lines) {
		title += " · ↓ more"
	}
	return m.box(title, lines[top:min(len(lines), top+visible)], w, h, true)
}
