// Package ui is kycwatch's Bubble Tea program: a header with the URLs to
// paste, and three panes (sessions, the selected session's timeline, the
// selected delivery's detail) that update live as deliveries arrive.
//
// Where things are:
//   - model.go: the root Model, which owns the data (the book of sessions,
//     the cache of bodies) and takes every message;
//   - common.go: Common, what the panes share (styles, keys, size, clock),
//     and the one helper for notices (say);
//   - sessionlist.go, timeline.go, detail.go: the panes, each with its own
//     selection and scrolling, SetSize, Update and View;
//   - layout.go: relayout, the one place sizes are computed, for drawing
//     and scrolling alike; View;
//   - keys.go: the KeyMap (navigation, app, confirm, form, lab) and the help
//     for the focused pane; input.go: what each key does;
//   - theme.go: the palette, the marks (glyphs) and the state styles;
//   - header.go, help.go, form.go, lab.go, labdetail.go, tunnel.go,
//     replay.go, paging.go, forward.go, body.go, text.go: the rest, by topic.
//
// No I/O in Update: whatever reads or writes runs in a tea.Cmd. Text from a
// request is hostile: it goes through display.Safe before it is styled.
package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/sessions"
)

type focus int

const (
	focusSessions focus = iota
	focusTimeline
	focusDetail
	paneCount
)

// DeliveriesMsg carries the deliveries stored since the last one, oldest
// first, as summaries (bodies load on demand) but for the newest, which may
// come whole (the feed reads it for the detail pane), and how many the
// store holds: the header's count is the store's.
type DeliveriesMsg struct {
	Records []sessions.Record
	Stored  int
}

// KeysMsg is what the receiver checks deliveries with now (the header shows
// it): the counts of secrets, the API key and kycwatch's own generated
// secret, masked.
type KeysMsg struct {
	Secrets   int    // Veriff shared secrets
	APIKey    string // masked
	Generated string // kycwatch's own secret (masked), when none was configured
	VerifiMe  int    // VerifiMe secrets
	// VerifiMeSim is the simulator's VerifiMe secret (masked), when
	// kycwatch checks VerifiMe deliveries with it (none was configured).
	VerifiMeSim string
}

// loadedMsg answers a request for a delivery's body and headers.
type loadedMsg struct {
	seq int64
	rec sessions.Record
	err error
}

type tickMsg time.Time

// ProblemMsg is a problem from a background task worth showing (e.g. a
// simulated delivery that did not get through).
type ProblemMsg string

// Loader fetches one delivery whole (headers and body) from the store.
type Loader func(ctx context.Context, seq int64) (sessions.Record, error)

// Info is what the header tells about this run.
type Info struct {
	LocalURL string    // where the listener answers
	Fields   []Field   // the webhook URL fields to paste, with our paths
	Tunnel   TunnelMsg // the tunnel's state at start
	Notes    []string  // e.g. "port 8080 is taken; …"
	DBPath   string    // shown with the full help (?)
	// Keys are what deliveries are checked with at start; KeysMsg tells
	// of changes.
	Keys KeysMsg
	// ExportDir is where X writes (--export-dir), shown with the help.
	ExportDir string
	// ForwardTo are the user's app URLs deliveries are sent on to.
	ForwardTo []string
	// Team is team mode's header line (sharing, publishing or following;
	// any token already hidden), "" when off.
	Team string
}

// Model is the root model. Only it returns a tea.View; the panes
// (sessionsPane, timelinePane, detailPane) draw strings, each with its own
// state, at the sizes relayout gives them.
type Model struct {
	com    *Common // styles, keys, size, clock: shared with the panes
	info   Info
	book   *sessions.Book
	load   Loader
	help   help.Model
	filter textinput.Model
	tick   bool // whether to run the clock (off in golden tests)

	focus     focus
	zoom      bool // detail fills the body
	showHelp  bool
	helpTop   int // the help's first line shown, when it does not fit
	filtering bool
	follow    bool // select new activity as it arrives

	list     sessionsPane
	ids      *idIndex // the book's session ids, for the list's id column
	timeline timelinePane
	detail   detailPane

	cache map[int64]sessions.Record // whole deliveries, bounded
	order []int64
	msg   notice // the footer's message, until the next key (say)

	tunnel TunnelMsg
	urlSel int  // the webhook URL c copies
	showQR bool // the public URL as a QR code fills the screen

	forwards map[int64][]sessions.Forward // by delivery seq

	pager        Pager
	stored       int   // deliveries in the database
	oldest       int64 // the oldest seq in the book
	loadingOlder bool
	// keepLive bounds the deliveries the book holds while new ones arrive
	// (0: no bound); older ones are dropped and load again on scrolling.
	keepLive int

	actions      Actions
	confirmClear bool // "delete everything?" is asked
	forging      bool // the forgery menu (!) is open

	search   Searcher
	searched string          // the text the hits are for
	hits     map[string]bool // sessions full-text search found for it
	hitsGen  int             // counts the hits given (visibleKey)
	visible  *visibleMemo    // the filtered list (shared by the model's copies)
	// searchLag says how many stored deliveries the index does not hold
	// yet (Store.SearchLag); searchBehind is that number when the hits
	// came, shown beside the filter, and while it is not 0 each batch of
	// deliveries searches again (searchAgain: one at a time).
	searchLag    func() int64
	searchBehind int64
	searchAgain  bool

	pendingEdit *editedMsg // an edited body waiting for "re-sign?"

	lab      Lab // test sessions; nil when not offered
	form     form
	showForm bool // the n form fills the body
}

const cacheSize = 256

// New builds the model from the history already stored (summaries, oldest
// first). load fetches bodies on demand.
func New(info Info, history []sessions.Record, load Loader) Model {
	com := newCommon()
	m := Model{
		com: com, info: info, book: sessions.NewBook(), load: load, visible: &visibleMemo{},
		help: help.New(), follow: true, tick: true, ids: newIDIndex(),
		cache: map[int64]sessions.Record{}, tunnel: info.Tunnel,
		list: sessionsPane{com: com}, timeline: timelinePane{com: com}, detail: detailPane{com: com, memo: &detailMemo{}},
	}
	m.filter = textinput.New()
	m.filter.Prompt = "/"
	m.filter.Placeholder = "text, kind:decision state:approved sig:invalid"
	m.setStyles(true)
	for _, r := range history {
		m.book.Add(summary(r))
		if m.oldest == 0 || r.Seq < m.oldest {
			m.oldest = r.Seq
		}
	}
	m.stored = len(history)
	m.selectNewest()
	return m
}

// WithLab offers test sessions from lab, and shows those created in
// earlier runs (oldest first).
func (m Model) WithLab(lab Lab, created []sessions.TestSession, tracking []sessions.TrackingStep) Model {
	m.lab = lab
	for _, t := range created {
		m.book.AddCreated(t)
	}
	for _, t := range tracking {
		m.book.AddTracking(t)
	}
	if len(created) > 0 {
		m.selectNewest()
	}
	return m
}

// Actions are the services some keys call out to; a nil one turns its
// keys off.
type Actions struct {
	Replay Replayer // s and S: send a delivery again
	Export Exporter // X: export the selected session
	Clear  Clearer  // ctrl+x: clear the history, after a confirmation
}

// WithActions gives those keys their services.
func (m Model) WithActions(a Actions) Model {
	m.actions = a
	return m
}

// WithClock fixes the clock and time zone (golden tests).
func (m Model) WithClock(now time.Time, loc *time.Location) Model {
	m.com.Clock, m.com.Loc, m.tick = now, loc, false
	return m
}

// WithHistory bounds how many deliveries the screen holds as new ones
// arrive (--history): older ones stay stored, and load on scrolling.
func (m Model) WithHistory(n int) Model {
	m.keepLive = n
	return m
}

func (m *Model) setStyles(dark bool) {
	m.com.Dark = dark
	m.com.Styles = NewStyles(dark)
	m.help.Styles = help.DefaultStyles(dark)
	m.filter.SetStyles(textinput.DefaultStyles(dark))
}

// summary drops the bytes from a record: the book keeps summaries, the
// cache keeps a bounded number of whole deliveries.
func summary(r sessions.Record) sessions.Record {
	r.Body, r.Header = nil, nil
	return r
}

func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.loadSelected()}
	if m.tick {
		cmds = append(cmds, tickCmd())
	}
	return tea.Batch(cmds...)
}

func tickCmd() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update handles one message, then lays the screen out again: whatever
// changed (the header's lines, the footer's message, the selection), the
// panes' sizes and scrolling follow from the one layout View draws with.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := m.update(msg)
	m.relayout()
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.com.Width, m.com.Height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
	case tickMsg:
		m.com.Clock = time.Time(msg)
		return m, tea.Batch(tickCmd(), m.searchAgainCmd()) // a flood over, the index catches up
	case DeliveriesMsg:
		m.receive(msg)
		return m, tea.Batch(m.loadSelected(), m.searchAgainCmd())
	case KeysMsg:
		m.info.Keys = msg
	case ProblemMsg:
		m.say(noticeProblem, string(msg))
	case TunnelMsg:
		m.tunnel = msg
	case ForwardMsg:
		m.addForward(sessions.Forward(msg))
		if m.detail.memo != nil && m.detail.memo.seq == msg.Seq {
			*m.detail.memo = detailMemo{} // the detail shows it: draw it again
		}
	case TestSessionMsg:
		m.followStep(m.book.AddCreated(sessions.TestSession(msg)))
	case TrackingMsg:
		m.followStep(m.book.AddTracking(sessions.TrackingStep(msg)))
	case loadedMsg:
		if msg.err != nil {
			m.say(noticeProblem, "could not load delivery #"+itoa(msg.seq)+": "+msg.err.Error())
			break
		}
		m.remember(msg.rec)
		m.detail.reset()
	case tea.PasteMsg:
		if m.filtering {
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(msg)
			m.afterFilterChange()
			return m, tea.Batch(cmd, m.searchCmd())
		}
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseWheelMsg:
		if m.showHelp { // the help covers the panes: the wheel scrolls it
			n, _ := m.com.navigate(msg, 1)
			m.scrollHelp(n)
			return m, nil
		}
		return m, m.navigate(msg)
	default:
		return m.answer(msg)
	}
	return m, nil
}

// answer takes the answers of the background work the keys started.
func (m Model) answer(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case createdMsg:
		m.created(msg)
	case exportedMsg:
		m.sayResult(msg.err, "could not export", "exported to "+exportedPaths(msg.paths))
	case searchedMsg:
		m.searchAgain = false
		if msg.text == parseFilter(m.filter.Value()).text {
			m.searched, m.hits, m.searchBehind = msg.text, msg.hits, msg.behind
			m.hitsGen++
			m.afterFilterChange()
		}
	case clearedMsg:
		m.cleared(msg)
	case olderMsg:
		m.older(msg)
	case replayedMsg:
		m.sayResult(msg.err, "could not send again", msg.done)
	case editFileMsg, editedMsg:
		return m.editFlow(msg)
	case labDoneMsg:
		failed := msg.done
		if strings.HasPrefix(msg.done, "sent ") {
			failed = "could not send"
		}
		m.sayResult(msg.err, failed, msg.done)
	}
	return m, nil
}

// following reports whether news may move the selection: f is on and no
// filter narrows the list.
func (m Model) following() bool {
	return m.follow && !m.filtering && m.filter.Value() == ""
}

// followStep selects a session's newest step when following: news that
// is not a delivery (a session made elsewhere, a tracking change).
func (m *Model) followStep(s *sessions.Session) {
	if m.following() && len(s.Steps) > 0 {
		m.show(s.ID, s.Steps[len(s.Steps)-1].Seq)
	}
}

// show selects session id and its step seq, the list scrolled to its top.
func (m *Model) show(id string, seq int64) {
	m.list.sel, m.list.has, m.list.top = id, true, 0
	m.timeline.Select(seq)
	m.detail.reset()
}

// receive folds new deliveries in and, when following, selects the newest.
func (m *Model) receive(msg DeliveriesMsg) {
	if len(msg.Records) == 0 {
		return
	}
	m.stored = msg.Stored
	if m.oldest == 0 {
		m.oldest = msg.Records[0].Seq
	}
	for _, r := range msg.Records {
		m.remember(r)
		m.book.Add(summary(r))
	}
	r := msg.Records[len(msg.Records)-1]
	m.evict(r.Seq)
	if m.following() {
		m.show(r.Delivery.SessionID, r.Seq)
	}
	if m.list.has && m.selected() == nil { // its deliveries were dropped
		m.selectNewest()
	}
}

// evict keeps the book within keepLive deliveries when news arrives (last
// is the newest seq): past a quarter more, the oldest go, and load again
// when the list is scrolled past its end.
func (m *Model) evict(last int64) {
	if m.keepLive <= 0 || m.book.Total <= m.keepLive+m.keepLive/4 {
		return
	}
	cut := last - int64(m.keepLive) + 1
	if cut <= m.oldest {
		return
	}
	m.book.Evict(cut)
	m.ids.stale = true
	m.oldest = cut
	for seq := range m.forwards {
		if seq < cut {
			delete(m.forwards, seq)
		}
	}
}

func (m *Model) remember(r sessions.Record) {
	if r.Body == nil && r.Header == nil {
		return
	}
	if _, ok := m.cache[r.Seq]; !ok {
		m.order = append(m.order, r.Seq)
		if len(m.order) > cacheSize {
			delete(m.cache, m.order[0])
			m.order = m.order[1:]
		}
	}
	m.cache[r.Seq] = r
}

// selectSession selects s and its newest step.
func (m *Model) selectSession(s *sessions.Session) {
	m.list.sel, m.list.has = s.ID, true
	var seq int64
	if n := len(s.Steps); n > 0 {
		seq = s.Steps[n-1].Seq
	}
	m.timeline.top = 0
	m.timeline.Select(seq)
	m.detail.reset()
}

func (m *Model) selectNewest() {
	m.list.has = false
	if list := m.visibleSessions(); len(list) > 0 {
		m.selectSession(list[0])
	}
	m.list.top = 0
}

// afterFilterChange keeps the selection inside the filtered list.
func (m *Model) afterFilterChange() {
	list := m.visibleSessions()
	m.list.SetList(list, true)
	if len(list) == 0 {
		return // the selection stays, unshown (selected is nil), for esc
	}
	if m.list.index() < 0 {
		m.selectSession(list[0])
	}
	m.list.top = 0
}

// selected is the selected session; none while a filter hides it, so that
// the timeline and the detail never show a session the list does not.
func (m Model) selected() *sessions.Session {
	if !m.list.has {
		return nil
	}
	if m.filter.Value() != "" && m.list.index() < 0 {
		return nil
	}
	return m.book.Get(m.list.sel)
}

// selectedStep is the selected step of the selected session, if any.
func (m Model) selectedStep() *sessions.Step {
	s := m.selected()
	if s == nil {
		return nil
	}
	for i := len(s.Steps) - 1; i >= 0; i-- {
		if s.Steps[i].Seq == m.timeline.sel {
			return &s.Steps[i]
		}
	}
	return nil
}

// loadSelected fetches the selected delivery's body when it is not cached.
// The fetch runs in a Cmd: no I/O in Update.
func (m Model) loadSelected() tea.Cmd {
	seq := m.timeline.sel
	if seq <= 0 || m.load == nil { // not a delivery: nothing to load
		return nil
	}
	if _, ok := m.cache[seq]; ok {
		return nil
	}
	load := m.load
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := load(ctx, seq)
		return loadedMsg{seq: seq, rec: r, err: err}
	}
}
