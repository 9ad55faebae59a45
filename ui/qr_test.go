package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/sessions"
)

// longInviteLab invites with a URL as long as the sandbox's.
type longInviteLab struct{ *fakeLab }

const longInvite = "http://127.0.0.1:18301/sandbox/verifime/invite/ad3c2009-912c-49f4-8a0b-3e2c1d0f9a8b"

func (f longInviteLab) Invite(ctx context.Context, in sessions.InviteForm) (sessions.Created, error) {
	c, err := f.fakeLab.Invite(ctx, in)
	c.Session.URL = longInvite
	return c, err
}

func inviteModel(t *testing.T, w, h int) Model {
	m := newModel(t, w, h, nil)
	m.lab = longInviteLab{&fakeLab{}}
	m = run(t, m, "i", "enter")
	return update(m, verifimeKeys)
}

// joined is the screen's text with the box borders and the margins gone,
// so a URL broken over lines reads whole again.
func joined(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		b.WriteString(strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "│")))
	}
	return b.String()
}

// TestQRTooSmallShowsTheURLWhole: at 80×24 the invite's QR code does not
// fit; the URL it would encode is shown whole instead, not cut with "…".
func TestQRTooSmallShowsTheURLWhole(t *testing.T) {
	m := inviteModel(t, 80, 24)
	url := "http://127.0.0.1:8080/sandbox/verifime/invite/ad3c2009-912c-49f4-8a0b-3e2c1d0f9a8b" // at the app's address
	out := checkSize(t, screen(run(t, m, "p")), 80, 24)
	if !strings.Contains(out, "The QR code needs") {
		t.Fatalf("the code fits at 80×24?\n%s", out)
	}
	if !strings.Contains(joined(out), url) || strings.Contains(out, "…") {
		t.Errorf("the URL is not whole:\n%s", out)
	}
}

// TestQRCaptionOfALocalURL: a phone cannot open 127.0.0.1: the caption
// says so, and how to get a public URL.
func TestQRCaptionOfALocalURL(t *testing.T) {
	m := inviteModel(t, 200, 50)
	out := checkSize(t, screen(run(t, m, "p")), 200, 50)
	if !strings.Contains(out, "█") {
		t.Fatalf("no QR code:\n%s", out)
	}
	if strings.Contains(out, "scan to open the verification flow on a phone") || !strings.Contains(out, "NGROK_AUTHTOKEN") {
		t.Errorf("the caption does not say a phone cannot open a local URL:\n%s", out)
	}
	// With the tunnel up the URL is public: the caption stays.
	m = update(m, online)
	m = update(m, tea.WindowSizeMsg{Width: 200, Height: 50})
	if out := screen(run(t, m, "p")); !strings.Contains(out, "scan to open the verification flow on a phone") {
		t.Errorf("public URL:\n%s", out)
	}
}

// TestCopyAndMaskWording: "URL" is an acronym; M lists everything it
// masks, emails and phone numbers too.
func TestCopyAndMaskWording(t *testing.T) {
	m := inviteModel(t, 120, 40)
	if out := screen(run(t, m, "c")); !strings.Contains(out, "copied the invite URL of kw-5f0c2") {
		t.Errorf("c:\n%s", out)
	}
	out := screen(run(t, m, "M"))
	for _, want := range []string{"emails", "phone numbers"} {
		if !strings.Contains(out, want) {
			t.Errorf("M does not say it masks %s:\n%s", want, out)
		}
	}
}
