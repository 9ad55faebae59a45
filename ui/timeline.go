package ui

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// timelinePane is one session's steps, oldest first: which step is
// selected and which rows show. Its last rows say what the session waits
// for; rows() counts them, for drawing and for scrolling alike.
type timelinePane struct {
	com  *Common
	w, h int
	top  int   // the first step shown
	sel  int64 // the selected step's seq (≤ 0: not a delivery)
	s    *sessions.Session
	wait string // what the session waits for, one styled line ("" none)
	// forwards are the app's answers, by delivery seq (the root's).
	forwards map[int64][]sessions.Forward
	// listID is the session's id as the list shows it, to name it the
	// same way when the whole id does not fit the title.
	listID string
	// none is what the pane says with no session ("" Select a session).
	none string
}

// SetSize sets the pane's outer size (border included).
func (p *timelinePane) SetSize(w, h int) {
	p.w, p.h = w, h
	p.clamp()
}

// SetSession gives the pane the selected session and its wait line.
func (p *timelinePane) SetSession(s *sessions.Session, wait string) {
	p.s, p.wait = s, wait
	p.clamp()
}

// waitLines are the wait line as drawn: two rows at most, so that a narrow
// pane keeps the hint (which keys decide) instead of cutting it, and one
// when the steps would keep fewer than two rows.
func (p timelinePane) waitLines() []string {
	if p.wait == "" {
		return nil
	}
	inner := p.w - 2
	wait := wrap(p.wait, max(1, inner-1), 2)
	if len(wait) > 2 || p.h-3-len(wait) < 2 {
		wait = []string{ansi.Truncate(p.wait, inner-1, "…")}
	}
	return wait
}

// rows is how many steps fit: the border, the session's line and the wait
// lines take the rest.
func (p timelinePane) rows() int { return p.h - 3 - len(p.waitLines()) }

// index is the selected step's row.
func (p timelinePane) index() int {
	if p.s == nil {
		return -1
	}
	return stepIndex(p.s, p.sel)
}

func (p *timelinePane) clamp() {
	if p.s == nil {
		p.top = 0
		return
	}
	p.top = scrollTo(p.top, p.index(), p.rows(), len(p.s.Steps))
}

// Select selects the step seq and shows it.
func (p *timelinePane) Select(seq int64) {
	p.sel = seq
	p.clamp()
}

// Update moves the selection by a navigation key or the wheel; it reports
// whether it moved.
func (p *timelinePane) Update(msg tea.Msg) bool {
	n, ok := p.com.navigate(msg, max(1, p.rows()-1))
	if !ok || p.s == nil || len(p.s.Steps) == 0 {
		return false
	}
	seq := p.s.Steps[clamp(p.index()+n, 0, len(p.s.Steps)-1)].Seq
	if seq == p.sel {
		return false
	}
	p.Select(seq)
	return true
}

func stepIndex(s *sessions.Session, seq int64) int {
	for i := len(s.Steps) - 1; i >= 0; i-- {
		if s.Steps[i].Seq == seq {
			return i
		}
	}
	return len(s.Steps) - 1
}

// View draws the session's line, the steps that fit, and the wait lines.
func (p timelinePane) View(focused bool) string {
	st := p.com.Styles
	s := p.s
	if s == nil {
		return box(st, "Timeline", []string{st.Faint.Render(" " + cmp.Or(p.none, "Select a session"))}, p.w, p.h, focused)
	}
	inner := p.w - 2
	lines := []string{" " + p.about()}
	sel := p.index()
	attempt := ""
	kindW := p.kindWidth(inner)
	for i := 0; i < len(s.Steps) && i < p.top+p.rows(); i++ {
		step := s.Steps[i]
		var tail string
		tail, attempt = p.attemptMark(step, attempt)
		if i < p.top {
			continue
		}
		delta := ""
		if i > 0 && step.Delta >= 0 {
			// Steps are in the order they were stored; one received
			// before the step above it (timed from its request's start)
			// gets no delta rather than a negative one.
			delta = "+" + shortDur(step.Delta)
		}
		mark, kind, what := p.describe(step, inner, kindW)
		row := " " + step.ReceivedAt.In(p.com.Loc).Format("15:04:05") + " " + Pad(delta, 6) + " " + mark + " " + kind + what + tail
		lines = append(lines, selectRow(st, row, inner, i == sel, focused))
	}
	if wait := p.waitLines(); len(wait) > 0 {
		for len(lines) < p.h-2-len(wait) {
			lines = append(lines, "")
		}
		for _, l := range wait {
			lines = append(lines, " "+l)
		}
	}
	return box(st, p.title(), lines, p.w, p.h, focused)
}

func (p timelinePane) title() string {
	s := p.s
	title := "Timeline " + display.Safe(s.ID)
	if p.w < 50+ansi.StringWidth(s.ID) {
		title = "Timeline " + display.Safe(cmp.Or(p.listID, display.ShortID(s.ID)))
	}
	if s.Unsorted() {
		title = "Timeline: no session id"
	}
	if n := len(s.Attempts); n > 1 {
		title += fmt.Sprintf(" · %d attempts", n)
	}
	return title
}

// about is the session's line: its state and what the integrator called it.
func (p timelinePane) about() string {
	st, s := p.com.Styles, p.s
	if s.Unsorted() {
		return st.Faint.Render("deliveries that named no session")
	}
	info := st.State(s.State).Render(stateLabel(s.State))
	if s.VendorData != "" {
		label := " · vendorData "
		if s.Provider == decode.VerifiMe {
			label = " · reference " // referenceData, the webhook's metadata
		}
		info += st.Faint.Render(label) + display.Safe(s.VendorData)
	}
	return info
}

// attemptMark names a step's attempt where a new one begins (when the
// session has several); last is the attempt of the step before.
func (p timelinePane) attemptMark(step sessions.Step, last string) (string, string) {
	a := step.Delivery.AttemptID
	if a == "" || step.Created != nil || step.Tracking != nil {
		return "", last
	}
	if a != last && len(p.s.Attempts) > 1 {
		return p.com.Styles.Faint.Render(" attempt " + display.Safe(display.ShortID(a))), a
	}
	return "", a
}

// describe is a step's mark, its kind column (when the pane is wide
// enough), and what happened.
func (p timelinePane) describe(step sessions.Step, inner, kindW int) (mark, kind, what string) {
	st := p.com.Styles
	wide := inner >= 48 // the code says the kind well enough when narrow
	kindCol := func(k string) string {
		if !wide {
			return ""
		}
		return Pad(k, kindW) + " "
	}
	// The code column (7001, 9001…) is Veriff's: VerifiMe's deliveries
	// carry no code, so its sessions give the room to the text.
	code := func(c string) string {
		if p.s.Provider == decode.VerifiMe {
			return ""
		}
		return Pad(c, 4) + " "
	}
	d := step.Delivery
	switch {
	case step.Created != nil:
		return st.Mark(MarkStep), kindCol("session") + code(""),
			st.State(sessions.StateCreated).Render("created") + st.Faint.Render(" · "+step.Created.SourceLabel())
	case step.Tracking != nil:
		return st.Mark(MarkStep), kindCol("tracking") + code(""), p.trackingWhat(step.Tracking)
	case d.Kind == decode.KindCallback:
		return st.Mark(MarkReturned), kindCol("callback") + code(""), st.Info.Render("end-user returned")
	case d.Kind == decode.KindAPICall:
		// The call first, short: the timeline's session is not repeated.
		what = display.Safe(apiCallLabel(d.Note, p.s.ID))
		if d.State != "" {
			what += st.Faint.Render(" · ") + st.State(d.State).Render(stateLabel(d.State))
		}
		c := code("")
		if !wide {
			c = "" // an API call has no code: its room goes to the call
		}
		return st.Badge(step.Record), kindCol(kindLabel(d.Kind)) + c, what + p.deliveryTail(step)
	}
	c := ""
	if d.Code != 0 {
		c = strconv.Itoa(d.Code)
	}
	return st.Badge(step.Record), kindCol(kindLabel(d.Kind)) + code(c), p.deliveryWhat(d) + p.deliveryTail(step)
}

// kindWidth is the kind column's: as wide as the session's widest kind
// ("watchlist") when the pane has room, 8 at least.
func (p timelinePane) kindWidth(inner int) int {
	if inner < 64 {
		return 8
	}
	w := 8
	for _, step := range p.s.Steps {
		k := "session"
		switch {
		case step.Tracking != nil:
			k = "tracking"
		case step.Created == nil:
			k = kindLabel(step.Delivery.Kind)
		}
		w = max(w, len(k))
	}
	return min(w, 16)
}

func (p timelinePane) trackingWhat(tr *sessions.TrackingStep) string {
	st := p.com.Styles
	what := st.Info.Render(display.Safe(tr.Status))
	if tr.Status == "" {
		what = st.Warning.Render("? ") + st.Faint.Render(display.Safe(tr.Raw))
	}
	if tr.Status == verifime.Completed {
		what += st.Faint.Render(" data entry done")
	}
	return what
}

// deliveryWhat is a delivery's state (and risk level), or its kind when it
// has none to tell.
func (p timelinePane) deliveryWhat(d decode.Delivery) string {
	st := p.com.Styles
	if d.Kind == decode.KindInvalid || d.Kind == decode.KindUnknown {
		return st.Faint.Render(string(d.Kind))
	}
	what := st.State(d.State).Render(stateLabel(d.State))
	if d.Kind == decode.KindRiskAssessment && d.Risk != nil {
		if d.Risk.RiskLevel != "" {
			what += " " + st.Risk(d.Risk.RiskLevel).Render(display.Safe(d.Risk.RiskLevel))
		}
		if d.State == sessions.StatePending || d.State == sessions.StatePreliminary {
			what += st.Faint.Render(" not final")
		}
	}
	return what
}

// deliveryTail is what follows: the provider's answer when not 200, a
// retry's mark, the app's answer, the replay it is a copy of.
func (p timelinePane) deliveryTail(step sessions.Step) string {
	st := p.com.Styles
	tail := ""
	// 201 created and the like are the sandbox working.
	if status := step.ProviderStatus(); status != 200 && !(step.Delivery.Kind == decode.KindAPICall && status < 400) {
		tail += " " + st.Danger.Render(strconv.Itoa(status))
	}
	if step.DuplicateOf != 0 {
		tail += " " + st.Mark(MarkRetry)
	}
	tail += forwardMark(st, p.forwards[step.Seq])
	if step.ReplayOf != 0 {
		tail += st.Info.Render(" replay of #" + itoa(step.ReplayOf))
	}
	return tail
}

// kindLabel is a kind as the timeline's column names it.
func kindLabel(k decode.Kind) string {
	return cmp.Or(map[decode.Kind]string{decode.KindUserStatus: "status", decode.KindRiskAssessment: "risk"}[k], string(k))
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
