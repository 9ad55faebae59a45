package ui

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// Theme is the semantic palette; Styles turns it into lipgloss styles in one
// place. Light and dark variants follow the terminal's background.
type Theme struct {
	Faint, Accent, Success, Warning, Danger, Info, Border color.Color
}

func NewTheme(dark bool) Theme {
	ld := lipgloss.LightDark(dark)
	return Theme{
		Faint:   ld(lipgloss.Color("#6e7781"), lipgloss.Color("#8b949e")),
		Accent:  ld(lipgloss.Color("#8250df"), lipgloss.Color("#bc8cff")),
		Success: ld(lipgloss.Color("#1a7f37"), lipgloss.Color("#3fb950")),
		Warning: ld(lipgloss.Color("#9a6700"), lipgloss.Color("#d29922")),
		Danger:  ld(lipgloss.Color("#cf222e"), lipgloss.Color("#f85149")),
		Info:    ld(lipgloss.Color("#0969da"), lipgloss.Color("#58a6ff")),
		Border:  ld(lipgloss.Color("#d0d7de"), lipgloss.Color("#30363d")),
	}
}

// Styles are every style the UI draws with.
type Styles struct {
	Theme
	Title, Bold, Faint, Accent, Success, Warning, Danger, Info lipgloss.Style
	Edge                                                       lipgloss.Style // unfocused pane border
	PaneTitle, PaneTitleFocused                                lipgloss.Style
	Selected, SelectedBlur                                     lipgloss.Style
	Label                                                      lipgloss.Style
	JSONKey, JSONString, JSONNumber, JSONLiteral, JSONPunct    lipgloss.Style
}

func NewStyles(dark bool) Styles {
	t := NewTheme(dark)
	s := lipgloss.NewStyle()
	return Styles{
		Theme:            t,
		Title:            s.Bold(true).Foreground(t.Accent),
		Bold:             s.Bold(true),
		Faint:            s.Foreground(t.Faint),
		Accent:           s.Foreground(t.Accent),
		Success:          s.Foreground(t.Success),
		Warning:          s.Foreground(t.Warning),
		Danger:           s.Foreground(t.Danger),
		Info:             s.Foreground(t.Info),
		Edge:             s.Foreground(t.Border),
		PaneTitle:        s.Foreground(t.Faint),
		PaneTitleFocused: s.Bold(true).Foreground(t.Accent),
		Selected:         s.Reverse(true),
		SelectedBlur:     s.Bold(true),
		Label:            s.Foreground(t.Faint),
		JSONKey:          s.Foreground(t.Info),
		JSONString:       s.Foreground(t.Success),
		JSONNumber:       s.Foreground(t.Warning),
		JSONLiteral:      s.Foreground(t.Accent),
		JSONPunct:        s.Foreground(t.Faint),
	}
}

// Mark is one of the glyphs the screens draw. Each has its one glyph and
// its one style, here: views ask for a mark, never write its glyph.
type Mark int

const (
	MarkValid        Mark = iota // ✓ a check passed, or something done
	MarkFailed                   // ✗ a check failed, or refused
	MarkMissing                  // ! a signature or API key missing
	MarkUnchecked                // · nothing to check with
	MarkRetry                    // ↻ a redelivery of the same body
	MarkAlert                    // ⚠ a session with a failed check, a warning
	MarkStep                     // ● a step that is not a delivery
	MarkOnline                   // ● kycwatch reachable (the tunnel up, or local)
	MarkReconnecting             // ◐ the tunnel reconnecting
	MarkConnecting               // ◌ the tunnel connecting
	MarkReturned                 // ↩ the end-user came back (callback)
	MarkCursor                   // ▸ the selected row or field
)

var glyphs = [...]string{
	MarkValid: "✓", MarkFailed: "✗", MarkMissing: "!", MarkUnchecked: "·", MarkRetry: "↻", MarkAlert: "⚠",
	MarkStep: "●", MarkOnline: "●", MarkReconnecting: "◐", MarkConnecting: "◌", MarkReturned: "↩", MarkCursor: "▸",
}

// Glyph is a mark's glyph, unstyled (for text that is styled as a whole).
func Glyph(k Mark) string { return glyphs[k] }

// MarkStyle is the style a mark is drawn in.
func (s Styles) MarkStyle(k Mark) lipgloss.Style {
	switch k {
	case MarkValid, MarkOnline:
		return s.Success
	case MarkFailed, MarkMissing:
		return s.Danger
	case MarkUnchecked:
		return s.Faint
	case MarkRetry, MarkStep, MarkReturned:
		return s.Info
	case MarkReconnecting, MarkConnecting:
		return s.Warning
	case MarkAlert: // a session whose delivery failed a check
		return s.Danger
	}
	return s.Accent
}

// Mark draws a mark in its style.
func (s Styles) Mark(k Mark) string { return s.MarkStyle(k).Render(glyphs[k]) }

// Marked draws a mark and text after it, both in the mark's style.
func (s Styles) Marked(k Mark, text string) string {
	return s.MarkStyle(k).Render(glyphs[k] + " " + text)
}

// Badge is a delivery's one-cell validity mark on the timeline.
func (s Styles) Badge(r sessions.Record) string {
	return s.Mark(badgeMark(r))
}

func badgeMark(r sessions.Record) Mark {
	v := r.Verdict
	switch {
	case v.Signature == decode.SigInvalid || v.APIKey == decode.KeyMismatch:
		return MarkFailed
	case v.Signature == decode.SigMissing || v.APIKey == decode.KeyMissing:
		return MarkMissing
	case r.Status != 200 && r.Delivery.Kind != decode.KindAPICall:
		return MarkFailed // refused (not JSON, too large): never ✓
	case v.Signature == decode.SigValid:
		return MarkValid
	}
	return MarkUnchecked
}

// SigMark and KeyMark mark one check each, for the detail's verdict.
func (s Styles) SigMark(sig decode.Signature) string {
	return s.Mark(checkMark(sig == decode.SigValid, sig == decode.SigInvalid, sig == decode.SigMissing))
}

func (s Styles) KeyMark(k decode.APIKey) string {
	return s.Mark(checkMark(k == decode.KeyMatch, k == decode.KeyMismatch, k == decode.KeyMissing))
}

func checkMark(passed, failed, missing bool) Mark {
	switch {
	case passed:
		return MarkValid
	case failed:
		return MarkFailed
	case missing:
		return MarkMissing
	}
	return MarkUnchecked
}

// State is the style of a session's or a delivery's state.
func (s Styles) State(state string) lipgloss.Style {
	switch state {
	case sessions.StateApproved, sessions.StateAssessed:
		return s.Success
	case sessions.StateDeclined:
		return s.Danger
	case sessions.StateResubmit, sessions.StateReview, sessions.StatePreliminary, sessions.StatePending, sessions.StateEntered:
		return s.Warning
	case sessions.StateExpired, sessions.StateAbandoned, sessions.StateCreated, sessions.StateInvited, "":
		return s.Faint
	}
	return s.Info
}

// Risk is the style of a VerifiMe risk level.
func (s Styles) Risk(level string) lipgloss.Style {
	switch strings.ToUpper(level) {
	case verifime.Low, verifime.NoRisk:
		return s.Success
	case verifime.Medium:
		return s.Warning
	case verifime.High, verifime.Extreme:
		return s.Danger
	}
	return s.Faint
}
