package ui

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/providers/veriff"
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

// labCmd runs a lab call in the background, bounded, and reports it.
func labCmd(call func(ctx context.Context) (string, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done, err := call(ctx)
		return labDoneMsg{done: done, err: err}
	}
}

// created puts a new session in the book and selects its created step.
func (m *Model) created(msg createdMsg) {
	if msg.err != nil {
		m.say(noticeProblem, "could not create a session: "+msg.err.Error())
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
	var seq int64
	for _, st := range s.Steps {
		if st.Created != nil {
			seq = st.Seq
		}
	}
	m.show(ts.ID, seq)
	m.list.top = 0
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
	m.say(noticeDone, "created "+src+" session "+display.ShortID(ts.ID)+prefixed(" · ", msg.c.Note))
}

// simTarget is the selected session when the simulator may decide it.
func (m Model) simTarget() (sessions.Target, string) {
	if m.lab == nil {
		return sessions.Target{}, "test sessions are not available in this run"
	}
	s := m.selected()
	switch {
	case s == nil || s.Unsorted():
		return sessions.Target{}, "select a simulated session first (" + keyOf(m.com.Keys.Lab.New) + " creates one)"
	case s.Test == nil:
		return sessions.Target{}, "this session did not come from kycwatch: decisions keys act on simulated sessions (" + keyOf(m.com.Keys.Lab.New) + " creates one)"
	case s.Test.Provider() == "verifime":
		return sessions.Target{}, "a VerifiMe session: " + hintsOf(lipgloss.NewStyle(), m.com.Keys.Lab.risks()...) + " choose its risk level"
	case !s.Test.Simulated():
		return sessions.Target{}, "a Veriff test integration decides nothing by itself: force a decision in the Customer Portal (Verifications)"
	}
	t := sessions.Target{SessionID: s.ID, VendorData: s.VendorData, EndUserID: s.EndUserID, Created: s.First, Source: s.Test.Source}
	if n := len(s.Attempts); n > 0 {
		t.AttemptID = s.Attempts[n-1]
	}
	for _, st := range s.Steps {
		if st.Delivery.Kind == decode.KindEvent && st.Delivery.Code == veriff.CodeSubmitted && st.Accepted() {
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
		return sessions.Target{}, "risk levels act on simulated VerifiMe sessions (" + keyOf(m.com.Keys.Lab.Invite) + " creates one)"
	case !s.Test.Simulated():
		return sessions.Target{}, "VerifiMe assesses real invites itself: the webhook arrives when its back office is done"
	}
	return sessions.Target{SessionID: s.ID, VendorData: s.Test.FirstName + " " + s.Test.LastName, Created: s.First}, ""
}

// forgeryLabel is what the footer calls a forgery once sent.
func forgeryLabel(k sessions.Forgery) string {
	return cmp.Or(map[sessions.Forgery]string{sessions.BadSignature: "a mismatched HMAC", sessions.WrongAPIKey: "a wrong API key",
		sessions.InvalidJSON: "invalid JSON"}[k], string(k))
}

// rowKind is what the selected session is, for the lab's keys.
func (m Model) rowKind() rowKind {
	s := m.selected()
	if m.lab == nil || s == nil || s.Test == nil || !s.Test.Simulated() {
		return rowNone
	}
	if s.Test.Provider() == "verifime" {
		return rowSimVM
	}
	return rowSimVeriff
}

// labKey handles the keys that create sessions, decide them and open the
// forgery menu. ok is false when msg is none of them.
func (m Model) labKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	l := m.com.Keys.Lab
	isNew, sim := key.Matches(msg, l.New), key.Matches(msg, l.NewSim)
	invite, forge := key.Matches(msg, l.Invite), key.Matches(msg, l.Forge)
	if (isNew || sim || invite || forge) && m.lab == nil {
		m.say(noticeProblem, "test sessions are not available in this run")
		return m, nil, true
	}
	switch {
	case isNew || sim:
		m.form = newForm(m.com.Dark, sim || !m.lab.Real(), m.com.Clock)
		m.showForm = true
		return m, nil, true
	case invite:
		m.form = newInviteForm(m.com.Dark, !m.lab.RealVerifiMe(), m.com.Clock)
		m.showForm = true
		return m, nil, true
	case forge:
		m.forging = true
		return m, nil, true
	}
	for level, b := range m.com.Keys.riskKeys() {
		if key.Matches(msg, b) {
			return m.assess(level)
		}
	}
	for status, b := range m.com.Keys.decisionKeys() {
		if key.Matches(msg, b) {
			return m.decide(status)
		}
	}
	return m, nil, false
}

// assess sends a simulated risk level for the selected VerifiMe session.
func (m Model) assess(level string) (Model, tea.Cmd, bool) {
	t, err := m.verifimeTarget()
	if err != "" {
		m.say(noticeProblem, err)
		return m, nil, true
	}
	l := m.lab // the Cmd reads it, never the model
	return m, labCmd(func(ctx context.Context) (string, error) {
		return "sent risk level " + level + " for " + display.ShortID(t.SessionID), l.Assess(ctx, t, level)
	}), true
}

// decide sends a simulated decision for the selected Veriff session.
func (m Model) decide(status string) (Model, tea.Cmd, bool) {
	t, err := m.simTarget()
	if err != "" {
		m.say(noticeProblem, err)
		return m, nil, true
	}
	l := m.lab
	return m, labCmd(func(ctx context.Context) (string, error) {
		msg := "sent " + stateLabel(status) + " for " + display.ShortID(t.SessionID)
		if o, ok := l.(interface{ Overrides(sessions.Target) string }); ok { // a second decision: say so
			if note := o.Overrides(t); note != "" {
				msg += " (" + note + ")"
			}
		}
		return msg, l.Decide(ctx, t, status)
	}), true
}

// forgeKey answers the forgery menu (!): one of its keys sends that
// forgery, for the selected simulated session or a new one; any other
// key closes it.
func (m Model) forgeKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.forging = false
	for kind, b := range m.com.Keys.forgeryKeys() {
		if !key.Matches(msg, b) {
			continue
		}
		t, err := m.simTarget()
		if err != "" { // not a simulated session: forge for a new one
			t = sessions.Target{SessionID: sessions.NewUUID(), VendorData: "forged-demo"}
		}
		l := m.lab
		return m, labCmd(func(ctx context.Context) (string, error) {
			status, err := l.Forge(ctx, t, kind)
			return fmt.Sprintf("sent %s for %s: kycwatch answered %d", forgeryLabel(kind), display.ShortID(t.SessionID), status), err
		})
	}
	m.say(noticeDone, "nothing forged")
	return m, nil
}
