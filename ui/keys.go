package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"

	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// KeyMap is every binding, in one place, grouped by when they apply; each
// pane's help shows the ones that act there.
//
// Keys that differ only by case do related things (n/N create, g/G go to
// an end, s/S send again). What deletes or forges has a key nobody hits by
// accident and a second step: ctrl+x asks before deleting the history,
// and ! opens the forgery menu.
type KeyMap struct {
	Nav     NavKeys
	App     AppKeys
	Confirm ConfirmKeys
	Form    FormKeys
	Lab     LabKeys
}

// NavKeys move the selection, scroll, and change panes.
type NavKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	NextPane, PrevPane, Open, Back          key.Binding
}

// AppKeys act on the screen, the URLs and the selected delivery or
// session.
type AppKeys struct {
	Filter, Follow, Help, Quit key.Binding
	NextURL, Copy, QR          key.Binding
	Replay, EditReplay         key.Binding
	Export, MaskPII, Clear     key.Binding
}

// ConfirmKeys answer a question the footer asks.
type ConfirmKeys struct {
	Yes, No, Cancel key.Binding
}

// FormKeys drive a text entry: the n and i forms, and the filter.
type FormKeys struct {
	Submit, Next, Prev, Cancel, Quit key.Binding
}

// LabKeys make test sessions and act on simulated ones.
type LabKeys struct {
	New, NewSim, Invite key.Binding
	// Decisions for a simulated Veriff session.
	Approve, Decline, Resubmit, Review, Expire, Abandon key.Binding
	// Forge opens the forgery menu; the three below act inside it.
	Forge, ForgeSignature, ForgeAPIKey, ForgeJSON key.Binding
	// Risk levels for a simulated VerifiMe session.
	RiskLow, RiskMedium, RiskHigh, RiskExtreme, RiskNone key.Binding
}

func bind(help string, keys ...string) key.Binding {
	shown := keys[0]
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(shown, help))
}

func bindAs(shown, help string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(shown, help))
}

func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav: NavKeys{
			Up:       bindAs("↑/k", "up", "up", "k"),
			Down:     bindAs("↓/j", "down", "down", "j"),
			PageUp:   bindAs("pgup", "page up", "pgup", "ctrl+u"),
			PageDown: bindAs("pgdn", "page down", "pgdown", "ctrl+d", "space"),
			Top:      bindAs("g", "first", "home", "g"),
			Bottom:   bindAs("G", "last", "end", "G"),
			NextPane: bind("next pane", "tab"),
			PrevPane: bind("prev pane", "shift+tab"),
			Open:     bind("open", "enter"),
			Back:     bind("back", "esc"),
		},
		App: AppKeys{
			Filter:     bind("filter", "/"),
			Follow:     bind("follow new", "f"),
			Help:       bind("help", "?"),
			Quit:       bind("quit", "q", "ctrl+c"),
			NextURL:    bind("next URL", "u"),
			Copy:       bind("copy URL", "c"),
			QR:         bind("QR code of URL", "p"),
			Replay:     bind("send again", "s"),
			EditReplay: bind("edit, send again", "S"),
			Export:     bind("export session", "X"),
			MaskPII:    bind("mask personal data", "M"),
			Clear:      bind("clear history (asks)", "ctrl+x"),
		},
		Confirm: ConfirmKeys{
			Yes:    bind("yes", "y"),
			No:     bind("no", "n"),
			Cancel: bind("cancel", "esc"),
		},
		Form: FormKeys{
			Submit: bind("create", "enter"),
			Next:   bindAs("tab/↑↓", "field", "tab", "down"),
			Prev:   bindAs("shift+tab", "previous field", "shift+tab", "up"),
			Cancel: bind("cancel", "esc"),
			Quit:   bind("quit", "ctrl+c"),
		},
		Lab: LabKeys{
			New:            bind("new session", "n"),
			NewSim:         bind("simulated session", "N"),
			Invite:         bind("VerifiMe invite", "i"),
			Approve:        bind("approve", "a"),
			Decline:        bind("decline", "d"),
			Resubmit:       bind("resubmission", "r"),
			Review:         bind("review", "v"),
			Expire:         bind("expired", "e"),
			Abandon:        bind("abandoned", "b"),
			Forge:          bind("forge a delivery…", "!"),
			ForgeSignature: bind("bad HMAC", "h"),
			ForgeAPIKey:    bind("wrong API key", "k"),
			ForgeJSON:      bind("invalid JSON", "j"),
			RiskLow:        bind(verifime.Low, "1"),
			RiskMedium:     bind(verifime.Medium, "2"),
			RiskHigh:       bind(verifime.High, "3"),
			RiskExtreme:    bind(verifime.Extreme, "4"),
			RiskNone:       bind(verifime.NoRisk, "0"),
		},
	}
}

// keyOf is a binding's key as help names it.
func keyOf(b key.Binding) string { return b.Help().Key }

// keysOf is bindings' keys as one run, "a d r v e b", joined with
// non-breaking spaces so that wrap keeps it on one line.
func keysOf(bs ...key.Binding) string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = keyOf(b)
	}
	return strings.Join(names, "\u00a0")
}

// hintsOf is "a approve · d decline": bindings named in text, keys styled
// with keyStyle.
func hintsOf(keyStyle lipgloss.Style, bs ...key.Binding) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = keyStyle.Render(keyOf(b)) + " " + b.Help().Desc
	}
	return strings.Join(parts, " · ")
}

// paneKeys is the help for one place: the short line and the full sheet.
type paneKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (p paneKeys) ShortHelp() []key.Binding  { return p.short }
func (p paneKeys) FullHelp() [][]key.Binding { return p.full }

// rowKind is what the selected row is, for the keys that act on it.
type rowKind int

const (
	rowNone      rowKind = iota // nothing selected, or a session from elsewhere
	rowSimVeriff                // a simulated Veriff session: decisions, forgeries
	rowSimVM                    // a simulated VerifiMe session: risk levels
)

// decisions and risks are the lab's keys for each kind of row.
func (l LabKeys) decisions() []key.Binding {
	return []key.Binding{l.Approve, l.Decline, l.Resubmit, l.Review, l.Expire, l.Abandon}
}

func (l LabKeys) risks() []key.Binding {
	return []key.Binding{l.RiskLow, l.RiskMedium, l.RiskHigh, l.RiskExtreme, l.RiskNone}
}

func (l LabKeys) forgeries() []key.Binding {
	return []key.Binding{l.ForgeSignature, l.ForgeAPIKey, l.ForgeJSON}
}

// forPane is the help for the focused pane and the selected row: lab keys
// only where a lab is offered, decisions and risk levels only for the
// simulated sessions they act on.
func (k KeyMap) forPane(f focus, row rowKind, lab bool) paneKeys {
	n, a := k.Nav, k.App
	nav := []key.Binding{n.Up, n.Down, n.PageUp, n.PageDown, n.Top, n.Bottom}
	panes := []key.Binding{n.NextPane, n.PrevPane, n.Open, n.Back}
	global := []key.Binding{a.Filter, a.Follow, a.Help, a.Quit}
	urls := []key.Binding{a.NextURL, a.Copy, a.QR}
	history := []key.Binding{a.Replay, a.EditReplay, a.Export, a.MaskPII, a.Clear}
	full := [][]key.Binding{nav, panes, urls, history, global}
	var labShort []key.Binding
	if lab {
		full = append(full, []key.Binding{k.Lab.New, k.Lab.NewSim, k.Lab.Invite, k.Lab.Forge})
		switch row {
		case rowSimVeriff:
			full = append(full, k.Lab.decisions())
			labShort = []key.Binding{k.Lab.Approve, k.Lab.Decline, k.Lab.Resubmit}
		case rowSimVM:
			full = append(full, k.Lab.risks())
			labShort = k.Lab.risks()[:3]
		}
	}
	// The short line leads with what this pane does, then help: at 80
	// columns the tail is cut, and ? shows everything.
	move := bindAs("↑↓", "move", "up", "down")
	pane := bindAs("tab", "pane", "tab")
	var short []key.Binding
	switch f {
	case focusSessions:
		short = []key.Binding{move, bindAs("enter", "timeline", "enter"), pane, a.Help}
		if lab {
			short = append(short, k.Lab.New)
		}
		short = append(short, a.Copy, a.Filter, a.Follow, a.QR, a.Quit)
	case focusTimeline:
		short = []key.Binding{move, bindAs("enter", "open delivery", "enter"), pane, a.Help}
		short = append(short, labShort...)
		short = append(short, a.Replay, n.Back, a.Copy, a.Follow, a.QR, a.Quit)
	default:
		short = []key.Binding{bindAs("↑↓/pgup/pgdn", "scroll", "up", "down"), bindAs("enter", "zoom", "enter"), pane, a.Help,
			a.Replay, a.EditReplay, n.Back, a.Copy, a.Quit}
	}
	return paneKeys{short: short, full: full}
}

// forFilter is the help while typing the filter.
func (k KeyMap) forFilter() paneKeys {
	keep, clear := bindAs("enter", "keep filter", "enter"), bindAs("esc", "clear", "esc")
	return paneKeys{short: []key.Binding{keep, clear}, full: [][]key.Binding{{keep, clear}}}
}

// forQR is the help while the QR code fills the screen.
func (k KeyMap) forQR() paneKeys {
	close := bindAs("esc", "close", "esc", "p")
	return paneKeys{short: []key.Binding{k.App.Copy, close, k.App.Quit}, full: [][]key.Binding{{k.App.Copy, close, k.App.Quit}}}
}

// forForm is the help while the n or i form is open.
func (k KeyMap) forForm() paneKeys {
	f := k.Form
	return paneKeys{short: []key.Binding{f.Submit, f.Next, f.Cancel}, full: [][]key.Binding{{f.Submit, f.Next, f.Cancel}}}
}

// decisionKeys are the simulated decisions, by status.
func (k KeyMap) decisionKeys() map[string]key.Binding {
	l := k.Lab
	return map[string]key.Binding{
		sessions.StateApproved: l.Approve, sessions.StateDeclined: l.Decline, sessions.StateResubmit: l.Resubmit,
		sessions.StateReview: l.Review, sessions.StateExpired: l.Expire, sessions.StateAbandoned: l.Abandon,
	}
}

// forgeryKeys are the security cases, inside the ! menu.
func (k KeyMap) forgeryKeys() map[sessions.Forgery]key.Binding {
	l := k.Lab
	return map[sessions.Forgery]key.Binding{
		sessions.BadSignature: l.ForgeSignature, sessions.WrongAPIKey: l.ForgeAPIKey, sessions.InvalidJSON: l.ForgeJSON,
	}
}

// riskKeys are the simulated VerifiMe risk levels.
func (k KeyMap) riskKeys() map[string]key.Binding {
	l := k.Lab
	return map[string]key.Binding{
		verifime.Low: l.RiskLow, verifime.Medium: l.RiskMedium, verifime.High: l.RiskHigh, verifime.Extreme: l.RiskExtreme, verifime.NoRisk: l.RiskNone,
	}
}
