package ui

import (
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// createdLines describe a session created from kycwatch, for the detail
// pane: its verification URL (and QR code when it fits), and what happens
// next.
func (m Model) createdLines(s *sessions.Session, w, h int) []string {
	st, k := m.com.Styles, m.com.Keys
	t := s.Test
	f := &fieldLines{st: st, w: w}
	field := f.add
	if t.Provider() == "verifime" {
		return m.inviteLines(s, w, h)
	}
	field("Created", t.CreatedAt.In(m.com.Loc).Format("2006-01-02 15:04:05")+st.Faint.Render(" · "+t.SourceLabel()))
	field("Session", display.Safe(t.ID))
	field("vendorData", display.Safe(t.VendorData))
	field("endUserId", display.Safe(t.EndUserID))
	if t.URL != "" { // a URL has no spaces to wrap at: cut it evenly
		f.url("URL", m.liveURL(*t))
	}
	switch {
	case t.Simulated():
	case t.Callback != "":
		field("Callback", display.Safe(t.Callback))
	default:
		field("Callback", st.Faint.Render("none sent: no tunnel, and Veriff accepts only HTTPS (the portal's default applies)"))
	}
	f.out = append(f.out, "")
	var next string
	switch {
	case t.Source == sessions.SourceSandbox:
		next = "Made through the sandbox API by your backend. The URL opens the end-user's page (" + m.urlKeys() + "): " +
			"start, add a photo, submit, then pick the outcome there, or here with " + keysOf(k.Lab.decisions()...) + ". Webhooks go where --sandbox-webhook says."
	case t.Simulated():
		next = "Simulated: nobody needs to open the URL. The simulator sends started, then submitted; " +
			"then " + hintsOf(lipgloss.NewStyle(), k.Lab.decisions()...) + "."
	default:
		next = "Open the URL (" + m.urlKeys() + " for a phone) and go through the flow. " +
			"Veriff decides nothing in test integrations: in the Customer Portal, open Verifications, this session, and set a decision to get its webhook."
	}
	f.prose(next)
	return m.withQR(f.out, m.liveURL(*t), w, h)
}

// withQR adds url's QR code under lines when it fits the pane.
func (m Model) withQR(out []string, url string, w, h int) []string {
	if url == "" {
		return out
	}
	if code, err := QR(url, m.com.Dark); err == nil && len(out)+1+len(code) <= h-2 && ansi.StringWidth(code[0])+2 <= w {
		out = append(out, "")
		for _, l := range code {
			out = append(out, " "+l)
		}
		return out
	}
	hint := " " + keyOf(m.com.Keys.App.QR) + " QR code"
	for _, l := range out {
		if strings.Contains(ansi.Strip(l), hint) { // already said, under the URL
			return out
		}
	}
	return append(out, "", m.com.Styles.Faint.Render(" "+keyOf(m.com.Keys.App.QR)+" shows the URL as a QR code"))
}

// inviteLines describe a VerifiMe invite and its two phases.
func (m Model) inviteLines(s *sessions.Session, w, h int) []string {
	st := m.com.Styles
	t := s.Test
	f := &fieldLines{st: st, w: w}
	field := f.add
	src := "simulator"
	if !t.Simulated() {
		src = "VerifiMe API"
	}
	field("Invited", t.CreatedAt.In(m.com.Loc).Format("2006-01-02 15:04:05")+st.Faint.Render(" · VerifiMe "+src))
	field("Reference", display.Safe(t.ID)+st.Faint.Render(" (referenceData: the webhook's metadata)"))
	field("Customer", m.pii(strings.TrimSpace(t.FirstName+" "+t.LastName)))
	field("Email", m.pii(t.Email))
	field("Tracking", display.Safe(t.Ref))
	if t.URL != "" {
		f.url("Invite URL", m.liveURL(*t))
	}
	f.out = append(f.out, "")
	next := "Phase 1: the customer enters their details (tracking Inactive → Active → Completed). " +
		"Completed is not verified: phase 2, VerifiMe's checks, ends with the RISK_ASSESSMENT_UPDATED webhook 1–3 minutes later."
	if t.Simulated() {
		next += " Simulated: " + hintsOf(lipgloss.NewStyle(), m.com.Keys.Lab.risks()...) + " choose the risk level."
	}
	f.prose(next)
	return m.withQR(f.out, m.liveURL(*t), w, h)
}

// trackingLines describe one tracking status change.
func (m Model) trackingLines(s *sessions.Session, t *sessions.TrackingStep, w, h int) []string {
	st := m.com.Styles
	f := &fieldLines{st: st, w: w}
	field := f.add
	field("Polled", t.At.In(m.com.Loc).Format("2006-01-02 15:04:05")+st.Faint.Render(" · GET …/tracking/"+display.Safe(display.ShortID(s.Ref()))+"…/status"))
	if t.Status != "" {
		field("Status", st.Info.Render(display.Safe(t.Status)))
	} else {
		field("Status", st.Warning.Render("no status field in the answer: shown as it came"))
	}
	field("Answer", display.Safe(t.Raw))
	field("Reference", display.Safe(s.ID))
	f.out = append(f.out, "")
	var meaning string
	switch t.Status {
	case verifime.Inactive:
		meaning = "The invite is not opened yet."
	case verifime.Active:
		meaning = "The customer is entering their details (phase 1)."
	case verifime.Completed:
		meaning = "Data entry is done: phase 1 is over. This is not a verification: the result is the RISK_ASSESSMENT_UPDATED webhook, " +
			"after VerifiMe's checks (phase 2, typically 1–3 minutes)."
	}
	f.prose(meaning)
	if _, u := m.verificationURL(); u != "" {
		// The customer has not finished: their URL is still the point, so
		// it comes first, and its QR code last when it fits.
		head := &fieldLines{st: st, w: w}
		head.url(urlName(s), u)
		head.add("", st.Faint.Render(keyOf(m.com.Keys.App.Copy)+" copies · "+keyOf(m.com.Keys.App.QR)+" QR code"))
		return m.withQR(append(head.out, f.out...), u, w, h)
	}
	return f.out
}

// waitLine says where a test session stands in the two phases both
// providers share: the end-user's part (phase 1), then the provider's
// verdict (phase 2). It is what the timeline's last row shows while the
// session waits.
func (m Model) waitLine(s *sessions.Session) string {
	if s == nil || s.Test == nil {
		return ""
	}
	st := m.com.Styles
	wait := ""
	if !s.Last.IsZero() && m.com.Clock.Sub(s.Last) >= time.Second {
		wait = " " + shortDur(m.com.Clock.Sub(s.Last))
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
				line += st.Faint.Render(" · " + keysOf(m.com.Keys.Lab.risks()...))
			}
			return line
		case sessions.StatePending, sessions.StatePreliminary:
			return st.Warning.Render("phase 2 · assessment " + display.Safe(s.State) + ", not final" + wait)
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
		return st.Warning.Render("phase 1 done · decision pending"+wait) + st.Faint.Render(" · "+keysOf(m.com.Keys.Lab.decisions()...))
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
