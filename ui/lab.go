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

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions"
)

// Lab is where test sessions come from: Veriff's API when credentials are
// set, the embedded simulator otherwise (and always for N). Its calls do
// I/O: the UI makes them only inside Cmds.
type Lab interface {
	// Real reports whether n creates sessions with Veriff's API.
	Real() bool
	Create(ctx context.Context, form sessions.NewSession, simulated bool) (sessions.Created, error)
	// Decide sends a simulated decision (one of sessions.Statuses).
	Decide(ctx context.Context, t sessions.Target, status string) error
	// Forge sends a delivery that must fail a check; it returns the answer.
	Forge(ctx context.Context, t sessions.Target, kind sessions.Forgery) (int, error)

	// RealVerifiMe reports whether i invites with VerifiMe's API.
	RealVerifiMe() bool
	// Invite creates a VerifiMe session; its tracking changes come later
	// as TrackingMsg.
	Invite(ctx context.Context, form sessions.InviteForm) (sessions.Created, error)
	// Assess sends a simulated RISK_ASSESSMENT_UPDATED with a risk level.
	Assess(ctx context.Context, t sessions.Target, level string) error
}

// TrackingMsg is a VerifiMe tracking status change (via Program.Send).
type TrackingMsg sessions.TrackingStep

// TestSessionMsg is a session created elsewhere than from the keyboard:
// through the sandbox API (via Program.Send).
type TestSessionMsg sessions.TestSession

type createdMsg struct {
	c   sessions.Created
	err error
}

type labDoneMsg struct {
	done string // what happened, for the footer
	err  error
}

// form is the n dialog (a Veriff session: vendorData, first and last
// name, endUserId) or the i dialog (a VerifiMe invite: email, first and
// family name).
type form struct {
	verifime  bool
	labels    []string
	inputs    []textinput.Model
	focus     int
	simulated bool
	// errField is the field a mistake is in (-1: none, or the whole form:
	// err then comes from the API); err says what is wrong, beside it.
	errField int
	err      string
	sent     bool // enter was pressed: a failed call reopens this form
}

func newForm(dark, simulated bool, now time.Time) form {
	return buildForm(dark, form{simulated: simulated, labels: []string{"vendorData", "first name", "last name", "endUserId"}},
		[]string{"kycwatch-demo-" + now.Format("150405"), "optional", "optional", "optional UUID"})
}

func newInviteForm(dark, simulated bool, now time.Time) form {
	return buildForm(dark, form{verifime: true, simulated: simulated, labels: []string{"email", "first name", "family name"}},
		[]string{"demo+" + now.Format("150405") + "@example.com", "Jane", "Citizen"})
}

func buildForm(dark bool, f form, placeholders []string) form {
	for i := range f.labels {
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = placeholders[i]
		in.CharLimit = 1000
		in.SetStyles(textinput.DefaultStyles(dark))
		f.inputs = append(f.inputs, in)
	}
	f.inputs[0].Focus()
	f.errField = -1
	return f
}

// check finds a mistake the provider would refuse, before anything is
// sent: the field it is in and what is wrong (-1 when there is none).
func (f form) check() (int, string) {
	if f.verifime {
		if e := f.field(0); !looksLikeEmail(e) {
			return 0, "is not an email address (name@example.com)"
		}
		return -1, ""
	}
	if id := f.field(3); id != "" && !sessions.IsUUID(id) {
		return 3, "must be a UUID (8-4-4-4-12 hex digits), or empty"
	}
	return -1, ""
}

func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t<>,;")
}


func (f *form) move(n int) {
	f.inputs[f.focus].Blur()
	f.focus = (f.focus + n + len(f.inputs)) % len(f.inputs)
	f.inputs[f.focus].Focus()
}

// field is what was typed in field i, or its default. Optional fields
// have no default: their placeholder only says so.
func (f form) field(i int) string {
	v := strings.TrimSpace(f.inputs[i].Value())
	if v == "" && !strings.HasPrefix(f.inputs[i].Placeholder, "optional") {
		v = f.inputs[i].Placeholder
	}
	return v
}

func (f form) session() sessions.NewSession {
	return sessions.NewSession{VendorData: f.field(0), FirstName: f.field(1), LastName: f.field(2), EndUserID: f.field(3)}
}

func (f form) invite() sessions.InviteForm {
	return sessions.InviteForm{Email: f.field(0), FirstName: f.field(1), FamilyName: f.field(2)}
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
	case key.Matches(msg, k.Invite):
		if m.lab == nil {
			m.status = "test sessions are not available in this run"
			return m, nil, true
		}
		m.form = newInviteForm(m.dark, !m.lab.RealVerifiMe(), m.clock)
		m.showForm = true
		return m, nil, true
	}
	l := m.lab // the Cmds below read it, never the model
	for level, b := range m.keys.riskKeys() {
		if key.Matches(msg, b) {
			t, err := m.verifimeTarget()
			if err != "" {
				m.status = err
				return m, nil, true
			}
			return m, labCmd(func(ctx context.Context) (string, error) {
				return "sent risk level " + level + " for " + Short(t.SessionID), l.Assess(ctx, t, level)
			}), true
		}
	}
	for status, b := range m.keys.decisionKeys() {
		if key.Matches(msg, b) {
			t, err := m.simTarget()
			if err != "" {
				m.status = err
				return m, nil, true
			}
			return m, labCmd(func(ctx context.Context) (string, error) {
				msg := "sent " + stateLabel(status) + " for " + Short(t.SessionID)
				if o, ok := l.(interface{ Overrides(sessions.Target) string }); ok { // a second decision: say so
					if note := o.Overrides(t); note != "" {
						msg += " (" + note + ")"
					}
				}
				return msg, l.Decide(ctx, t, status)
			}), true
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
				t = sessions.Target{SessionID: sessions.NewUUID(), VendorData: "forged-demo"}
			}
			return m, labCmd(func(ctx context.Context) (string, error) {
				status, err := l.Forge(ctx, t, kind)
				return fmt.Sprintf("sent %s for %s: kycwatch answered %d", forgeryLabel(kind), Short(t.SessionID), status), err
			}), true
		}
	}
	return m, nil, false
}

// labCmd runs a lab call in the background, bounded, and reports it.
func labCmd(call func(ctx context.Context) (string, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done, err := call(ctx)
		return labDoneMsg{done: done, err: err}
	}
}

// formKey handles keys while the n or i form is open.
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
		if i, err := m.form.check(); i >= 0 {
			// Keep everything typed; mark the field and say why, beside it.
			m.form.errField, m.form.err = i, err
			m.form.move(i - m.form.focus)
			return m, nil
		}
		m.form.errField, m.form.err, m.form.sent = -1, "", true
		m.showForm = false
		l := m.lab
		if m.form.verifime {
			inv := m.form.invite()
			m.notice = "inviting…"
			return m, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				c, err := l.Invite(ctx, inv)
				return createdMsg{c: c, err: err}
			}
		}
		ns, sim := m.form.session(), m.form.simulated
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
		if m.form.sent && !m.showForm {
			// The form comes back as it was sent, with the error in it.
			m.form.sent, m.form.err, m.form.errField = false, msg.err.Error(), -1
			m.showForm = true
		}
		return
	}
	m.form.sent = false
	ts := msg.c.Session
	s := m.book.AddCreated(ts)
	m.follow = true
	m.filter.SetValue("")
	m.selSession, m.hasSel, m.selSeq = ts.ID, true, 0
	for _, st := range s.Steps {
		if st.Created != nil {
			m.selSeq = st.Seq
		}
	}
	m.sessTop = 0
	m.focus = focusTimeline
	m.detail.reset()
	src := "simulated"
	if !ts.Simulated() {
		src = "Veriff"
	}
	if ts.Provider() == "verifime" {
		src += " VerifiMe"
		if !ts.Simulated() {
			src = "VerifiMe"
		}
	}
	m.notice = "created " + src + " session " + Short(ts.ID)
	if msg.c.Note != "" {
		m.notice += " · " + msg.c.Note
	}
	m.clampScroll()
}

// simTarget is the selected session when the simulator may decide it.
func (m Model) simTarget() (sessions.Target, string) {
	if m.lab == nil {
		return sessions.Target{}, "test sessions are not available in this run"
	}
	s := m.selected()
	switch {
	case s == nil || s.Unsorted():
		return sessions.Target{}, "select a simulated session first (n creates one)"
	case s.Test == nil:
		return sessions.Target{}, "this session did not come from kycwatch: decisions keys act on simulated sessions (n creates one)"
	case s.Test.Provider() == "verifime":
		return sessions.Target{}, "a VerifiMe session: 1 LOW · 2 MEDIUM · 3 HIGH · 4 EXTREME · 0 NO RISK DETECTED choose its risk level"
	case !s.Test.Simulated():
		return sessions.Target{}, "a Veriff test integration decides nothing by itself: force a decision in the Customer Portal (Verifications)"
	}
	t := sessions.Target{SessionID: s.ID, VendorData: s.VendorData, EndUserID: s.EndUserID, Created: s.First, Source: s.Test.Source}
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

// verifimeTarget is the selected session when the simulator may assess it.
func (m Model) verifimeTarget() (sessions.Target, string) {
	if m.lab == nil {
		return sessions.Target{}, "test sessions are not available in this run"
	}
	s := m.selected()
	switch {
	case s == nil || s.Unsorted() || s.Test == nil || s.Test.Provider() != "verifime":
		return sessions.Target{}, "risk levels act on simulated VerifiMe sessions (i creates one)"
	case !s.Test.Simulated():
		return sessions.Target{}, "VerifiMe assesses real invites itself: the webhook arrives when its back office is done"
	}
	return sessions.Target{SessionID: s.ID, VendorData: s.Test.FirstName + " " + s.Test.LastName, Created: s.First}, ""
}

func forgeryLabel(k sessions.Forgery) string {
	switch k {
	case sessions.BadSignature:
		return "a mismatched HMAC"
	case sessions.WrongAPIKey:
		return "a wrong API key"
	case sessions.InvalidJSON:
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
	if f.verifime {
		title = "New VerifiMe session · VerifiMe API"
		if f.simulated {
			title = "New VerifiMe session · simulator"
		}
	}
	var lines []string
	lines = append(lines, "")
	for i, label := range f.labels {
		in := f.inputs[i]
		in.SetWidth(max(10, w-2-18))
		mark := "  "
		if i == f.focus {
			mark = st.Accent.Render("▸ ")
		}
		if i == f.errField {
			mark = st.Danger.Render("✗ ")
		}
		lines = append(lines, " "+mark+st.Label.Render(Pad(label, 12))+" "+in.View())
		if i == f.errField {
			for _, l := range wrap("✗ "+f.labels[i]+" "+Safe(f.err), max(10, w-4-15), 2) {
				lines = append(lines, Pad("", 16)+st.Danger.Render(l))
			}
		}
	}
	if f.errField < 0 && f.err != "" {
		lines = append(lines, "")
		for _, l := range wrap("✗ "+Safe(f.err), max(10, w-4), 2) {
			lines = append(lines, " "+st.Danger.Render(l))
		}
	}
	lines = append(lines, "")
	var about string
	switch {
	case f.verifime && f.simulated:
		about = "The simulator plays the customer: the tracking status goes Inactive, Active, Completed (phase 1, data entry); " +
			"a little later the signed RISK_ASSESSMENT_UPDATED webhook arrives (phase 2). 1 2 3 4 0 choose the risk level."
	case f.verifime:
		about = "Invites the customer with VerifiMe's API (no e-mail sent: open the invite URL yourself). " +
			"kycwatch polls the tracking status (phase 1) and waits for the risk assessment webhook (phase 2)."
	case f.simulated:
		about = "The simulator plays the end-user: started, then submitted, as signed webhooks to " +
			"kycwatch's own URL. Then " + keyList("a d r v e b") + " send the decision."
	default:
		about = "Creates a session in your Veriff integration (POST /v1/sessions). " +
			"Its URL opens the real flow; a test integration then waits for you to force a decision in the Customer Portal."
	}
	for _, l := range wrap(about, max(10, w-4), 0) {
		lines = append(lines, " "+st.Faint.Render(l))
	}
	lines = append(lines, "")
	for _, l := range wrap("enter creates (empty fields keep their defaults) · tab next field · esc cancels", max(10, w-4), 0) {
		lines = append(lines, " "+st.Faint.Render(l))
	}
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
	if t.Provider() == "verifime" {
		return m.inviteLines(s, w, h)
	}
	field("Created", t.CreatedAt.In(m.loc).Format("2006-01-02 15:04:05")+st.Faint.Render(" · "+t.SourceLabel()))
	field("Session", Safe(t.ID))
	field("vendorData", Safe(t.VendorData))
	field("endUserId", Safe(t.EndUserID))
	if t.URL != "" { // a URL has no spaces to wrap at: cut it evenly
		for i, l := range strings.Split(ansi.Hardwrap(Safe(m.liveURL(*t)), max(10, w-12), false), "\n") {
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
	switch {
	case t.Source == sessions.SourceSandbox:
		next = "Made through the sandbox API by your backend. The URL opens the end-user's page (c copies it, p shows it as a QR code): " +
			"start, add a photo, submit, then pick the outcome there, or here with " + keyList("a d r v e b") + ". Webhooks go where --sandbox-webhook says."
	case t.Simulated():
		next = "Simulated: nobody needs to open the URL. The simulator sends started, then submitted; " +
			"then a approve · d decline · r resubmission · v review · e expired · b abandoned."
	default:
		next = "Open the URL (c copies it, p shows it as a QR code for a phone) and go through the flow. " +
			"Veriff decides nothing in test integrations: in the Customer Portal, open Verifications, this session, and set a decision to get its webhook."
	}
	for _, l := range wrap(next, max(10, w-2), 0) {
		out = append(out, " "+l)
	}
	return m.withQR(out, m.liveURL(*t), w, h)
}

// withQR adds url's QR code under lines when it fits the pane.
func (m Model) withQR(out []string, url string, w, h int) []string {
	if url == "" {
		return out
	}
	if code, err := QR(url, m.dark); err == nil && len(out)+1+len(code) <= h-2 && ansi.StringWidth(code[0])+2 <= w {
		out = append(out, "")
		for _, l := range code {
			out = append(out, " "+l)
		}
		return out
	}
	return append(out, "", m.styles.Faint.Render(" p shows the URL as a QR code"))
}

// inviteLines describe a VerifiMe invite and its two phases.
func (m Model) inviteLines(s *sessions.Session, w, h int) []string {
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
		src = "VerifiMe API"
	}
	field("Invited", t.CreatedAt.In(m.loc).Format("2006-01-02 15:04:05")+st.Faint.Render(" · VerifiMe "+src))
	field("Reference", Safe(t.ID)+st.Faint.Render(" (referenceData: the webhook's metadata)"))
	field("Customer", m.pii(strings.TrimSpace(t.FirstName+" "+t.LastName)))
	field("Email", m.pii(t.Email))
	field("Tracking", Safe(t.Ref))
	if t.URL != "" {
		for i, l := range strings.Split(ansi.Hardwrap(Safe(m.liveURL(*t)), max(10, w-12), false), "\n") {
			label := ""
			if i == 0 {
				label = "Invite URL"
			}
			out = append(out, st.Label.Render(Pad(" "+label, 12))+st.Accent.Render(l))
		}
	}
	out = append(out, "")
	next := "Phase 1: the customer enters their details (tracking Inactive → Active → Completed). " +
		"Completed is not verified: phase 2, VerifiMe's checks, ends with the RISK_ASSESSMENT_UPDATED webhook 1–3 minutes later."
	if t.Simulated() {
		next += " Simulated: 1 LOW · 2 MEDIUM · 3 HIGH · 4 EXTREME · 0 NO RISK DETECTED choose the risk level."
	}
	for _, l := range wrap(next, max(10, w-2), 0) {
		out = append(out, " "+l)
	}
	return m.withQR(out, m.liveURL(*t), w, h)
}

// trackingLines describe one tracking status change.
func (m Model) trackingLines(s *sessions.Session, t *sessions.TrackingStep, w, h int) []string {
	st := m.styles
	var out []string
	field := func(label, value string) {
		if value != "" {
			out = append(out, wrap(st.Label.Render(Pad(" "+label, 12))+value, w, 12)...)
		}
	}
	field("Polled", t.At.In(m.loc).Format("2006-01-02 15:04:05")+st.Faint.Render(" · GET …/tracking/"+Safe(Short(s.Ref()))+"…/status"))
	if t.Status != "" {
		field("Status", st.Info.Render(Safe(t.Status)))
	} else {
		field("Status", st.Warning.Render("no status field in the answer: shown as it came"))
	}
	field("Answer", Safe(t.Raw))
	field("Reference", Safe(s.ID))
	out = append(out, "")
	var meaning string
	switch t.Status {
	case "Inactive":
		meaning = "The invite is not opened yet."
	case "Active":
		meaning = "The customer is entering their details (phase 1)."
	case "Completed":
		meaning = "Data entry is done: phase 1 is over. This is not a verification: the result is the RISK_ASSESSMENT_UPDATED webhook, " +
			"after VerifiMe's checks (phase 2, typically 1–3 minutes)."
	}
	for _, l := range wrap(meaning, max(10, w-2), 0) {
		out = append(out, " "+l)
	}
	if _, u := m.verificationURL(); u != "" {
		// The customer has not finished: their URL is still the point, so
		// it comes first, and its QR code last when it fits.
		var head []string
		for i, l := range strings.Split(ansi.Hardwrap(Safe(u), max(10, w-12), false), "\n") {
			label := ""
			if i == 0 {
				label = urlName(s)
			}
			head = append(head, st.Label.Render(Pad(" "+label, 12))+st.Accent.Render(l))
		}
		head = append(head, st.Label.Render(Pad("", 12))+st.Faint.Render("c copies · p QR code"))
		return m.withQR(append(head, out...), u, w, h)
	}
	return out
}

// waitLine says where a test session stands in the two phases both
// providers share: the end-user's part (phase 1), then the provider's
// verdict (phase 2). It is what the timeline's last row shows while the
// session waits.
func (m Model) waitLine(s *sessions.Session) string {
	if s.Test == nil {
		return ""
	}
	st := m.styles
	wait := ""
	if !s.Last.IsZero() && m.clock.Sub(s.Last) >= time.Second {
		wait = " " + shortDur(m.clock.Sub(s.Last))
	}
	sim := s.Test.Simulated()
	if s.Test.Provider() == "verifime" {
		switch s.State {
		case sessions.StateCreated, sessions.StateInvited:
			return st.Faint.Render("phase 1 · waiting for the customer to open the invite" + wait)
		case sessions.StateEntering:
			return st.Faint.Render("phase 1 · the customer is entering data" + wait)
		case sessions.StateEntered:
			line := st.Warning.Render("phase 1 done (data entry) · risk assessment pending" + wait)
			if sim {
				line += st.Faint.Render(" · " + keyList("1 2 3 4 0"))
			}
			return line
		case "pending", "preliminary":
			return st.Warning.Render("phase 2 · assessment " + Safe(s.State) + ", not final" + wait)
		}
		return ""
	}
	switch s.State {
	case sessions.StateCreated, sessions.StateStarted, sessions.StateResubmit:
		if returned(s) {
			break
		}
		if s.Test.Source == sessions.SourceSandbox {
			return st.Faint.Render("phase 1 · waiting for the end-user's page (or your backend's PATCH)" + wait)
		}
		if sim {
			return st.Faint.Render("phase 1 · the simulated end-user is on their way" + wait)
		}
		return st.Faint.Render("phase 1 · waiting for the end-user to open the URL" + wait)
	case sessions.StateSubmitted:
	default:
		return ""
	}
	if sim {
		return st.Warning.Render("phase 1 done · decision pending"+wait) + st.Faint.Render(" · "+keyList("a d r v e b"))
	}
	return st.Warning.Render("phase 1 done · decision pending"+wait) + st.Faint.Render(" · force it in the Customer Portal")
}

// phase1Pending reports whether a test session waits for the end-user (or
// the invited customer) to do their part: its URL is what matters then.
func phase1Pending(s *sessions.Session) bool {
	if s.Test == nil {
		return false
	}
	switch s.State {
	case sessions.StateCreated, sessions.StateInvited, sessions.StateEntering:
		return true
	case sessions.StateStarted, sessions.StateResubmit:
		return s.Test.Provider() != "verifime" && !returned(s)
	}
	return false
}

// returned reports whether the end-user came back through the callback.
func returned(s *sessions.Session) bool {
	for _, st := range s.Steps {
		if st.Delivery.Kind == decode.KindCallback {
			return true
		}
	}
	return false
}
