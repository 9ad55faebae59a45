package ui

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/boombuler/barcode/qr"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/sessions"
)

// keyCmd presses one key and returns the model and the message its command
// produces (nil when it has none).
func keyCmd(t *testing.T, m Model, k string) (Model, tea.Msg) {
	t.Helper()
	r := []rune(k)
	msg := tea.KeyPressMsg{Code: r[0], Text: k}
	nm, cmd := m.Update(msg)
	if cmd == nil {
		return nm.(Model), nil
	}
	return nm.(Model), cmd()
}

func TestHeaderFollowsTheTunnel(t *testing.T) {
	m := newModel(t, 120, 40, nil)
	m = update(m, TunnelMsg{State: TunnelConnecting})
	out := ansi.Strip(screen(m))
	if !strings.Contains(out, "ngrok connecting…") || !strings.Contains(out, "http://127.0.0.1:8080/veriff/events") {
		t.Fatalf("connecting header:\n%s", out)
	}
	m = update(m, online)
	out = ansi.Strip(screen(m))
	for _, want := range []string{"● https://a1b2-203-0-113-5.ngrok-free.app", "Webhook events URL", "Webhook decisions URL",
		"Webhook URL for sessions statuses set in Station", "Webhook watchlist screening URL",
		online.URL + "/veriff/events", online.URL + "/veriff/decisions", online.URL + "/veriff/statuses", online.URL + "/veriff/watchlist"} {
		if !strings.Contains(out, want) {
			t.Errorf("online header lacks %q", want)
		}
	}
	m = update(m, TunnelMsg{State: TunnelReconnecting, URL: online.URL, Reason: "ngrok connection lost: EOF", Hint: "reconnecting"})
	if out = ansi.Strip(screen(m)); !strings.Contains(out, "◐ reconnecting") || !strings.Contains(out, "⚠ ngrok connection lost: EOF") {
		t.Errorf("reconnecting header:\n%s", out)
	}
	m = update(m, TunnelMsg{State: TunnelFailed, Reason: "no public URL: the tunnel closed", Hint: "restart"})
	out = ansi.Strip(screen(m))
	if !strings.Contains(out, "no public URL: the tunnel closed · restart") || strings.Contains(out, "https://") {
		t.Errorf("failed header still shows the public URL:\n%s", out)
	}
	if !strings.Contains(out, "http://127.0.0.1:8080/veriff/events") {
		t.Errorf("failed header does not fall back to the local URLs:\n%s", out)
	}
}

func TestTunnelReasonIsSanitised(t *testing.T) {
	m := newModel(t, 100, 30, nil)
	m = update(m, TunnelMsg{State: TunnelFailed, Reason: "no public URL: \x1b]52;c;ZXZpbA==\x07evil\x1b[2J", Hint: "\x9b31m"})
	out := screen(m)
	for _, bad := range []string{"\x1b]52", "\x1b[2J", "\u009b", "\x07"} {
		if strings.Contains(out, bad) {
			t.Errorf("control sequence %q reached the screen", bad)
		}
	}
	if !utf8.ValidString(out) {
		t.Error("invalid UTF-8 reached the screen")
	}
}

func TestCopyAndCycleURLs(t *testing.T) {
	m := update(newModel(t, 120, 40, demo(t)), online)
	m, msg := keyCmd(t, m, "c")
	if got := fmt.Sprint(msg); got != online.URL+"/veriff/events" {
		t.Fatalf("c put %q on the clipboard", got)
	}
	if !strings.Contains(ansi.Strip(screen(m)), "copied events URL "+online.URL+"/veriff/events (OSC 52)") {
		t.Errorf("no confirmation:\n%s", ansi.Strip(screen(m)))
	}
	m, _ = keyCmd(t, m, "u")
	if strings.Contains(ansi.Strip(screen(m)), "copied") {
		t.Error("the confirmation outlived the next key")
	}
	if !strings.Contains(ansi.Strip(screen(m)), "▸ Webhook decisions URL") {
		t.Errorf("u did not select the next URL:\n%s", ansi.Strip(screen(m)))
	}
	m, msg = keyCmd(t, m, "c")
	if got := fmt.Sprint(msg); got != online.URL+"/veriff/decisions" {
		t.Fatalf("c after u put %q", got)
	}
	for range 4 {
		m, _ = keyCmd(t, m, "u")
	}
	if _, msg = keyCmd(t, m, "c"); fmt.Sprint(msg) != online.URL+"/veriff/decisions" {
		t.Errorf("u does not wrap round: %v", msg)
	}
	// Without a tunnel the local URL is copied (for curl).
	local := newModel(t, 80, 24, nil)
	if _, msg = keyCmd(t, local, "c"); fmt.Sprint(msg) != "http://127.0.0.1:8080/veriff/events" {
		t.Errorf("local copy %v", msg)
	}
	// One line at 80x24: the selected URL, its field and its place.
	m = update(newModel(t, 80, 24, nil), online)
	m, _ = keyCmd(t, m, "u")
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "▸ decisions  "+online.URL+"/veriff/decisions  2/4") {
		t.Errorf("80x24 URL line:\n%s", out)
	}
}

func TestQRKey(t *testing.T) {
	m := update(newModel(t, 80, 24, demo(t)), online)
	m, _ = keyCmd(t, m, "p")
	out := ansi.Strip(screen(m))
	if !strings.Contains(out, "Public URL · scan with a phone") || !strings.Contains(out, "█▀") {
		t.Fatalf("no QR code:\n%s", out)
	}
	// c still copies while the code is up; esc closes it.
	if _, msg := keyCmd(t, m, "c"); fmt.Sprint(msg) != online.URL+"/veriff/events" {
		t.Errorf("copy under the QR code: %v", msg)
	}
	m = press(m, "esc")
	if strings.Contains(ansi.Strip(screen(m)), "scan with a phone") {
		t.Error("esc did not close the QR code")
	}
	// No public URL: say why instead of a useless code for 127.0.0.1.
	m = update(newModel(t, 80, 24, nil), TunnelMsg{State: TunnelFailed, Reason: "no public URL: no ngrok authtoken", Hint: "set NGROK_AUTHTOKEN"})
	m, _ = keyCmd(t, m, "p")
	out = ansi.Strip(screen(m))
	if !strings.Contains(out, "No public URL to show") || !strings.Contains(out, "set NGROK_AUTHTOKEN") || strings.Contains(out, "█▀") {
		t.Errorf("QR without a tunnel:\n%s", out)
	}
	// Too small a window: say how big it must be.
	m = update(update(newModel(t, 60, 16, nil), online), tea.WindowSizeMsg{Width: 60, Height: 16})
	m, _ = keyCmd(t, m, "p")
	if out = ansi.Strip(screen(m)); !strings.Contains(out, "enlarge the window") {
		t.Errorf("small window:\n%s", out)
	}
}

// TestQRMatchesTheCode reads the drawn half blocks back into modules and
// compares them with the encoder's, in both themes.
func TestQRMatchesTheCode(t *testing.T) {
	const text = "https://a1b2-203-0-113-5.ngrok-free.app"
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx()
	for _, dark := range []bool{true, false} {
		lines, err := QR(text, dark)
		if err != nil {
			t.Fatal(err)
		}
		size := n + 2*quietZone
		if len(lines) != (size+1)/2 || ansi.StringWidth(lines[0]) != size {
			t.Fatalf("%d lines of %d cells for %d modules", len(lines), ansi.StringWidth(lines[0]), size)
		}
		for y := 0; y < size; y++ {
			row := []rune(lines[y/2])
			for x := 0; x < size; x++ {
				c := row[x]
				var painted bool
				if y%2 == 0 {
					painted = c == '█' || c == '▀'
				} else {
					painted = c == '█' || c == '▄'
				}
				wantDark := false
				if cx, cy := x-quietZone, y-quietZone; cx >= 0 && cy >= 0 && cx < n && cy < n {
					r, _, _, _ := code.At(cx, cy).RGBA()
					wantDark = r < 0x8000
				}
				if painted != (wantDark != dark) {
					t.Fatalf("dark=%v: module (%d,%d) painted=%v, module dark=%v", dark, x, y, painted, wantDark)
				}
			}
		}
		// An ngrok URL fits an 80x24 screen with room for the frame.
		if len(lines) > 18 || ansi.StringWidth(lines[0]) > 76 {
			t.Errorf("too big for 80x24: %dx%d", ansi.StringWidth(lines[0]), len(lines))
		}
	}
}

func TestSandboxFieldsCopyWholeAndShowMasked(t *testing.T) {
	m := newModel(t, 120, 40, nil)
	m.info.Fields = append(m.info.Fields,
		Field{Name: "Sandbox API base URL (for your backend)", Short: "sandbox", Path: "/sandbox/v1"},
		Field{Name: "Sandbox API key (X-AUTH-CLIENT)", Short: "sandbox key", Value: "4ba0c6f0-3b53-4b80-a85d-204c233d3983"},
		Field{Name: "Sandbox shared secret", Short: "sandbox secret", Value: "sim-df15ebbadf806672047de5f8e2b2a84b", Secret: true})
	out := ansi.Strip(screen(m))
	if !strings.Contains(out, "http://127.0.0.1:8080/sandbox/v1") || !strings.Contains(out, "4ba0c6f0-3b53-4b80-a85d-204c233d3983") ||
		!strings.Contains(out, "sim-…a84b") || strings.Contains(out, "sim-df15ebbadf806672047de5f8e2b2a84b") {
		t.Fatalf("header:\n%s", out)
	}
	for range 6 {
		m, _ = keyCmd(t, m, "u")
	}
	m, msg := keyCmd(t, m, "c")
	if fmt.Sprint(msg) != "sim-df15ebbadf806672047de5f8e2b2a84b" {
		t.Fatalf("copied %v", msg)
	}
	if out = ansi.Strip(screen(m)); !strings.Contains(out, "copied sandbox secret sim-…a84b") || strings.Contains(out, "df15ebbadf8066") {
		t.Errorf("the secret shows whole:\n%s", out)
	}
	// A session made through the sandbox API appears on its own.
	m = update(m, TestSessionMsg(sessions.TestSession{ID: "49339f56-4bb2-4ba2-bdd4-2605813dbfe2", CreatedAt: t0, Source: sessions.SourceSandbox,
		VendorData: "backend-7", URL: "http://127.0.0.1:8080/sandbox/flow/49339f56-4bb2-4ba2-bdd4-2605813dbfe2"}))
	if out = ansi.Strip(screen(m)); !strings.Contains(out, "created · sandbox API") || !strings.Contains(out, "Made through the sandbox API") {
		t.Errorf("sandbox session:\n%s", out)
	}
}

// TestPagesKycwatchServesFollowItsAddress: a sandbox session made in an
// earlier run (another port, or another free ngrok URL) shows and copies
// its page at kycwatch's address of now; a real Veriff URL is kept.
func TestPagesKycwatchServesFollowItsAddress(t *testing.T) {
	m := newModel(t, 120, 40, nil)
	id := "49339f56-4bb2-4ba2-bdd4-2605813dbfe2"
	m = update(m, TestSessionMsg(sessions.TestSession{ID: id, CreatedAt: t0, Source: sessions.SourceSandbox,
		URL: "https://old-name.ngrok-free.app/sandbox/flow/" + id}))
	m = update(m, online)
	if _, u := m.verificationURL(); u != online.URL+"/sandbox/flow/"+id {
		t.Errorf("sandbox page at %q", u)
	}
	if out := ansi.Strip(screen(m)); strings.Contains(out, "old-name") {
		t.Errorf("the old address is shown:\n%s", out)
	}
	m = update(m, TunnelMsg{State: TunnelFailed, Reason: "no public URL: the tunnel closed"})
	if _, u := m.verificationURL(); u != "http://127.0.0.1:8080/sandbox/flow/"+id {
		t.Errorf("with the tunnel down, sandbox page at %q", u)
	}
	real := sessions.TestSession{ID: "r", Source: sessions.SourceVeriff, URL: "https://alchemy.veriff.com/v/eyJhbGci"}
	if u := m.liveURL(real); u != real.URL {
		t.Errorf("a Veriff URL was rewritten: %q", u)
	}
}
