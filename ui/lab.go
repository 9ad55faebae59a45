package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/lab"
	"github.com/kycwatch/kycwatch/sessions/simulator"
)

// Lab is where test sessions come from: Veriff's API when credentials are
// set, the embedded simulator otherwise (and always for N). Its calls do
// I/O: the UI makes them only inside Cmds.
type Lab interface {
	// Real reports whether n creates sessions with Veriff's API.
	Real() bool
	Create(ctx context.Context, form NewSession, simulated bool) (Created, error)
	// Decide sends a simulated decision (one of simulator.Statuses).
	Decide(ctx context.Context, t Target, status string) error
	// Forge sends a delivery that must fail a check; it returns the answer.
	Forge(ctx context.Context, t Target, kind simulator.Forgery) (int, error)
}

// The lab's types, under the names the UI uses.
type (
	NewSession = lab.NewSession
	Created    = lab.Created
	KeysInfo   = lab.KeysInfo
	Target     = lab.Target
)

type createdMsg struct {
	c   Created
	err error
}

type labDoneMsg struct {
	done string // what happened, for the footer
	err  error
}

// form is the n dialog: vendorData, first and last name, endUserId.
type form struct {
	inputs    []textinput.Model
	focus     int
	simulated bool
}

var formLabels = []string{"vendorData", "first name", "last name", "endUserId"}

func newForm(dark, simulated bool, now time.Time) form {
	f := form{simulated: simulated}
	placeholders := []string{"kycwatch-demo-" + now.Format("150405"), "optional", "optional", "optional UUID"}
	for i := range formLabels {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = placeholders[i]
		in.CharLimit = 1000
		in.SetStyles(textinput.DefaultStyles(dark))
		f.inputs = append(f.inputs, in)
	}
	f.inputs[0].Focus()
	return f
}

func (f *form) move(n int) {
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + n + len(f.inputs)) % len(f.inputs)
	f.inputs[f.focus].Focus()
}

// value is what was typed, or the default where there is one.
func (f form) value() NewSession {
	v := func(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }
	ns := NewSession{VendorData: v(0), FirstName: v(1), LastName: v(2), EndUserID: v(3)}
	if ns.VendorData == "" {
		ns.VendorData = f.inputs[0].Placeholder
	}
	return ns
}

// labKey handles the keys that create sessions, decide them and forge
// deliveries. ok is false when msg is none of them.
func (m Model) labKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.New), key.Matches(msg, k.NewSim):
		if m.lab == nil {
			m.status = "test sessions are not available in this run"
			return m, nil, true
		}
		sim := key.Matches(msg, k.NewSim) || !m.lab.Real()
		m.form = newForm(m.dark, sim, m.clock)
		m.showForm = true
		return m, nil, true
	}
	for status, b := range m.keys.decisionKeys() {
		if key.Matches(msg, b) {
			t, err := m.simTarget()
			if err != "" {
				m.status = err
				return m, nil, true
			}
			l := m.lab
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				err := l.Decide(ctx, t, status)
				return labDoneMsg{done: "sent " + stateLabel(status) + " for " + Short(t.SessionID), err: err}
			}, true
		}
	}
	for kind, b := range m.keys.forgeryKeys() {
		if key.Matches(msg, b) {
			if m.lab == nil {
				m.status = "test sessions are not available in this run"
				return m, nil, true
			}
			t, err := m.simTarget()
			if err != "" { // not a simulated session: forge for a new one
				t = Target{SessionID: simulator.NewUUID(), VendorData: "forged-demo"}
			}
			l := m.lab
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				status, err := l.Forge(ctx, t, kind)
				return labDoneMsg{done: fmt.Sprintf("sent %s for %s: kycwatch answered %d", forgeryLabel(kind), Short(t.SessionID), status), err: err}
			}, true
		}
	}
	return m, nil, false
}

// formKey handles keys while the n form is open.
func (m Model) formKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch msg.String() {
	case "esc":
		m.showForm = false
		return m, nil
	case "ctrl+c":
		return m, tea.Quit
	case "tab", "down":
		m.form.move(1)
		return m, nil
	case "shift+tab", "up":
		m.form.move(-1)
		return m, nil
	case "enter":
		m.showForm = false
		ns, sim, l := m.form.value(), m.form.simulated, m.lab
		m.notice = "creating a session…"
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := l.Create(ctx, ns, sim)
			return createdMsg{c: c, err: err}
		}
	}
	var cmd tea.Cmd
	m.form.inputs[m.form.focus], cmd = m.form.inputs[m.form.focus].Update(msg)
	return m, cmd
}

// created puts a new session in the book and selects its created step.
func (m *Model) created(msg createdMsg) {
	m.notice = ""
	if msg.err != nil {
		m.status = "could not create a session: " + msg.err.Error()
		return
	}
	ts := msg.c.Session
	m.book.AddCreated(ts)
	if k := msg.c.Keys; k != nil {
		m.info.Secrets, m.info.APIKey, m.info.Generated = k.Secrets, Mask(k.APIKey), Mask(k.Generated)
	}
	m.follow = true
	m.filter.SetValue("")
	m.selSession, m.hasSel, m.selSeq = ts.ID, true, 0
	m.sessTop = 0
	m.focus = focusTimeline
	m.detail.reset()
	src := "simulated"
	if !ts.Simulated() {
		src = "Veriff"
	}
	m.notice = "created " + src + " session " + Short(ts.ID)
	if msg.c.Note != "" {
		m.notice += " · " + msg.c.Note
	}
	m.clampScroll()
}

// simTarget is the selected session when the simulator may decide it.
func (m Model) simTarget() (Target, string) {
	if m.lab == nil {
		return Target{}, "test sessions are not available in this run"
	}
	s := m.selected()
	switch {
	case s == nil || s.Unsorted():
		return Target{}, "select a simulated session first (n creates one)"
	case s.Test == nil:
		return Target{}, "this session did not come from kycwatch: decisions keys act on simulated sessions (n creates one)"
	case !s.Test.Simulated():
		return Target{}, "a Veriff test integration decides nothing by itself: force a decision in the Customer Portal (Verifications)"
	}
	t := Target{SessionID: s.ID, VendorData: s.VendorData, EndUserID: s.EndUserID, Created: s.First}
	if n := len(s.Attempts); n > 0 {
		t.AttemptID = s.Attempts[n-1]
	}
	for _, st := range s.Steps {
		if st.Delivery.Kind == "event" && st.Delivery.Code == 7002 && st.Accepted() {
			t.Submitted = st.ReceivedAt
		}
	}
	return t, ""
}

func forgeryLabel(k simulator.Forgery) string {
	switch k {
	case simulator.BadSignature:
		return "a mismatched HMAC"
	case simulator.WrongAPIKey:
		return "a wrong API key"
	case simulator.InvalidJSON:
		return "invalid JSON"
	}
	return string(k)
}

// formView fills the body with the n form.
func (m Model) formView(w, h int) string {
	st := m.styles
	f := m.form
	title := "New test session · Veriff API"
	if f.simulated {
		title = "New test session · simulator"
	}
	var lines []string
	lines = append(lines, "")
	for i, label := range formLabels {
		in := f.inputs[i]
		in.SetWidth(max(10, w-2-18))
		mark := "  "
		if i == f.focus {
			mark = st.Accent.Render("▸ ")
		}
		lines = append(lines, " "+mark+st.Label.Render(Pad(label, 12))+" "+in.View())
	}
	lines = append(lines, "")
	var about string
	if f.simulated {
		about = "The simulator plays the end-user: started, then submitted, as signed webhooks to " +
			"kycwatch's own URL. Then a d r v e b send the decision."
	} else {
		about = "Creates a session in your Veriff integration (POST /v1/sessions). " +
			"Its URL opens the real flow; a test integration then waits for you to force a decision in the Customer Portal."
	}
	for _, l := range wrap(about, max(10, w-4), 0) {
		lines = append(lines, " "+st.Faint.Render(l))
	}
	lines = append(lines, "", " "+st.Faint.Render("enter creates (empty fields keep their defaults) · tab next field · esc cancels"))
	return m.box(title, lines, w, h, true)
}

// createdLines describe a session created from kycwatch, for the detail
// pane: its verification URL (and QR code when it fits), and what happens
// next.
func (m Model) createdLines(s *sessions.Session, w, h int) []string {
	st := m.styles
	t := s.Test
	var out []string
	field := func(label, value string) {
		if value != "" {
			out = append(out, wrap(st.Label.Render(Pad(" "+label, 12))+value, w, 12)...)
		}
	}
	src := "simulator"
	if !t.Simulated() {
		src = "Veriff API"
	}
	field("Created", t.CreatedAt.In(m.loc).Format("2006-01-02 15:04:05")+st.Faint.Render(" · "+src))
	field("Session", Safe(t.ID))
	field("vendorData", Safe(t.VendorData))
	field("endUserId", Safe(t.EndUserID))
	if t.URL != "" { // a URL has no spaces to wrap at: cut it evenly
		for i, l := range strings.Split(ansi.Hardwrap(Safe(t.URL), max(10, w-12), false), "\n") {
			label := ""
			if i == 0 {
				label = "URL"
			}
			out = append(out, st.Label.Render(Pad(" "+label, 12))+st.Accent.Render(l))
		}
	}
	switch {
	case t.Simulated():
	case t.Callback != "":
		field("Callback", Safe(t.Callback))
	default:
		field("Callback", st.Faint.Render("none sent: no tunnel, and Veriff accepts only HTTPS (the portal's default applies)"))
	}
	out = append(out, "")
	var next string
	if t.Simulated() {
		next = "Simulated: nobody needs to open the URL. The simulator sends started, then submitted; " +
			"then a approve · d decline · r resubmission · v review · e expired · b abandoned."
	} else {
		next = "Open the URL (c copies it, p shows it as a QR code for a phone) and go through the flow. " +
			"Veriff decides nothing in test integrations: in the Customer Portal, open Verifications, this session, and set a decision to get its webhook."
	}
	for _, l := range wrap(next, max(10, w-2), 0) {
		out = append(out, " "+l)
	}
	if t.URL != "" {
		if code, err := QR(t.URL, m.dark); err == nil && len(out)+1+len(code) <= h-2 && ansi.StringWidth(code[0])+2 <= w {
			out = append(out, "")
			for _, l := range code {
				out = append(out, " "+l)
			}
		} else {
			out = append(out, "", st.Faint.Render(" p shows the URL as a QR code"))
		}
	}
	return out
}

// waitLine says what a test session waits for, under its timeline.
func (m Model) waitLine(s *sessions.Session) string {
	if s.Test == nil {
		return ""
	}
	st := m.styles
	since := s.Last
	wait := ""
	if !since.IsZero() && m.clock.Sub(since) >= time.Second {
		wait = " " + shortDur(m.clock.Sub(since))
	}
	switch s.State {
	case sessions.StateCreated, sessions.StateStarted, sessions.StateResubmit:
		if s.Test.Simulated() {
			return st.Faint.Render("⋯ the simulated end-user is on their way" + wait)
		}
		return st.Faint.Render("⋯ waiting for the end-user to open the URL" + wait)
	case sessions.StateSubmitted:
		if s.Test.Simulated() {
			return st.Warning.Render("⋯ waiting for a decision"+wait) + st.Faint.Render(" · a d r v e b")
		}
		return st.Warning.Render("⋯ waiting for a decision"+wait) + st.Faint.Render(" · force it in the Customer Portal")
	}
	return ""
}
