package ui

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// Tunnel states, as the listener reports them.
const (
	TunnelOff          = "off"
	TunnelConnecting   = "connecting"
	TunnelOnline       = "online"
	TunnelReconnecting = "reconnecting"
	TunnelFailed       = "failed"
)

// TunnelMsg is the public tunnel's state (via Program.Send).
type TunnelMsg struct {
	State  string
	URL    string // public base URL when online or reconnecting
	Reason string // why there is no public URL, plainly
	Hint   string // what to do about it
}

// Field is a webhook URL field of the Veriff Customer Portal and the path
// kycwatch suggests for it.
type Field struct {
	Name  string // as the portal labels it
	Short string // for narrow screens
	Path  string
	// Value, when set, is copied instead of a URL: the sandbox's API key
	// and secret. Secret ones are shown masked, and copied whole.
	Value  string
	Secret bool
}

// text is what the field copies.
func (f Field) text(base string) string {
	if f.Value != "" {
		return f.Value
	}
	return base + f.Path
}

// shown is what the header prints for it.
func (f Field) shown(base string) string {
	if f.Secret {
		return display.Mask(f.Value)
	}
	return f.text(base)
}

// base is the URL the webhook URLs hang off: the public one when there is
// one, else the local listener.
func (m Model) base() (url string, public bool) {
	if t := m.tunnel; t.URL != "" && (t.State == TunnelOnline || t.State == TunnelReconnecting) {
		return strings.TrimRight(t.URL, "/"), true
	}
	return m.info.LocalURL, false
}

// selectedURL is the webhook URL `c` copies and its field.
func (m Model) selectedURL() (Field, string) {
	if len(m.info.Fields) == 0 {
		b, _ := m.base()
		return Field{Name: "URL", Short: "URL"}, b
	}
	f := m.info.Fields[m.urlSel%len(m.info.Fields)]
	b, _ := m.base()
	return f, f.text(b)
}

// tunnelSummary is the first header line's left part: where kycwatch can be
// reached.
func (m Model) tunnelSummary(w int) string {
	st := m.com.Styles
	t := m.tunnel
	local := m.info.LocalURL
	var s string
	switch t.State {
	case TunnelOnline:
		s = st.Mark(MarkOnline) + " " + st.Bold.Render(display.Safe(t.URL)) + st.Faint.Render("  local "+local)
	case TunnelReconnecting:
		s = st.Marked(MarkReconnecting, "reconnecting ") + display.Safe(t.URL) + st.Faint.Render("  local "+local)
	case TunnelConnecting:
		s = st.Marked(MarkConnecting, "ngrok connecting…") + st.Faint.Render("  local ") + st.Bold.Render(local)
	case TunnelOff:
		s = st.Mark(MarkOnline) + " " + st.Bold.Render(local) + st.Faint.Render("  local only (--no-tunnel)")
	default:
		s = st.Mark(MarkOnline) + " " + st.Bold.Render(local) + st.Warning.Render("  no public URL")
	}
	if ansi.StringWidth(s) > w { // drop the local address first
		switch t.State {
		case TunnelOnline:
			s = st.Mark(MarkOnline) + " " + st.Bold.Render(display.Safe(t.URL))
		case TunnelReconnecting:
			s = st.Marked(MarkReconnecting, "reconnecting ") + display.Safe(t.URL)
		case TunnelOff:
			s = st.Mark(MarkOnline) + " " + st.Bold.Render(local) + st.Faint.Render("  local only")
		}
	}
	return ansi.Truncate(s, w, "…")
}

// tunnelNote is the warning under the header when there is no public URL,
// wrapped to at most two lines.
func (m Model) tunnelNote(w int) []string {
	t := m.tunnel
	if t.Reason == "" || (t.State != TunnelFailed && t.State != TunnelReconnecting) {
		return nil
	}
	text := display.Safe(t.Reason)
	if t.Hint != "" {
		text += " · " + display.Safe(t.Hint)
	}
	lines := wrap(Glyph(MarkAlert)+" "+text, max(10, w-2), 2)
	if len(lines) > 2 {
		lines = lines[:2]
		lines[1] = Fit(lines[1], max(10, w-2)-1) + "…"
	}
	for i := range lines {
		lines[i] = m.com.Styles.Warning.Render(lines[i])
	}
	return lines
}

// urlLines are the webhook URLs to paste: all four when the screen has the
// rows, else the selected one (u cycles).
func (m Model) urlLines(w int) []string {
	st, a := m.com.Styles, m.com.Keys.App
	fields := m.info.Fields
	if len(fields) == 0 {
		return nil
	}
	base, public := m.base()
	longest := 0
	for _, f := range fields {
		longest = max(longest, ansi.StringWidth(f.Name))
	}
	urlW := ansi.StringWidth(base) + len("/veriff/decisions")
	name := func(f Field) string { return f.Name }
	labelW := longest
	if 2+labelW+2+urlW > w-2 {
		name = func(f Field) string { return f.Short }
		labelW = 0
		for _, f := range fields {
			labelW = max(labelW, ansi.StringWidth(f.Short))
		}
	}
	hint := m.urlHint(public)
	if m.com.Height < 30 {
		labelW = 0 // one line: no column to align
	}
	row := func(i int) string {
		f := fields[i]
		mark := "  "
		label := st.Label.Render(name(f))
		if labelW > 0 {
			label = st.Label.Render(Pad(name(f), labelW))
		}
		u := display.Safe(f.shown(base))
		if i == m.urlSel%len(fields) {
			mark = st.Accent.Render(Glyph(MarkCursor) + " ")
			u = st.Accent.Render(u)
		}
		return mark + label + "  " + u
	}
	var lines []string
	if m.com.Height >= 30 {
		for i := range fields {
			lines = append(lines, row(i))
		}
	} else {
		i := m.urlSel % len(fields)
		lines = append(lines, row(i)+st.Faint.Render(fmt.Sprintf("  %d/%d", i+1, len(fields))))
		if public {
			hint = hintsOf(lipgloss.NewStyle(), withHelp(a.NextURL, "next"), withHelp(a.Copy, "copy"))
		}
	}
	// The hint goes at the end of the first line, when it fits (the header
	// puts it beside the legend otherwise).
	if gap := w - 2 - ansi.StringWidth(lines[0]) - ansi.StringWidth(hint); gap >= 2 {
		lines[0] += strings.Repeat(" ", gap) + st.Faint.Render(hint)
	}
	for i := range lines {
		lines[i] = ansi.Truncate(lines[i], w-1, "…")
	}
	return lines
}

// urlHint says what the URL keys do, or that Veriff cannot reach a local URL.
func (m Model) urlHint(public bool) string {
	if !public {
		return "local only: Veriff cannot reach these"
	}
	a := m.com.Keys.App
	return hintsOf(lipgloss.NewStyle(), withHelp(a.NextURL, "next"), withHelp(a.Copy, "copy"), withHelp(a.QR, "QR"))
}

// urlKeys says which keys act on a test session's URL.
func (m Model) urlKeys() string {
	a := m.com.Keys.App
	return keyOf(a.Copy) + " copies it, " + keyOf(a.QR) + " shows it as a QR code"
}

// copySelected puts the selected URL on the clipboard through the terminal
// (OSC 52), which works over SSH too.
func (m *Model) copySelected() tea.Cmd {
	if s, u := m.verificationURL(); u != "" {
		m.say(noticeDone, "copied the "+strings.ToLower(strings.TrimSuffix(urlName(s), " URL"))+" URL of "+display.ShortID(s.ID)+" (OSC 52)")
		return tea.SetClipboard(u)
	}
	f, u := m.selectedURL()
	shown := u
	if f.Secret {
		shown = display.Mask(u)
	}
	m.say(noticeDone, "copied "+f.Short+" "+shown+" (OSC 52)")
	if f.Value == "" {
		m.say(noticeDone, "copied "+f.Short+" URL "+u+" (OSC 52)")
	}
	return tea.SetClipboard(u)
}

// verificationURL is the URL of the selected test session when its
// created step is selected, or any of its steps while the end-user has
// not done their part (phase 1): then c and p act on it rather than on
// the webhook URLs.
func (m Model) verificationURL() (*sessions.Session, string) {
	st, s := m.selectedStep(), m.selected()
	if st == nil || s == nil || s.Test == nil || s.Test.URL == "" {
		return nil, ""
	}
	if st.Created != nil || phase1Pending(s) {
		return s, m.liveURL(*s.Test)
	}
	return nil, ""
}

// urlName is what a test session's URL is called: VerifiMe invites.
func urlName(s *sessions.Session) string {
	if s.Test != nil && s.Test.Provider() == "verifime" {
		return "Invite URL"
	}
	return "Verification URL"
}

// liveURL is where a test session's page is now. kycwatch serves the
// simulator's and the sandbox's pages itself, so their address follows
// kycwatch's (a free ngrok URL changes with every run); any other URL (a
// real Veriff session) is kept as it was given.
func (m Model) liveURL(t sessions.TestSession) string {
	u, err := url.Parse(t.URL)
	if err != nil || !t.Simulated() || !(strings.HasPrefix(u.Path, "/simulator/") || strings.HasPrefix(u.Path, "/sandbox/")) {
		return t.URL
	}
	base, _ := m.base()
	if base == "" {
		return t.URL
	}
	return base + u.RequestURI()
}

// qrView fills the body with the public URL as a QR code, to open on a
// phone, or says why there is none.
func (m Model) qrView(w, h int) string {
	st := m.com.Styles
	t := m.tunnel
	var lines []string
	title := "Public URL"
	target := t.URL
	if s, u := m.verificationURL(); u != "" {
		title, target = urlName(s)+" of "+display.Safe(display.ShortID(s.ID)), u
	} else if t.URL == "" || (t.State != TunnelOnline && t.State != TunnelReconnecting) {
		lines = append(lines, "", st.Warning.Render(" No public URL to show."))
		switch t.State {
		case TunnelConnecting:
			lines = append(lines, " ngrok is connecting; try again in a moment.")
		case TunnelOff:
			lines = append(lines, " The tunnel is off (--no-tunnel).")
		default:
			for _, l := range wrap(display.Safe(strings.TrimPrefix(t.Reason, "no public URL: ")+" · "+t.Hint), max(10, w-4), 0) {
				lines = append(lines, " "+l)
			}
		}
		lines = append(lines, "", st.Faint.Render(" esc closes"))
		return box(m.com.Styles, title, lines, w, h, true)
	}
	code, err := QR(target, m.com.Dark)
	if err != nil {
		lines = append(lines, " "+st.Danger.Render("cannot draw a QR code: "+err.Error()))
		return box(m.com.Styles, title, lines, w, h, true)
	}
	codeW := ansi.StringWidth(code[0])
	shown := wrap(display.Safe(target), max(10, w-4), 0) // whole, broken after a "/" if need be
	if codeW+2 > w || len(code)+2+len(shown) > h {
		lines = append(lines, "")
		for _, l := range wrap(fmt.Sprintf("The QR code needs %d×%d cells: enlarge the window.", codeW+2, len(code)+4), max(10, w-4), 0) {
			lines = append(lines, " "+st.Warning.Render(l))
		}
		// The URL whole, broken after a "/" if need be: read it, or c
		// copies it.
		for _, l := range shown {
			lines = append(lines, " "+l)
		}
		lines = append(lines, "", st.Faint.Render(" "+keyOf(m.com.Keys.App.Copy)+" copies it · esc closes"))
		return box(m.com.Styles, title, lines, w, h, true)
	}
	pad := strings.Repeat(" ", max(0, (w-2-codeW)/2))
	for range max(0, (h-2-len(code)-len(shown)-2)/2) { // centre it when there is room
		lines = append(lines, "")
	}
	for _, l := range shown {
		lines = append(lines, lipgloss.PlaceHorizontal(w-2, lipgloss.Center, st.Bold.Render(l)))
	}
	for _, l := range code {
		lines = append(lines, pad+l)
	}
	if len(lines)+1 <= h-2 {
		hint := "scan to open kycwatch's page through the tunnel · esc closes"
		if title != "Public URL" {
			hint = "scan to open the verification flow on a phone · esc closes"
		}
		style := st.Faint
		if isLocalURL(target) {
			// A phone resolves 127.0.0.1 to itself: the code is of no use
			// there until the URL is public.
			hint, style = "a phone cannot open "+hostOf(target)+" (this computer only): set NGROK_AUTHTOKEN for a public URL · esc closes", st.Warning
		}
		for _, l := range wrap(hint, max(10, w-4), 0) {
			if len(lines) < h-2 {
				lines = append(lines, lipgloss.PlaceHorizontal(w-2, lipgloss.Center, style.Render(l)))
			}
		}
	}
	return box(m.com.Styles, title+" · scan with a phone", lines, w, h, true)
}

// isLocalURL reports a URL only this computer can open (loopback or
// localhost), which a phone scanning its QR code cannot.
func isLocalURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return display.Safe(p.Hostname())
	}
	return "it"
}
