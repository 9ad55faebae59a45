package ui

import (
	"fmt"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// sessionsPane is the list of sessions: which one is selected and which
// rows show. The root gives it the sessions the filter lets through.
type sessionsPane struct {
	com  *Common
	w, h int
	top  int    // the first row shown
	sel  string // the selected session's id ("" is the unsorted group)
	has  bool   // whether one is selected
	list []*sessions.Session
	// filterRow: the filter's line takes the first row.
	filterRow bool
	// ids measures the ids of list when it is the whole book (kept up
	// to date by the root); nil when a filter narrows it.
	ids *idIndex
}

// SetSize sets the pane's outer size (border included).
func (p *sessionsPane) SetSize(w, h int) {
	p.w, p.h = w, h
	p.clamp()
}

// SetList gives the pane the sessions to show, newest first.
func (p *sessionsPane) SetList(list []*sessions.Session, filterRow bool) {
	p.list, p.filterRow = list, filterRow
	p.clamp()
}

// rows is how many sessions fit: the border, the column header and the
// filter's line take the rest.
func (p sessionsPane) rows() int {
	r := p.h - 3
	if p.filterRow {
		r--
	}
	return r
}

// index is the selected session's row, -1 when it is not in the list.
func (p sessionsPane) index() int {
	if !p.has {
		return -1
	}
	for i, s := range p.list {
		if s.ID == p.sel {
			return i
		}
	}
	return -1
}

func (p *sessionsPane) clamp() { p.top = scrollTo(p.top, p.index(), p.rows(), len(p.list)) }

// selected is the selected session when it is in the list.
func (p sessionsPane) selected() *sessions.Session {
	if i := p.index(); i >= 0 {
		return p.list[i]
	}
	return nil
}

// Update moves the selection by a navigation key or the wheel. It returns
// the session newly selected, nil when nothing moved.
func (p *sessionsPane) Update(msg tea.Msg) *sessions.Session {
	n, ok := p.com.navigate(msg, max(1, p.rows()-1))
	if !ok || len(p.list) == 0 {
		return nil
	}
	s := p.list[clamp(p.index()+n, 0, len(p.list)-1)]
	if p.has && s.ID == p.sel {
		return nil
	}
	p.sel, p.has = s.ID, true
	p.clamp()
	return s
}

// View draws the list; filter is the filter's line (or ""), and empty is
// what to say when there is nothing to list.
func (p sessionsPane) View(focused bool, filter string, empty []string) string {
	st := p.com.Styles
	inner := p.w - 2
	var lines []string
	if filter != "" {
		lines = append(lines, filter)
	}
	title := fmt.Sprintf("Sessions %d", len(p.list))
	if len(p.list) == 0 {
		return box(st, title, append(lines, empty...), p.w, p.h, focused)
	}
	c := p.columns(inner)
	lines = append(lines, st.Faint.Render(Pad("  "+Pad("session", c.id)+" "+Pad("state", c.state)+" "+c.vendHead+"dlv last", inner)))
	sel := p.index()
	for i := p.top; i < len(p.list) && i < p.top+p.rows(); i++ {
		lines = append(lines, selectRow(st, p.row(p.list[i], c), inner, i == sel, focused))
	}
	return box(st, title, lines, p.w, p.h, focused)
}

// listColumns are the widths of the list's columns: mark, id, state,
// vendorData (flex), deliveries, last activity.
type listColumns struct {
	prefix        int // the runes of an id it takes to tell them apart
	id, state     int
	vend          int
	vendHead      string
	count, latest int
}

func (p sessionsPane) columns(inner int) listColumns {
	ids := p.ids
	if ids == nil {
		ids = newIDIndex()
		ids.rebuild(p.list)
	}
	c := listColumns{state: 12, count: 3, latest: 4, prefix: ids.prefixLen(), id: ids.width()}
	c.id = min(c.id, max(8, inner-24)) // vendorData gives way first
	rest := func() int { return inner - (2 + c.id + 1 + c.state + 1 + c.count + 1 + c.latest) }
	c.vend = rest()
	if c.vend < 8 { // narrow: a shorter state column buys room for vendorData
		c.state = 10
		c.vend = rest()
	}
	if c.vend >= 6 {
		c.vend-- // its separating space
		c.vendHead = Pad("vendorData", c.vend) + " "
	} else {
		c.vend = 0
	}
	return c
}

// cell is an id as its column shows it (not yet Safe): the prefix that
// tells it apart, or, with no room for that, its head (up to 8 runes, a
// UUID's first group) and its tail: ids that share a long prefix differ in
// the tail, and made-up ones often in both (a client number, then a
// counter).
func (c listColumns) cell(id string) string {
	shown := shownID(id, c.prefix)
	if utf8.RuneCountInString(shown) > c.id {
		r := []rune(display.ReadableID(id))
		head := min(8, c.id-5) // the tail keeps 4 at least
		return string(r[:head]) + "…" + string(r[len(r)-(c.id-1-head):])
	}
	return shown
}

// idOf is how the list names session s (the timeline's title says the
// same).
func (p sessionsPane) idOf(s *sessions.Session) string {
	return p.columns(p.w - 2).cell(s.ID)
}

func (p sessionsPane) row(s *sessions.Session, c listColumns) string {
	st := p.com.Styles
	mark := " "
	if s.Failed > 0 {
		mark = st.Mark(MarkAlert)
	}
	id := display.Safe(c.cell(s.ID))
	if s.Unsorted() {
		id = "unsorted"
	}
	stateCell := st.State(s.State).Render(Pad(stateLabel(s.State), c.state))
	if s.RiskLevel != "" {
		// The level is what matters: it keeps its room before the state.
		label := stateLabel(s.State) + " " + display.Safe(s.RiskLevel)
		if ansi.StringWidth(label) > c.state {
			label = display.Safe(s.RiskLevel)
		}
		stateCell = st.Risk(s.RiskLevel).Render(Pad(label, c.state))
	}
	vend := ""
	if c.vend > 0 {
		vend = Pad(display.Safe(s.VendorData), c.vend) + " "
	}
	return mark + " " + Pad(id, c.id) + " " + stateCell + " " + vend +
		fmt.Sprintf("%*d", c.count, deliveries(s)) + " " + Pad(ago(p.com.Clock, s.Last), c.latest)
}

// deliveries counts a session's deliveries, as the header does: not its
// created step nor its tracking changes.
func deliveries(s *sessions.Session) int {
	n := 0
	for _, st := range s.Steps {
		if st.Created == nil && st.Tracking == nil {
			n++
		}
	}
	return n
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if d := now.Sub(t); d >= time.Second {
		return shortDur(d)
	}
	return "now"
}
