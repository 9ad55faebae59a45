package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

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

// formKey handles keys while the n or i form is open (the Form keys).
func (m Model) formKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	f := m.com.Keys.Form
	switch {
	case key.Matches(msg, f.Cancel):
		m.showForm = false
	case key.Matches(msg, f.Quit):
		return m, tea.Quit
	case key.Matches(msg, f.Next):
		m.form.move(1)
	case key.Matches(msg, f.Prev):
		m.form.move(-1)
	case key.Matches(msg, f.Submit):
		return m.submitForm()
	default:
		var cmd tea.Cmd
		m.form.inputs[m.form.focus], cmd = m.form.inputs[m.form.focus].Update(msg)
		return m, cmd
	}
	return m, nil
}

// submitForm checks the form, then creates the session or the invite in
// the background; the answer comes back as a createdMsg.
func (m Model) submitForm() (Model, tea.Cmd) {
	if i, err := m.form.check(); i >= 0 {
		// Keep everything typed; mark the field and say why, beside it.
		m.form.errField, m.form.err = i, err
		m.form.move(i - m.form.focus)
		return m, nil
	}
	m.form.errField, m.form.err, m.form.sent = -1, "", true
	m.showForm = false
	// What the Cmd sends is read now: the Cmd never reads the model.
	l := m.lab
	var create func(ctx context.Context) (sessions.Created, error)
	if m.form.verifime {
		inv := m.form.invite()
		create = func(ctx context.Context) (sessions.Created, error) { return l.Invite(ctx, inv) }
		m.say(noticeDone, "inviting…")
	} else {
		ns, sim := m.form.session(), m.form.simulated
		create = func(ctx context.Context) (sessions.Created, error) { return l.Create(ctx, ns, sim) }
		m.say(noticeDone, "creating a session…")
	}
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := create(ctx)
		return createdMsg{c: c, err: err}
	}
}

// formView fills the body with the n form.
func (m Model) formView(w, h int) string {
	st := m.com.Styles
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
			mark = st.Accent.Render(Glyph(MarkCursor) + " ")
		}
		if i == f.errField {
			mark = st.Marked(MarkFailed, "")
		}
		lines = append(lines, " "+mark+st.Label.Render(Pad(label, 12))+" "+in.View())
		if i == f.errField {
			for _, l := range wrap(Glyph(MarkFailed)+" "+f.labels[i]+" "+display.Safe(f.err), max(10, w-4-15), 2) {
				lines = append(lines, Pad("", 16)+st.Danger.Render(l))
			}
		}
	}
	if f.errField < 0 && f.err != "" {
		lines = append(lines, "")
		for _, l := range wrap(Glyph(MarkFailed)+" "+display.Safe(f.err), max(10, w-4), 2) {
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
			"kycwatch's own URL. Then " + keysOf(m.com.Keys.Lab.decisions()...) + " send the decision."
	default:
		about = "Creates a session in your Veriff integration (POST /v1/sessions). " +
			"Its URL opens the real flow; a test integration then waits for you to force a decision in the Customer Portal."
	}
	for _, l := range wrap(about, max(10, w-4), 0) {
		lines = append(lines, " "+st.Faint.Render(l))
	}
	lines = append(lines, "")
	fk := m.com.Keys.Form
	keys := keyOf(fk.Submit) + " creates (empty fields keep their defaults) · " + fk.Next.Keys()[0] + " next field · " + keyOf(fk.Cancel) + " cancels"
	for _, l := range wrap(keys, max(10, w-4), 0) {
		lines = append(lines, " "+st.Faint.Render(l))
	}
	return box(m.com.Styles, title, lines, w, h, true)
}
