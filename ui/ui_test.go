package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

var keys = decode.Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"}

// delivery judges a fixture as the listener would, signed with secret.
func delivery(t testing.TB, seq int64, at time.Duration, file, secret, path string) sessions.Record {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("../testdata/payloads", file))
	if err != nil {
		body = []byte(file) // an inline body
	}
	return judged(seq, at, body, secret, path)
}

func judged(seq int64, at time.Duration, body []byte, secret, path string) sessions.Record {
	h := map[string][]string{"Content-Type": {"application/json"}, "X-Auth-Client": {keys.VeriffAPIKey},
		"Host": {"127.0.0.1:8080"}, "User-Agent": {"Veriff-Webhooks/1.0"}}
	if secret != "" {
		h["X-Hmac-Signature"] = []string{decode.Sign(secret, body)}
	}
	r := sessions.Judge(sessions.Incoming{ReceivedAt: t0.Add(at), Method: "POST", Path: path, Header: h,
		Body: body, BodySize: int64(len(body))}, keys)
	r.Seq = seq
	return r
}

// demo is a small history: a whole lifecycle, a retry, a forged delivery,
// a second session, and a delivery with no session.
func demo(t testing.TB) []sessions.Record {
	rs := []sessions.Record{
		delivery(t, 1, 0, "veriff-event-7001-started.json", "sec", "/veriff/events"),
		delivery(t, 2, 42*time.Second, "veriff-event-7002-submitted.json", "sec", "/veriff/events"),
		delivery(t, 3, 50*time.Second, "veriff-decision-declined.json", "wrong", "/veriff/decisions"),
		delivery(t, 4, 61*time.Second, "veriff-decision-review.json", "sec", "/veriff/decisions"),
		delivery(t, 5, 70*time.Second, "veriff-watchlist-camel.json", "sec", "/veriff/watchlist"),
		delivery(t, 6, 80*time.Second, "{not json", "sec", "/veriff/events"),
		delivery(t, 7, 90*time.Second, "veriff-decision-approved.json", "sec", "/veriff/decisions"),
	}
	// A retry of the submitted event, as Veriff redelivers.
	dup := delivery(t, 8, 95*time.Second, "veriff-event-7002-submitted.json", "sec", "/veriff/events")
	dup.DuplicateOf = 2
	return append(rs, dup)
}

func newModel(t testing.TB, w, h int, recs []sessions.Record) Model {
	info := Info{LocalURL: "http://127.0.0.1:8080", Fields: fields, Tunnel: TunnelMsg{State: TunnelOff},
		Keys: KeysMsg{Secrets: 1, APIKey: display.Mask(keys.VeriffAPIKey)}, DBPath: "/tmp/k.db"}
	m := New(info, nil, nil).WithClock(t0.Add(2*time.Minute), time.UTC)
	m = update(m, tea.WindowSizeMsg{Width: w, Height: h})
	for _, r := range recs {
		m = update(m, DeliveriesMsg{Records: []sessions.Record{r}})
	}
	return m
}

var online = TunnelMsg{State: TunnelOnline, URL: "https://a1b2-203-0-113-5.ngrok-free.app"}

var fields = []Field{
	{Name: "Webhook events URL", Short: "events", Path: "/veriff/events"},
	{Name: "Webhook decisions URL", Short: "decisions", Path: "/veriff/decisions"},
	{Name: "Webhook URL for sessions statuses set in Station", Short: "statuses", Path: "/veriff/statuses"},
	{Name: "Webhook watchlist screening URL", Short: "watchlist", Path: "/veriff/watchlist"},
}

func update(m Model, msg tea.Msg) Model {
	nm, _ := m.Update(msg)
	return nm.(Model)
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		m = update(m, keyMsg(k))
	}
	return m
}

// keyMsg is the key press tea sends for a key's name.
func keyMsg(k string) tea.KeyPressMsg {
	named := map[string]tea.KeyPressMsg{
		"enter": {Code: tea.KeyEnter}, "tab": {Code: tea.KeyTab}, "shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
		"esc": {Code: tea.KeyEscape}, "down": {Code: tea.KeyDown}, "up": {Code: tea.KeyUp},
		"pgdown": {Code: tea.KeyPgDown}, "pgup": {Code: tea.KeyPgUp}, "home": {Code: tea.KeyHome}, "end": {Code: tea.KeyEnd},
		"ctrl+x": {Code: 'x', Mod: tea.ModCtrl},
	}
	if msg, ok := named[k]; ok {
		return msg
	}
	return tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
}

func screen(m Model) string { return ansi.Strip(m.View().Content) }

func checkSize(t *testing.T, out string, w, h int) string {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide (max %d): %q", i, n, w, l)
		}
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := update(newModel(t, sz.w, sz.h, demo(t)), online)
			out := screen(m)
			checkSize(t, out, sz.w, sz.h)
			golden.RequireEqual(t, out)
		})
	}
	t.Run("empty_80x24", func(t *testing.T) {
		out := screen(newModel(t, 80, 24, nil))
		checkSize(t, out, 80, 24)
		golden.RequireEqual(t, out)
	})
	t.Run("connecting_80x24", func(t *testing.T) {
		m := update(newModel(t, 80, 24, demo(t)), TunnelMsg{State: TunnelConnecting})
		golden.RequireEqual(t, checkSize(t, screen(m), 80, 24))
	})
	t.Run("bad_token_80x24", func(t *testing.T) {
		m := update(newModel(t, 80, 24, demo(t)), TunnelMsg{State: TunnelFailed,
			Reason: "no public URL: ngrok rejected the authtoken (ERR_NGROK_107)",
			Hint:   "copy it again from dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN"})
		golden.RequireEqual(t, checkSize(t, screen(m), 80, 24))
	})
	t.Run("reconnecting_120x40", func(t *testing.T) {
		m := update(newModel(t, 120, 40, demo(t)), TunnelMsg{State: TunnelReconnecting, URL: online.URL,
			Reason: "ngrok connection lost: EOF", Hint: "reconnecting; the local listener still answers"})
		golden.RequireEqual(t, checkSize(t, screen(m), 120, 40))
	})
	t.Run("qr_80x24", func(t *testing.T) {
		m := press(update(newModel(t, 80, 24, demo(t)), online), "p")
		golden.RequireEqual(t, checkSize(t, screen(m), 80, 24))
	})
	t.Run("forged_zoomed_80x24", func(t *testing.T) {
		m := newModel(t, 80, 24, demo(t))
		// Sessions: the approved session is newest; its timeline has the forged decline.
		m = press(m, "down", "tab", "up", "enter")
		out := screen(m)
		checkSize(t, out, 80, 24)
		golden.RequireEqual(t, out)
	})
}

func TestFollowAndNavigation(t *testing.T) {
	m := newModel(t, 120, 40, demo(t))
	if m.list.sel != "12df6045-3846-3e45-946a-14fa6136d78b" && m.timeline.sel != 8 {
		t.Fatalf("follow: selected %q #%d", m.list.sel, m.timeline.sel)
	}
	// The retry (seq 8) of session f04bdb47 is newest: it is selected.
	if m.timeline.sel != 8 || m.list.sel != "f04bdb47-d3be-4b28-b028-a652feb060b5" {
		t.Fatalf("selected %q #%d", m.list.sel, m.timeline.sel)
	}
	// Moving by hand stops following: a new delivery does not steal focus.
	m = press(m, "down")
	sel := m.list.sel
	m = update(m, DeliveriesMsg{Records: []sessions.Record{delivery(t, 9, 100*time.Second, "veriff-fullauto.json", "sec", "/")}})
	if m.list.sel != sel || m.follow {
		t.Fatalf("paused selection moved to %q", m.list.sel)
	}
	if !strings.Contains(screen(m), "paused") {
		t.Fatal("paused state not shown")
	}
	// f follows again: newest session selected.
	m = press(m, "f")
	if m.list.sel != "0b10cb53-4f3b-48af-bd74-60b85354e51f" || m.timeline.sel != 9 {
		t.Fatalf("f: %q #%d", m.list.sel, m.timeline.sel)
	}
	// enter → timeline, enter → zoomed detail, esc back.
	m = press(m, "enter")
	if m.focus != focusTimeline {
		t.Fatal("enter did not open the timeline")
	}
	m = press(m, "enter")
	if m.focus != focusDetail || !m.zoom {
		t.Fatal("enter did not open the delivery")
	}
	m = press(m, "esc")
	if m.zoom || m.focus != focusTimeline {
		t.Fatal("esc did not go back")
	}
	m = press(m, "shift+tab", "shift+tab")
	if m.focus != focusDetail {
		t.Fatalf("shift+tab: focus %d", m.focus)
	}
	// Scrolling the detail does not change the selection.
	seq := m.timeline.sel
	m = press(m, "down", "down", "down")
	if m.timeline.sel != seq || m.detail.top != 3 {
		t.Fatalf("detail scroll: #%d top %d", m.timeline.sel, m.detail.top)
	}
}

func TestFilter(t *testing.T) {
	m := newModel(t, 120, 40, demo(t))
	m = press(m, "/", "u", "s", "e", "r", "-", "9")
	if got := m.visibleSessions(); len(got) != 1 || got[0].VendorData != "user-9" {
		t.Fatalf("filter: %d sessions", len(got))
	}
	if m.list.sel != "7a0d3e0b-2b8c-4d3f-a2b7-3e4f5a6b7c8d" {
		t.Fatalf("selection not in filtered list: %q", m.list.sel)
	}
	// q types into the filter rather than quitting.
	m = press(m, "q")
	if m.filter.Value() != "user-9q" {
		t.Fatalf("filter %q", m.filter.Value())
	}
	m = press(m, "esc")
	if m.filter.Value() != "" || len(m.visibleSessions()) != 5 {
		t.Fatal("esc did not clear the filter")
	}
}

func TestQuitKeys(t *testing.T) {
	m := newModel(t, 80, 24, nil)
	for _, k := range []tea.KeyPressMsg{{Code: 'q', Text: "q"}, {Code: 'c', Mod: tea.ModCtrl}} {
		_, cmd := m.Update(k)
		if cmd == nil {
			t.Fatalf("%v: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Fatalf("%v did not quit", k)
		}
	}
}

// TestHostileTextNeverReachesTheTerminal renders payloads full of escape
// sequences and checks the styled output has only the program's own SGR
// sequences: no clear-screen, no title change, no cursor moves, no bidi.
func TestHostileTextNeverReachesTheTerminal(t *testing.T) {
	bodies := []string{
		`{"id":"\u001b[2J\u001b[H","code":7001,"action":"started\u001b]0;pwned\u0007","vendorData":"\u202egnp.exe\u009b31m"}`,
		"{\"id\":\"x\x1b[31m\",\"code\":7001}", // raw ESC: invalid JSON, shown raw
		"\x1b]52;c;ZXZpbA==\x07\x1bP+q\x1b\\\r\n\xff\xfe",
		`{"verification":{"id":"s","status":"approved\u001b[5m","code":9001,"person":{"firstName":"\u001b[8m","lastName":"\u2066x\u2069"}}}`,
	}
	var recs []sessions.Record
	// A VerifiMe risk update: its level and status reach the sessions row.
	bodies = append(bodies, `{"eventId":"e\u009b2J","eventName":"RISK_ASSESSMENT_UPDATED","riskLevel":"LOW\u001b]0;x\u0007","assessmentStatus":"ASSESSED\u001b[2J",`+
		`"metadata":"kw-\u202eevil","customerName":"\u001b[8m","assessmentPortalUrl":"https://x/\u001b[5m"}`)
	for i, b := range bodies {
		r := judged(int64(i+1), time.Duration(i)*time.Second, []byte(b), "sec", "/veriff/\x1b[2Jevents")
		r.Header["X-Evil\x1b[2J"] = []string{"\x1b]0;title\x07"}
		recs = append(recs, r)
	}
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		m := newModel(t, sz[0], sz[1], recs)
		for i := 0; i < len(recs); i++ {
			for _, zoom := range []bool{false, true} {
				m.zoom = zoom
				out := m.View().Content
				if bad := foreignEscapes(out); bad != "" {
					t.Fatalf("foreign escape %q in output", bad)
				}
				for _, r := range []string{"\u202e", "\u2066", "\u009b", "\a", "\r"} {
					if strings.Contains(out, r) {
						t.Fatalf("raw %q reached the output", r)
					}
				}
			}
			m = press(m, "tab", "down", "shift+tab")
		}
	}
}

// foreignEscapes returns the first escape sequence in s that is not an SGR
// style (ESC [ … m), the only kind the UI writes itself.
func foreignEscapes(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			continue
		}
		if i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j < len(s) && s[j] == 'm' {
				i = j
				continue
			}
		}
		return s[i:min(len(s), i+8)]
	}
	return ""
}

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"a\x1b[2Jb":    "a␛[2Jb",
		"tab\there":    "tab    here",
		"nl\nx":        "nl␊x",
		"\u202eevil":   "<U+202E>evil",
		"c1\u009b31m":  "c1\\u009b31m",
		"bad\xffbyte":  "bad\\xffbyte",
		"del\x7f":      "del␡",
		"emoji 👩‍💻 ok": "emoji 👩‍💻 ok",
		"日本語":          "日本語",
	} {
		if got := display.Safe(in); got != want {
			t.Errorf("display.Safe(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Fit("日本語テキスト", 5); ansi.StringWidth(got) > 5 {
		t.Errorf("Fit by width: %q", got)
	}
}

// TestLongMessagesWrapWhole: an error or a question in the footer is read
// whole at 80 columns (it wraps, up to three lines, each line styled on
// its own), and the panes give up the rows.
func TestLongMessagesWrapWhole(t *testing.T) {
	m := newModel(t, 80, 24, demo(t))
	msg := "could not create a session: cannot resolve stationapi.veriff.com: no network, or a wrong VERIFF_API_URL"
	m = update(m, ProblemMsg(msg))
	out := m.View().Content
	plain := ansi.Strip(out)
	if !strings.Contains(strings.Join(strings.Fields(plain), " "), msg) {
		t.Fatalf("message cut:\n%s", plain)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines, want 24", len(lines))
	}
	last := lines[len(lines)-1]
	// The colour is set again before the text on the second line.
	if before, _, ok := strings.Cut(last, "VERIFF_API_URL"); !ok || !strings.Contains(before, "\x1b[3") {
		t.Errorf("the second line lost its style: %q", last)
	}
}
