package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
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
