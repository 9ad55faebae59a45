package ui

import (
	"charm.land/bubbles/v2/key"

	"github.com/kycwatch/kycwatch/sessions"
)

// KeyMap is every binding, in one place; each pane shows the ones it uses.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	NextPane, PrevPane, Open, Back          key.Binding
	Filter, Follow, Help, Quit              key.Binding
	NextURL, Copy, QR                       key.Binding
	Replay, EditReplay                      key.Binding
	Export, MaskPII, Clear                  key.Binding
	// Test sessions: create, decide (simulated), forge.
	New, NewSim                                         key.Binding
	Approve, Decline, Resubmit, Review, Expire, Abandon key.Binding
	ForgeSignature, ForgeAPIKey, ForgeJSON              key.Binding
	// VerifiMe: invite, then the simulated risk level.
	Invite                                               key.Binding
	RiskLow, RiskMedium, RiskHigh, RiskExtreme, RiskNone key.Binding
}

func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
		Top:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "first")),
		Bottom:     key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "last")),
		NextPane:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevPane:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "prev pane")),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Follow:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow new")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		NextURL:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "next URL")),
		Copy:       key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy URL")),
		QR:         key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "QR code of URL")),
		Replay:     key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "send again")),
		EditReplay: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "edit, send again")),
		Export:     key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "export session")),
		MaskPII:    key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "mask personal data")),
		Clear:      key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "clear history")),

		New:            key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new session")),
		NewSim:         key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "simulated session")),
		Approve:        key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve")),
		Decline:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "decline")),
		Resubmit:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "resubmission")),
		Review:         key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "review")),
		Expire:         key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "expired")),
		Abandon:        key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "abandoned")),
		ForgeSignature: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "bad HMAC")),
		ForgeAPIKey:    key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wrong API key")),
		ForgeJSON:      key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "invalid JSON")),
		Invite:         key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "VerifiMe invite")),
		RiskLow:        key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "LOW")),
		RiskMedium:     key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "MEDIUM")),
		RiskHigh:       key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "HIGH")),
		RiskExtreme:    key.NewBinding(key.WithKeys("4"), key.WithHelp("4", "EXTREME")),
		RiskNone:       key.NewBinding(key.WithKeys("0"), key.WithHelp("0", "NO RISK DETECTED")),
	}
}

// paneKeys is the help for one pane: the short line and the full sheet.
type paneKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (p paneKeys) ShortHelp() []key.Binding  { return p.short }
func (p paneKeys) FullHelp() [][]key.Binding { return p.full }

func (k KeyMap) forPane(f focus, filtering bool) paneKeys {
	if filtering {
		accept := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep filter"))
		clear := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear"))
		return paneKeys{short: []key.Binding{accept, clear}, full: [][]key.Binding{{accept, clear}}}
	}
	nav := []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
	panes := []key.Binding{k.NextPane, k.PrevPane, k.Open, k.Back}
	global := []key.Binding{k.Filter, k.Follow, k.Help, k.Quit}
	urls := []key.Binding{k.NextURL, k.Copy, k.QR, k.Replay, k.EditReplay, k.Export, k.MaskPII, k.Clear}
	lab := []key.Binding{k.New, k.NewSim, k.ForgeSignature, k.ForgeAPIKey, k.ForgeJSON}
	decide := []key.Binding{k.Approve, k.Decline, k.Resubmit, k.Review, k.Expire, k.Abandon}
	verifime := []key.Binding{k.Invite, k.RiskLow, k.RiskMedium, k.RiskHigh, k.RiskExtreme, k.RiskNone}
	full := [][]key.Binding{nav, panes, urls, global, lab, decide, verifime}
	// The short line leads with what this pane does, then help: at 80
	// columns the tail is cut, and ? shows everything.
	move := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", "move"))
	pane := key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "pane"))
	switch f {
	case focusSessions:
		open := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "timeline"))
		return paneKeys{short: []key.Binding{move, open, pane, k.Help, k.New, k.Copy, k.Filter, k.Follow, k.QR, k.Quit}, full: full}
	case focusTimeline:
		open := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open delivery"))
		return paneKeys{short: []key.Binding{move, open, pane, k.Help, k.Replay, k.New, k.Approve, k.Decline, k.Back, k.Copy, k.Follow, k.QR, k.Quit}, full: full}
	default:
		scroll := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓/pgup/pgdn", "scroll"))
		zoom := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "zoom"))
		return paneKeys{short: []key.Binding{scroll, zoom, pane, k.Help, k.Replay, k.EditReplay, k.Back, k.Copy, k.Quit}, full: full}
	}
}

// forQR is the help while the QR code fills the screen.
func (k KeyMap) forQR() paneKeys {
	close := key.NewBinding(key.WithKeys("esc", "p"), key.WithHelp("esc", "close"))
	return paneKeys{short: []key.Binding{k.Copy, close, k.Quit}, full: [][]key.Binding{{k.Copy, close, k.Quit}}}
}

// decisionKeys are the simulated decisions, by status.
func (k KeyMap) decisionKeys() map[string]key.Binding {
	return map[string]key.Binding{
		sessions.StateApproved: k.Approve, sessions.StateDeclined: k.Decline, sessions.StateResubmit: k.Resubmit,
		sessions.StateReview: k.Review, sessions.StateExpired: k.Expire, sessions.StateAbandoned: k.Abandon,
	}
}

// forgeryKeys are the security cases.
func (k KeyMap) forgeryKeys() map[sessions.Forgery]key.Binding {
	return map[sessions.Forgery]key.Binding{
		sessions.BadSignature: k.ForgeSignature, sessions.WrongAPIKey: k.ForgeAPIKey, sessions.InvalidJSON: k.ForgeJSON,
	}
}

// forForm is the help while the n form is open.
func (k KeyMap) forForm() paneKeys {
	create := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "create"))
	next := key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab/↑↓", "field"))
	cancel := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	return paneKeys{short: []key.Binding{create, next, cancel}, full: [][]key.Binding{{create, next, cancel}}}
}

// riskKeys are the simulated VerifiMe risk levels.
func (k KeyMap) riskKeys() map[string]key.Binding {
	return map[string]key.Binding{
		"LOW": k.RiskLow, "MEDIUM": k.RiskMedium, "HIGH": k.RiskHigh, "EXTREME": k.RiskExtreme, "NO RISK DETECTED": k.RiskNone,
	}
}
