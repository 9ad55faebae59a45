// Package ui is kycwatch's Bubble Tea program: a header with the URLs to
// paste, and three panes (sessions, the selected session's timeline, the
// selected delivery's detail) that update live as deliveries arrive.
package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/sahilm/fuzzy"

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
// first, as summaries (bodies load on demand), and how many the store
// holds: the header's count is the store's.
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

// Model is the root model. Only it returns a tea.View; panes render strings.
type Model struct {
	info   Info
	book   *sessions.Book
	load   Loader
	keys   KeyMap
	styles Styles
	dark   bool
	help   help.Model
	filter textinput.Model

	width, height int
	clock         time.Time
	loc           *time.Location
	tick          bool // whether to run the clock (off in golden tests)

	focus     focus
	zoom      bool // detail fills the body
	showHelp  bool
	helpTop   int // the help's first line shown, when it does not fit
	filtering bool
	follow    bool // select new activity as it arrives

	selSession string // session id ("" is the unsorted group)
	hasSel     bool
	selSeq     int64 // selected delivery on the timeline
	sessTop    int   // first visible row of each list
	stepTop    int

	detail detailPane
	cache  map[int64]sessions.Record // whole deliveries, bounded
	order  []int64
	status string // last error worth showing, e.g. a failed load
	notice string // a confirmation (e.g. copied), until the next key

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

	clearer      Clearer
	confirmClear bool // "delete everything?" is asked

	search   Searcher
	searched string          // the text the hits are for
	hits     map[string]bool // sessions full-text search found for it

	replayer    Replayer
	exporter    Exporter
	maskPII     bool       // personal data hidden on screen
	pendingEdit *editedMsg // an edited body waiting for "re-sign?"

	lab      Lab // test sessions; nil when not offered
	form     form
	showForm bool // the n form fills the body
}

const cacheSize = 256

// New builds the model from the history already stored (summaries, oldest
// first). load fetches bodies on demand.
func New(info Info, history []sessions.Record, load Loader) Model {
	m := Model{
		info: info, book: sessions.NewBook(), load: load, keys: DefaultKeyMap(),
		dark: true, help: help.New(), follow: true, tick: true,
		loc: time.Local, clock: time.Now(), cache: map[int64]sessions.Record{},
		detail: detailPane{memo: &detailMemo{}}, tunnel: info.Tunnel,
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

// WithClock fixes the clock and time zone (golden tests).
func (m Model) WithClock(now time.Time, loc *time.Location) Model {
	m.clock, m.loc, m.tick = now, loc, false
	return m
}

func (m *Model) setStyles(dark bool) {
	m.dark = dark
	m.styles = NewStyles(dark)
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

func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.clampScroll()
		return m, nil
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
		return m, nil
	case tickMsg:
		m.clock = time.Time(msg)
		return m, tickCmd()
	case DeliveriesMsg:
		m.receive(msg)
		return m, m.loadSelected()
	case KeysMsg:
		m.info.Keys = msg
		return m, nil
	case ProblemMsg:
		m.status = string(msg)
		return m, nil
	case createdMsg:
		m.created(msg)
		return m, nil
	case exportedMsg:
		if msg.err != nil {
			m.status = "could not export: " + msg.err.Error()
		} else {
			m.notice = "exported to " + exportedPaths(msg.paths)
		}
		return m, nil
	case searchedMsg:
		if msg.text == parseFilter(m.filter.Value()).text {
			m.searched, m.hits = msg.text, msg.hits
			m.afterFilterChange()
		}
		return m, nil
	case clearedMsg:
		m.cleared(msg)
		return m, nil
	case olderMsg:
		m.older(msg)
		return m, nil
	case replayedMsg:
		if msg.err != nil {
			m.status = "could not send again: " + msg.err.Error()
		} else {
			m.notice = msg.done
		}
		return m, nil
	case editFileMsg, editedMsg:
		return m.editFlow(msg)
	case ForwardMsg:
		m.addForward(sessions.Forward(msg))
		if m.detail.memo != nil && m.detail.memo.seq == msg.Seq {
			*m.detail.memo = detailMemo{} // the detail shows it: draw it again
		}
		return m, nil
	case TestSessionMsg:
		m.followStep(m.book.AddCreated(sessions.TestSession(msg)))
		return m, nil
	case TrackingMsg:
		m.followStep(m.book.AddTracking(sessions.TrackingStep(msg)))
		return m, nil
	case labDoneMsg:
		if msg.err != nil {
			m.status = msg.done + ": " + msg.err.Error()
			if strings.HasPrefix(msg.done, "sent ") {
				m.status = "could not send: " + msg.err.Error()
			}
		} else {
			m.notice = msg.done
		}
		return m, nil
	case TunnelMsg:
		m.tunnel = msg
		m.clampScroll() // the header may have grown or shrunk
		return m, nil
	case loadedMsg:
		if msg.err != nil {
			m.status = "could not load delivery #" + itoa(msg.seq) + ": " + msg.err.Error()
			return m, nil
		}
		m.remember(msg.rec)
		m.detail.reset()
		return m, nil
	case tea.PasteMsg:
		if m.filtering {
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(msg)
			m.afterFilterChange()
			return m, cmd
		}
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseWheelMsg:
		if msg.Mouse().Button == tea.MouseWheelUp {
			m.move(-1)
		} else {
			m.move(1)
		}
		return m, m.loadSelected()
	}
	return m, nil
}

// followStep selects a session's newest step when following: news that
// is not a delivery (a session made elsewhere, a tracking change).
func (m *Model) followStep(s *sessions.Session) {
	if m.follow && !m.filtering && m.filter.Value() == "" && len(s.Steps) > 0 {
		m.selSession, m.hasSel = s.ID, true
		m.selSeq = s.Steps[len(s.Steps)-1].Seq
		m.sessTop = 0
		m.detail.reset()
	}
	m.clampScroll()
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
	if m.follow && !m.filtering && m.filter.Value() == "" {
		m.selSession, m.hasSel = r.Delivery.SessionID, true
		m.selSeq = r.Seq
		m.sessTop = 0
		m.detail.reset()
	}
	if m.hasSel && m.selected() == nil { // its deliveries were dropped
		m.selectNewest()
	}
	m.clampScroll()
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
	m.oldest = cut
	for seq := range m.forwards {
		if seq < cut {
			delete(m.forwards, seq)
		}
	}
}

// WithHistory bounds how many deliveries the screen holds as new ones
// arrive (--history): older ones stay stored, and load on scrolling.
func (m Model) WithHistory(n int) Model {
	m.keepLive = n
	return m
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

func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	m.notice, m.status = "", ""
	if m.pendingEdit != nil {
		return m.confirmKey(msg.String())
	}
	if m.confirmClear {
		return m.clearConfirm(msg.String())
	}
	if m.showForm {
		return m.formKey(msg)
	}
	if m.showQR {
		switch {
		case key.Matches(msg, k.Quit):
			return m, tea.Quit
		case key.Matches(msg, k.Copy):
			return m, m.copySelected()
		case key.Matches(msg, k.Back), key.Matches(msg, k.QR), key.Matches(msg, k.Open):
			m.showQR = false
		}
		return m, nil
	}
	if m.filtering {
		switch msg.String() {
		case "enter":
			m.filtering = false
			m.filter.Blur()
			return m, m.loadSelected()
		case "esc":
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.afterFilterChange()
			return m, m.loadSelected()
		case "ctrl+c":
			return m, tea.Quit
		}
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(msg)
		m.afterFilterChange()
		return m, tea.Batch(cmd, m.loadSelected(), m.searchCmd())
	}
	if nm, cmd, ok := m.labKey(msg); ok {
		return nm, cmd
	}
	if key.Matches(msg, k.MaskPII) {
		m.maskPII = !m.maskPII
		m.notice = "personal data shown"
		if m.maskPII {
			m.notice = "personal data masked (names, dates of birth, document numbers, addresses, IPs)"
		}
		return m, nil
	}
	if key.Matches(msg, k.Export) {
		return m.exportKey()
	}
	if key.Matches(msg, k.Clear) {
		return m.clearKey()
	}
	if key.Matches(msg, k.Replay) || key.Matches(msg, k.EditReplay) {
		return m.replayKey(key.Matches(msg, k.EditReplay))
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp, m.helpTop = !m.showHelp, 0
		m.help.ShowAll = m.showHelp
		return m, nil
	case m.showHelp && key.Matches(msg, k.Back):
		m.showHelp, m.help.ShowAll = false, false
		return m, nil
	case m.showHelp && (key.Matches(msg, k.Down) || key.Matches(msg, k.PageDown)):
		m.helpTop++ // helpView clamps it
		if key.Matches(msg, k.PageDown) {
			m.helpTop += 9
		}
		return m, nil
	case m.showHelp && (key.Matches(msg, k.Up) || key.Matches(msg, k.PageUp)):
		m.helpTop = max(0, m.helpTop-1)
		if key.Matches(msg, k.PageUp) {
			m.helpTop = max(0, m.helpTop-9)
		}
		return m, nil
	case key.Matches(msg, k.NextPane):
		m.focus = (m.focus + 1) % paneCount
		m.zoom = false
		return m, nil
	case key.Matches(msg, k.PrevPane):
		m.focus = (m.focus + paneCount - 1) % paneCount
		m.zoom = false
		return m, nil
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.focus = focusSessions
		m.zoom = false
		return m, m.filter.Focus()
	case key.Matches(msg, k.NextURL):
		if n := len(m.info.Fields); n > 0 {
			m.urlSel = (m.urlSel + 1) % n
		}
		return m, nil
	case key.Matches(msg, k.Copy):
		return m, m.copySelected()
	case key.Matches(msg, k.QR):
		m.showQR = true
		return m, nil
	case key.Matches(msg, k.Follow):
		m.follow = true
		m.filter.SetValue("")
		m.selectNewest()
		m.clampScroll()
		return m, m.loadSelected()
	case key.Matches(msg, k.Open):
		switch m.focus {
		case focusSessions:
			m.focus = focusTimeline
		case focusTimeline:
			m.focus, m.zoom = focusDetail, true
		case focusDetail:
			m.zoom = !m.zoom
		}
		return m, m.loadSelected()
	case key.Matches(msg, k.Back):
		switch {
		case m.zoom:
			m.zoom = false
			m.focus = focusTimeline
		case m.focus > focusSessions:
			m.focus--
		case m.filter.Value() != "":
			m.filter.SetValue("")
			m.afterFilterChange()
		}
		return m, nil
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-m.pageSize())
	case key.Matches(msg, k.PageDown):
		m.move(m.pageSize())
	case key.Matches(msg, k.Top):
		m.move(-1 << 30)
	case key.Matches(msg, k.Bottom):
		m.move(1 << 30)
	default:
		return m, nil
	}
	return m, tea.Batch(m.loadSelected(), m.maybeOlder())
}

// move moves the selection (or scrolls the detail) by n rows. Moving by
// hand stops following new activity.
func (m *Model) move(n int) {
	switch m.focus {
	case focusSessions:
		list := m.visibleSessions()
		if len(list) == 0 {
			return
		}
		i := clamp(m.sessionIndex(list)+n, 0, len(list)-1)
		m.follow = false
		m.selectSession(list[i])
	case focusTimeline:
		s := m.selected()
		if s == nil || len(s.Steps) == 0 {
			return
		}
		i := clamp(stepIndex(s, m.selSeq)+n, 0, len(s.Steps)-1)
		m.follow = false
		m.selSeq = s.Steps[i].Seq
		m.detail.reset()
	case focusDetail:
		m.detail.scroll(n)
	}
	m.clampScroll()
}

func (m *Model) selectSession(s *sessions.Session) {
	if m.hasSel && s.ID == m.selSession {
		return
	}
	m.selSession, m.hasSel = s.ID, true
	m.selSeq = 0
	if n := len(s.Steps); n > 0 {
		m.selSeq = s.Steps[n-1].Seq
	}
	m.stepTop = 0
	m.detail.reset()
}

func (m *Model) selectNewest() {
	list := m.visibleSessions()
	if len(list) == 0 {
		m.hasSel = false
		return
	}
	m.hasSel = false
	m.selectSession(list[0])
	m.sessTop = 0
}

// afterFilterChange keeps the selection inside the filtered list.
func (m *Model) afterFilterChange() {
	list := m.visibleSessions()
	if len(list) == 0 {
		return
	}
	if m.sessionIndex(list) < 0 || !m.hasSel {
		m.hasSel = false
		m.selectSession(list[0])
	}
	m.sessTop = 0
	m.clampScroll()
}

// visibleSessions is the session list after the filter: kind:, state:
// and sig: narrow it; the rest of the text is fuzzy-matched on id,
// vendorData, state and provider, and also found by full-text search in
// every stored body and summary (the store answers in the background).
func (m Model) visibleSessions() []*sessions.Session {
	all := m.book.Sessions()
	f := parseFilter(m.filter.Value())
	if f.empty() {
		return all
	}
	var pool []*sessions.Session
	for _, s := range all {
		if f.admits(s) {
			pool = append(pool, s)
		}
	}
	if f.text == "" {
		return pool
	}
	hay := make([]string, len(pool))
	for i, s := range pool {
		id := s.ID
		if s.Unsorted() {
			id = "unsorted"
		}
		hay[i] = strings.Join([]string{id, s.VendorData, s.State, string(s.Provider), s.EndUserID}, " ")
	}
	matched := map[int]bool{}
	var out []*sessions.Session
	for _, mt := range fuzzy.Find(f.text, hay) {
		matched[mt.Index] = true
		out = append(out, pool[mt.Index])
	}
	if m.searched == f.text {
		for i, s := range pool {
			if !matched[i] && m.hits[s.ID] {
				out = append(out, s)
			}
		}
	}
	return out
}

// filter is the parsed / query.
type filter struct {
	text, kind, state, sig string
}

func parseFilter(q string) filter {
	var f filter
	var words []string
	for _, w := range strings.Fields(q) {
		k, v, ok := strings.Cut(w, ":")
		switch {
		case ok && strings.EqualFold(k, "kind") && v != "":
			f.kind = strings.ToLower(v)
		case ok && strings.EqualFold(k, "state") && v != "":
			f.state = strings.ToLower(v)
		case ok && (strings.EqualFold(k, "sig") || strings.EqualFold(k, "verdict")) && v != "":
			f.sig = strings.ToLower(v)
		default:
			words = append(words, w)
		}
	}
	f.text = strings.Join(words, " ")
	return f
}

func (f filter) empty() bool { return f == filter{} }

// admits reports whether a session passes kind:, state: and sig:. A
// session passes kind: and sig: when one of its deliveries does.
func (f filter) admits(s *sessions.Session) bool {
	if f.state != "" && !strings.HasPrefix(strings.ToLower(s.State), f.state) {
		return false
	}
	if f.kind == "" && f.sig == "" {
		return true
	}
	for _, st := range s.Steps {
		if st.Created != nil || st.Tracking != nil {
			continue
		}
		if f.kind != "" && !strings.HasPrefix(string(st.Delivery.Kind), f.kind) {
			continue
		}
		if f.sig != "" && !sigMatches(st.Record, f.sig) {
			continue
		}
		return true
	}
	return false
}

// sigMatches reads sig:valid|invalid|missing|unchecked, and sig:fail for
// any failed check.
func sigMatches(r sessions.Record, want string) bool {
	if want == "fail" || want == "failed" || want == "✗" {
		return r.Failed()
	}
	return strings.HasPrefix(string(r.Verdict.Signature), want)
}

func (m Model) sessionIndex(list []*sessions.Session) int {
	if !m.hasSel {
		return -1
	}
	for i, s := range list {
		if s.ID == m.selSession {
			return i
		}
	}
	return -1
}

func (m Model) selected() *sessions.Session {
	if !m.hasSel {
		return nil
	}
	return m.book.Get(m.selSession)
}

// selectedStep is the selected step of the selected session, if any.
func (m Model) selectedStep() *sessions.Step {
	s := m.selected()
	if s == nil {
		return nil
	}
	for i := len(s.Steps) - 1; i >= 0; i-- {
		if s.Steps[i].Seq == m.selSeq {
			return &s.Steps[i]
		}
	}
	return nil
}

func stepIndex(s *sessions.Session, seq int64) int {
	for i := len(s.Steps) - 1; i >= 0; i-- {
		if s.Steps[i].Seq == seq {
			return i
		}
	}
	return len(s.Steps) - 1
}

// loadSelected fetches the selected delivery's body when it is not cached.
// The fetch runs in a Cmd: no I/O in Update.
func (m Model) loadSelected() tea.Cmd {
	if m.selSeq <= 0 || m.load == nil { // not a delivery: nothing to load
		return nil
	}
	if _, ok := m.cache[m.selSeq]; ok {
		return nil
	}
	seq, load := m.selSeq, m.load
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r, err := load(ctx, seq)
		return loadedMsg{seq: seq, rec: r, err: err}
	}
}

// View renders the whole screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "kycwatch"
	v.MouseMode = tea.MouseModeCellMotion
	return v
}

// MinWidth and MinHeight are the smallest window the panes are readable
// in: below it kycwatch says so rather than draw empty borders.
const MinWidth, MinHeight = 60, 16

func (m Model) render() string {
	if m.width < MinWidth || m.height < MinHeight {
		// The panes would be empty borders: say what is needed instead.
		msg := []string{"kycwatch: window too small", fmt.Sprintf("needs %d×%d, is %d×%d", MinWidth, MinHeight, m.width, m.height), "q quits"}
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, Fit(msg[0], m.width)+"\n"+Fit(msg[1], m.width)+"\n"+m.styles.Faint.Render(Fit(msg[2], m.width)))
	}
	footer := m.footer()
	if m.showHelp { // every key: the whole screen
		return lipgloss.JoinVertical(lipgloss.Left, m.helpView(m.width, m.height-lipgloss.Height(footer)), footer)
	}
	if m.showQR { // the whole screen: a QR code needs the rows
		return lipgloss.JoinVertical(lipgloss.Left, m.qrView(m.width, m.height-lipgloss.Height(footer)), footer)
	}
	header := m.header()
	bodyH := m.height - lipgloss.Height(header) - lipgloss.Height(footer)
	if bodyH < 3 {
		return lipgloss.JoinVertical(lipgloss.Left, header, footer)
	}
	return lipgloss.JoinVertical(lipgloss.Left, header, m.body(bodyH), footer)
}

// layout is where each pane goes: outer sizes, borders included.
type layout struct {
	sessW, sessH, tlW, tlH, detW, detH int
	wide                               bool
}

func (m Model) layout(bodyH int) layout {
	w := m.width
	if m.zoom {
		return layout{detW: w, detH: bodyH}
	}
	if w >= 150 {
		sw := w * 30 / 100
		tw := w * 33 / 100
		return layout{wide: true, sessW: sw, sessH: bodyH, tlW: tw, tlH: bodyH, detW: w - sw - tw, detH: bodyH}
	}
	top := max(6, bodyH*9/20)
	sw := w / 2
	return layout{sessW: sw, sessH: top, tlW: w - sw, tlH: top, detW: w, detH: bodyH - top}
}

func (m Model) body(h int) string {
	if m.showForm {
		return m.formView(m.width, h)
	}
	l := m.layout(h)
	det := m.detailView(l.detW, l.detH)
	if m.zoom {
		return det
	}
	sess := m.sessionsView(l.sessW, l.sessH)
	tl := m.timelineView(l.tlW, l.tlH)
	if l.wide {
		return lipgloss.JoinHorizontal(lipgloss.Top, sess, tl, det)
	}
	return lipgloss.JoinVertical(lipgloss.Left, lipgloss.JoinHorizontal(lipgloss.Top, sess, tl), det)
}

// pageSize is how far pgup/pgdn move in the focused pane.
func (m Model) pageSize() int {
	l := m.layout(m.bodyHeight())
	switch m.focus {
	case focusSessions:
		return max(1, l.sessH-4)
	case focusTimeline:
		return max(1, l.tlH-4)
	}
	return max(1, l.detH-3)
}

func (m Model) bodyHeight() int {
	return m.height - lipgloss.Height(m.header()) - lipgloss.Height(m.footer())
}

// clampScroll keeps the selected rows inside their panes.
func (m *Model) clampScroll() {
	if m.width == 0 {
		return
	}
	l := m.layout(m.bodyHeight())
	list := m.visibleSessions()
	rows := l.sessH - 3 // border and column header
	if m.filtering || m.filter.Value() != "" {
		rows--
	}
	m.sessTop = scrollTo(m.sessTop, m.sessionIndex(list), rows, len(list))
	if s := m.selected(); s != nil {
		m.stepTop = scrollTo(m.stepTop, stepIndex(s, m.selSeq), l.tlH-4, len(s.Steps))
	}
}

func scrollTo(top, sel, rows, n int) int {
	if rows < 1 {
		return 0
	}
	if sel >= 0 {
		if sel < top {
			top = sel
		}
		if sel >= top+rows {
			top = sel - rows + 1
		}
	}
	return clamp(top, 0, max(0, n-rows))
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
