package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// fakeLab records what the UI asks of it.
type fakeLab struct {
	real      bool
	createErr error
	forms     []sessions.NewSession
	simulated []bool
	decided   []string
	targets   []sessions.Target
	forged    []sessions.Forgery
	invites   []sessions.InviteForm
	levels    []string
}

func (f *fakeLab) Real() bool { return f.real }

func (f *fakeLab) RealVerifiMe() bool { return false }

func (f *fakeLab) Invite(_ context.Context, in sessions.InviteForm) (sessions.Created, error) {
	f.invites = append(f.invites, in)
	return sessions.Created{Session: sessions.TestSession{ID: "kw-5f0c2a9b1d3e", CreatedAt: t0.Add(100 * time.Second), Source: sessions.SourceVerifiMeSim,
		VendorData: "kw-5f0c2a9b1d3e", FirstName: in.FirstName, LastName: in.FamilyName, Email: in.Email, Ref: "6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e",
		URL: "http://127.0.0.1:8080/simulator/verifime/invite/6f1c2a7e"}}, nil
}

func (f *fakeLab) Assess(_ context.Context, t sessions.Target, level string) error {
	f.levels, f.targets = append(f.levels, level), append(f.targets, t)
	return nil
}

func (f *fakeLab) Create(_ context.Context, n sessions.NewSession, sim bool) (sessions.Created, error) {
	f.forms, f.simulated = append(f.forms, n), append(f.simulated, sim)
	if f.createErr != nil {
		return sessions.Created{}, f.createErr
	}
	src := sessions.SourceSimulator
	if f.real && !sim {
		src = sessions.SourceVeriff
	}
	callback := ""
	if src == sessions.SourceVeriff {
		callback = "https://a1b2-203-0-113-5.ngrok-free.app/veriff/callback?ref=5f0c2a"
	}
	return sessions.Created{Session: sessions.TestSession{ID: "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7", CreatedAt: t0.Add(100 * time.Second),
		Source: src, VendorData: n.VendorData, URL: "https://alchemy.veriff.com/v/aea9ba6d", Callback: callback}}, nil
}

func (f *fakeLab) Decide(_ context.Context, t sessions.Target, status string) error {
	f.decided, f.targets = append(f.decided, status), append(f.targets, t)
	return nil
}

func (f *fakeLab) Forge(_ context.Context, t sessions.Target, kind sessions.Forgery) (int, error) {
	f.forged, f.targets = append(f.forged, kind), append(f.targets, t)
	return 401, nil
}

// run presses a key and feeds back the message its command makes.
func run(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		msg := keyMsg(k)
		typing := m.showForm && k != "enter" // the input's cursor blink: a timer
		nm, cmd := m.Update(msg)
		m = nm.(Model)
		if cmd != nil && !typing {
			if out := cmd(); out != nil {
				if _, ok := out.(tea.BatchMsg); !ok {
					m = update(m, out)
				}
			}
		}
	}
	return m
}

func labModel(t *testing.T, w, h int, lab *fakeLab) Model {
	m := newModel(t, w, h, nil)
	m.lab = lab
	return m
}

// TestEmptyStateOffersTestSessions: with nothing received yet, the
// sessions pane says how to make something happen without a provider.
func TestEmptyStateOffersTestSessions(t *testing.T) {
	m := labModel(t, 80, 24, &fakeLab{})
	out := ansi.Strip(screen(m))
	for _, want := range []string{"Waiting for deliveries", "Or press n for a simulated session,", "i for a VerifiMe invite."} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	if out := ansi.Strip(screen(newModel(t, 80, 24, nil))); strings.Contains(out, "Or press n") {
		t.Errorf("offered with no lab:\n%s", out)
	}
}

// What the app sends when the receiver starts checking with the
// simulator's keys (sessions.KeysChanged on the bus).
var (
	simulatorKeys = KeysMsg{Secrets: 1, APIKey: display.Mask("11111111-2222-3333-4444-555555555555"), Generated: display.Mask("sim-0123456789abcdef")}
	verifimeKeys  = KeysMsg{Secrets: 1, APIKey: display.Mask(keys.VeriffAPIKey), VerifiMe: 1, VerifiMeSim: display.Mask("sim-0123456789abcdef")}
)

func TestNewSimulatedSession(t *testing.T) {
	lab := &fakeLab{}
	m := labModel(t, 100, 30, lab)
	m = run(t, m, "n")
	if !m.showForm || !strings.Contains(ansi.Strip(screen(m)), "New test session · simulator") {
		t.Fatalf("no form:\n%s", ansi.Strip(screen(m)))
	}
	m = run(t, m, "d", "e", "m", "o", "tab", "A", "d", "a", "enter")
	m = update(m, simulatorKeys) // the receiver took the simulator's keys: the bus says so
	if len(lab.forms) != 1 || lab.forms[0] != (sessions.NewSession{VendorData: "demo", FirstName: "Ada"}) || !lab.simulated[0] {
		t.Fatalf("form sent %+v %v", lab.forms, lab.simulated)
	}
	out := ansi.Strip(screen(m))
	for _, want := range []string{"created simulated session aea9ba6d", "● session       created · simu",
		"https://alchemy.veriff.com/v/aea9ba6d", "secret si…ef (generated)", "phase 1 · the simulated end-user is on"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	// c and p act on the verification URL while the created step is selected.
	if _, msg := keyCmd(t, m, "c"); fmt.Sprint(msg) != "https://alchemy.veriff.com/v/aea9ba6d" {
		t.Errorf("c copied %v", msg)
	}
	if out := ansi.Strip(screen(run(t, m, "p"))); !strings.Contains(out, "Verification URL of aea9ba6d") {
		t.Errorf("p:\n%s", out)
	}
	// Deliveries arrive; then a decides it, with what kycwatch knows.
	m = update(m, DeliveriesMsg{Records: []sessions.Record{judged(1, 102*time.Second, []byte(`{"id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7","attemptId":"a1","feature":"selfid","code":7001,"action":"started","vendorData":"demo","endUserId":null}`), "sec", "/veriff/events")}})
	m = update(m, DeliveriesMsg{Records: []sessions.Record{judged(2, 106*time.Second, []byte(`{"id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7","attemptId":"a1","feature":"selfid","code":7002,"action":"submitted","vendorData":"demo","endUserId":null}`), "sec", "/veriff/events")}})
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "phase 1 done · decision pending") {
		t.Errorf("no wait line:\n%s", out)
	}
	m = run(t, m, "a")
	if len(lab.decided) != 1 || lab.decided[0] != sessions.StateApproved {
		t.Fatalf("decided %v", lab.decided)
	}
	tg := lab.targets[0]
	if tg.SessionID != "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7" || tg.AttemptID != "a1" || tg.VendorData != "demo" || !tg.Submitted.Equal(t0.Add(106*time.Second)) {
		t.Errorf("target %+v", tg)
	}
	if !strings.Contains(ansi.Strip(screen(m)), "sent approved for aea9ba6d") {
		t.Errorf("no confirmation:\n%s", ansi.Strip(screen(m)))
	}
	for k, want := range map[string]string{"d": sessions.StateDeclined, "r": sessions.StateResubmit, "v": sessions.StateReview, "e": sessions.StateExpired, "b": sessions.StateAbandoned} {
		m = run(t, m, k)
		if got := lab.decided[len(lab.decided)-1]; got != want {
			t.Errorf("%s sent %s", k, got)
		}
	}
	for k, want := range map[string]sessions.Forgery{"h": sessions.BadSignature, "k": sessions.WrongAPIKey, "j": sessions.InvalidJSON} {
		m = run(t, m, "!")
		if !strings.Contains(strings.Join(strings.Fields(screen(m)), " "), "Forge a delivery: h bad HMAC · k wrong API key · j invalid JSON · esc cancel") {
			t.Fatalf("! does not ask which forgery:\n%s", screen(m))
		}
		m = run(t, m, k)
		if got := lab.forged[len(lab.forged)-1]; got != want {
			t.Errorf("%s forged %s", k, got)
		}
	}
	if !strings.Contains(ansi.Strip(screen(m)), "kycwatch answered 401") {
		t.Errorf("forgery not confirmed")
	}
	// Any other key closes the menu, forging nothing; x, w and m forge nothing.
	n := len(lab.forged)
	if m = run(t, m, "!", "a", "x", "w", "m"); len(lab.forged) != n || m.forging {
		t.Errorf("forged %v after ! a x w m", lab.forged[n:])
	}
}

func TestRealSessionsAndRefusals(t *testing.T) {
	lab := &fakeLab{real: true}
	m := labModel(t, 100, 30, lab)
	m = run(t, m, "n")
	if !strings.Contains(ansi.Strip(screen(m)), "New test session · Veriff API") {
		t.Fatalf("form:\n%s", ansi.Strip(screen(m)))
	}
	m = run(t, m, "enter") // all defaults
	if lab.forms[0].VendorData == "" || lab.simulated[0] {
		t.Fatalf("defaults not used: %+v %v", lab.forms, lab.simulated)
	}
	out := ansi.Strip(screen(m))
	if !strings.Contains(out, "decides nothing in test integrations") || !strings.Contains(out, "Customer Portal") {
		t.Errorf("no word on forcing a decision:\n%s", out)
	}
	// A real session is not the simulator's to decide.
	m = run(t, m, "a")
	if len(lab.decided) != 0 || !strings.Contains(ansi.Strip(screen(m)), "force a decision in the Customer Portal") {
		t.Errorf("a on a real session: %v\n%s", lab.decided, ansi.Strip(screen(m)))
	}
	// N makes a simulated one even with credentials.
	m = run(t, m, "N", "enter")
	if !lab.simulated[1] {
		t.Error("N did not ask for a simulated session")
	}
	// Errors are shown plainly and the app goes on.
	lab.createErr = errors.New("Veriff answered 401 (code 1803): Integration not found; check VERIFF_API_KEY")
	m = run(t, m, "n", "enter")
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "could not create a session: Veriff answered 401 (code 1803)") {
		t.Errorf("error not shown:\n%s", out)
	}
	// esc cancels the form without creating anything.
	n := len(lab.forms)
	m = run(t, m, "n", "esc")
	if m.showForm || len(lab.forms) != n {
		t.Error("esc did not cancel")
	}
	// Decision keys on a session that came from elsewhere say why not.
	m = update(m, DeliveriesMsg{Records: []sessions.Record{delivery(t, 9, 110*time.Second, "veriff-event-7001-started.json", "sec", "/veriff/events")}})
	m = run(t, m, "a")
	if !strings.Contains(ansi.Strip(screen(m)), "did not come from kycwatch") {
		t.Errorf("a on a foreign session:\n%s", ansi.Strip(screen(m)))
	}
}

func TestLabGolden(t *testing.T) {
	lab := &fakeLab{}
	m := labModel(t, 80, 24, lab)
	golden.RequireEqual(t, checkSize(t, screen(run(t, m, "n")), 80, 24))
}

func TestLabGoldenCreated(t *testing.T) {
	lab := &fakeLab{real: true}
	m := update(labModel(t, 120, 40, lab), online)
	m = run(t, m, "n", "enter")
	m = update(m, simulatorKeys)
	golden.RequireEqual(t, checkSize(t, screen(m), 120, 40))
}

func TestVerifiMeInviteAndPhases(t *testing.T) {
	lab := &fakeLab{}
	m := labModel(t, 120, 40, lab)
	m = run(t, m, "i")
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "New VerifiMe session · simulator") || !strings.Contains(out, "family name") {
		t.Fatalf("no invite form:\n%s", out)
	}
	m = run(t, m, "enter") // defaults
	m = update(m, verifimeKeys)
	if len(lab.invites) != 1 || !strings.HasSuffix(lab.invites[0].Email, "@example.com") || lab.invites[0].FirstName != "Jane" || lab.invites[0].FamilyName != "Citizen" {
		t.Fatalf("invite %+v", lab.invites)
	}
	out := ansi.Strip(screen(m))
	for _, want := range []string{"created simulated VerifiMe session kw-5f0c2", "reference kw-5f0c2a9b1d3e", "Invite URL",
		"Completed is not verified", "phase 1 · waiting for the customer to open the invite", "VerifiMe secret si…ef (simulator's)"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	id := "kw-5f0c2a9b1d3e"
	at := t0.Add(100 * time.Second)
	for i, st := range []string{"Inactive", "Active", "Completed"} {
		m = update(m, TrackingMsg{SessionID: id, At: at.Add(time.Duration(i+1) * time.Second), Status: st, Raw: `{"status":"` + st + `"}`})
	}
	out = ansi.Strip(screen(m))
	for _, want := range []string{"tracking Inactive", "tracking Active", "tracking Completed data entry done",
		"phase 1 done (data entry) · risk assessment pending", "data entered"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("screen lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "This is not a verification") {
		t.Errorf("the Completed step does not say what it means:\n%s", out)
	}
	// An answer with no status field is shown raw, not guessed.
	m = update(m, TrackingMsg{SessionID: id, At: at.Add(5 * time.Second), Raw: `{"state":"Done"}`})
	if out = ansi.Strip(screen(m)); !strings.Contains(out, `? {"state":"Done"}`) {
		t.Errorf("raw answer:\n%s", out)
	}
	// Phase 2: PRELIMINARY is not final; the keys choose the level.
	pre := judged(1, 110*time.Second, []byte(`{"eventId":"e1","eventName":"RISK_ASSESSMENT_UPDATED","customerName":"Jane Citizen","assessmentStatus":"PRELIMINARY","riskLevel":null,"assessmentPortalUrl":"https://x","eventTimestamp":"2026-11-23T09:01:50Z","metadata":"kw-5f0c2a9b1d3e"}`), "", "/verifime")
	m = update(m, DeliveriesMsg{Records: []sessions.Record{pre}})
	if out = ansi.Strip(screen(m)); !strings.Contains(out, "preliminary not final") || !strings.Contains(out, "phase 2 · assessment preliminary, not final") {
		t.Errorf("preliminary:\n%s", out)
	}
	// VerifiMe sends no API key: the verdict does not speak of one.
	if !strings.Contains(out, "Verdict    · signature unchecked  ") || !strings.Contains(out, "Risk       no level yet · assessment PRELIMINARY") {
		t.Errorf("VerifiMe verdict:\n%s", out)
	}
	for k, want := range map[string]string{"1": "LOW", "2": "MEDIUM", "3": "HIGH", "4": "EXTREME", "0": "NO RISK DETECTED"} {
		m = run(t, m, k)
		if got := lab.levels[len(lab.levels)-1]; got != want || lab.targets[len(lab.targets)-1].SessionID != id {
			t.Errorf("%s sent %s", k, got)
		}
	}
	// Veriff keys say what to use instead.
	m = run(t, m, "a")
	if !strings.Contains(ansi.Strip(screen(m)), "1 LOW · 2 MEDIUM") {
		t.Errorf("a on a VerifiMe session:\n%s", ansi.Strip(screen(m)))
	}
}

func TestVerifiMeGolden(t *testing.T) {
	m := labModel(t, 80, 24, &fakeLab{})
	m = run(t, m, "i", "enter")
	m = update(m, verifimeKeys)
	for i, st := range []string{"Inactive", "Active", "Completed"} {
		m = update(m, TrackingMsg{SessionID: "kw-5f0c2a9b1d3e", At: t0.Add(time.Duration(101+i) * time.Second), Status: st, Raw: `{"status":"` + st + `"}`})
	}
	golden.RequireEqual(t, checkSize(t, screen(m), 80, 24))
}

// TestFormKeepsWhatWasTypedOnAMistake: an endUserId that is not a UUID
// keeps the form open with everything typed, the field marked and the
// error next to it; nothing is sent. Fixed, enter creates the session.
func TestFormKeepsWhatWasTypedOnAMistake(t *testing.T) {
	lab := &fakeLab{}
	m := labModel(t, 80, 24, lab)
	m = run(t, m, "n")
	m = typeText(t, m, "demo-1\tAda\tLovelace\tnot-a-uuid")
	m = run(t, m, "enter")
	if len(lab.forms) != 0 || !m.showForm {
		t.Fatalf("the form closed (sent %+v)", lab.forms)
	}
	out := checkSize(t, screen(m), 80, 24)
	for _, want := range []string{"demo-1", "Ada", "Lovelace", "not-a-uuid", "✗ endUserId must be a UUID"} {
		if !strings.Contains(out, want) {
			t.Errorf("form lacks %q:\n%s", want, out)
		}
	}
	golden.RequireEqual(t, out)
	for range len("not-a-uuid") {
		m = update(m, tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	m = typeText(t, m, "3f2a5c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b")
	m = run(t, m, "enter")
	if len(lab.forms) != 1 || lab.forms[0].EndUserID != "3f2a5c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b" || lab.forms[0].LastName != "Lovelace" || m.showForm {
		t.Fatalf("sent %+v, form shown %v", lab.forms, m.showForm)
	}
}

// TestFormReopensWhenTheCallFails: an error from the API (Veriff's 400)
// brings the form back with what was typed and the error in it.
func TestFormReopensWhenTheCallFails(t *testing.T) {
	lab := &fakeLab{createErr: fmt.Errorf("Veriff answered 400 (1102): mandatory parameters are missing")}
	m := labModel(t, 80, 24, lab)
	m = run(t, m, "n")
	m = typeText(t, m, "demo-2\tGrace")
	m = run(t, m, "enter")
	out := screen(m)
	if !m.showForm || !strings.Contains(out, "Grace") || !strings.Contains(out, "1102") {
		t.Fatalf("the form did not come back with the error:\n%s", out)
	}
}

// TestInviteFormRefusesABadEmail: the invite's email is checked before
// VerifiMe is called, in the form.
func TestInviteFormRefusesABadEmail(t *testing.T) {
	lab := &fakeLab{}
	m := labModel(t, 80, 24, lab)
	m = run(t, m, "i")
	m = typeText(t, m, "jane.example.com")
	m = run(t, m, "enter")
	if len(lab.invites) != 0 || !m.showForm || !strings.Contains(screen(m), "✗ email is not an email address") {
		t.Fatalf("sent %+v:\n%s", lab.invites, screen(m))
	}
}

// typeText types s into the form, a tab moving to the next field.
func typeText(t *testing.T, m Model, s string) Model {
	t.Helper()
	for _, r := range s {
		if r == '\t' {
			m = update(m, tea.KeyPressMsg{Code: tea.KeyTab})
			continue
		}
		m = update(m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return m
}

// TestInviteURLStaysWhilePhaseOneIsPending: follow mode selects the first
// tracking change a moment after the invite; its URL, QR code, c and p
// stay, on every step, until the customer has entered their data.
func TestInviteURLStaysWhilePhaseOneIsPending(t *testing.T) {
	lab := &fakeLab{}
	m := labModel(t, 80, 24, lab)
	m = run(t, m, "i", "enter")
	m = update(m, verifimeKeys)
	id, url := "kw-5f0c2a9b1d3e", "http://127.0.0.1:8080/simulator/verifime/invite/6f1c2a7e"
	m = update(m, TrackingMsg{SessionID: id, At: t0.Add(101 * time.Second), Status: "Inactive", Raw: `{"status":"Inactive"}`})
	if st := m.selectedStep(); st == nil || st.Tracking == nil {
		t.Fatalf("follow mode did not select the tracking change")
	}
	out := checkSize(t, screen(m), 80, 24)
	if !strings.Contains(out, "Invite URL "+url) {
		t.Errorf("the invite URL went:\n%s", out)
	}
	golden.RequireEqual(t, out)
	if big := screen(update(m, tea.WindowSizeMsg{Width: 200, Height: 50})); !strings.Contains(big, "Invite URL "+url) || !strings.Contains(big, "█") {
		t.Errorf("no invite URL and QR code at 200×50:\n%s", big)
	}
	if _, msg := keyCmd(t, m, "c"); fmt.Sprint(msg) != url {
		t.Errorf("c copied %v", msg)
	}
	if out := screen(run(t, m, "p")); !strings.Contains(out, "Invite URL of kw-5f0c2") {
		t.Errorf("p:\n%s", out)
	}
	m = update(m, TrackingMsg{SessionID: id, At: t0.Add(102 * time.Second), Status: "Active", Raw: `{"status":"Active"}`})
	if _, msg := keyCmd(t, m, "c"); fmt.Sprint(msg) != url {
		t.Errorf("c on Active copied %v", msg)
	}
	m = update(m, TrackingMsg{SessionID: id, At: t0.Add(103 * time.Second), Status: "Completed", Raw: `{"status":"Completed"}`})
	if _, msg := keyCmd(t, m, "c"); fmt.Sprint(msg) == url {
		t.Errorf("c still copies the invite URL once data entry is done")
	}
}
