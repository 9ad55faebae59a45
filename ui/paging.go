package ui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/sessions"
)

// Pager loads stored summaries older than a seq (Store.Before).
type Pager func(ctx context.Context, before int64, limit int) ([]sessions.Record, error)

// pageSize is how many older summaries one page brings.
const historyPage = 5000

// WithPaging lets the session list go back past the history loaded at
// start: total is how many deliveries the database holds.
func (m Model) WithPaging(p Pager, total int) Model {
	m.pager, m.stored = p, total
	return m
}

type olderMsg struct {
	recs []sessions.Record
	err  error
}

// moreStored reports whether the database holds deliveries older than the
// book's.
func (m Model) moreStored() bool {
	return m.pager != nil && m.oldest > 1 && m.book.Total < m.stored
}

// maybeOlder loads the next older page when the selection reaches the end
// of the session list.
func (m *Model) maybeOlder() tea.Cmd {
	if m.loadingOlder || !m.moreStored() || m.focus != focusSessions {
		return nil
	}
	if m.list.index() < len(m.list.list)-1 {
		return nil
	}
	m.loadingOlder = true
	p, before := m.pager, m.oldest
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		recs, err := p(ctx, before, historyPage)
		return olderMsg{recs, err}
	}
}

func (m *Model) older(msg olderMsg) {
	m.loadingOlder = false
	if msg.err != nil {
		m.say(noticeProblem, "could not load older deliveries: "+msg.err.Error())
		return
	}
	if len(msg.recs) == 0 {
		m.oldest = 1 // nothing older: stop asking
		return
	}
	for _, r := range msg.recs {
		m.book.AddOlder(summary(r))
		m.oldest = min(m.oldest, r.Seq)
	}
	m.say(noticeDone, fmt.Sprintf("loaded %d older deliveries (#%d to #%d)", len(msg.recs), msg.recs[0].Seq, msg.recs[len(msg.recs)-1].Seq))
}

// Searcher finds sessions by full-text search (Store.Search).
type Searcher func(ctx context.Context, text string, limit int) ([]string, error)

// WithSearch lets / find sessions by any text in their stored deliveries.
func (m Model) WithSearch(s Searcher) Model {
	m.search = s
	return m
}

// WithSearchLag lets the filter say how many of the newest deliveries
// search cannot see yet (Store.SearchLag: indexing waits out a flood).
func (m Model) WithSearchLag(lag func() int64) Model {
	m.searchLag = lag
	return m
}

type searchedMsg struct {
	text   string
	hits   map[string]bool
	behind int64 // deliveries not indexed yet when it searched
}

// searchCmd asks the store for sessions matching the filter's text: new
// text, or the same while the index was behind.
func (m Model) searchCmd() tea.Cmd {
	text := parseFilter(m.filter.Value()).text
	if m.search == nil || len([]rune(text)) < 2 || text == m.searched && m.searchBehind == 0 {
		return nil
	}
	s, lag := m.search, m.searchLag
	return func() tea.Msg {
		var behind int64
		if lag != nil {
			behind = lag() // before the search: what it cannot see
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ids, err := s(ctx, text, 500)
		hits := map[string]bool{}
		if err == nil {
			for _, id := range ids {
				hits[id] = true
			}
		}
		return searchedMsg{text: text, hits: hits, behind: behind}
	}
}

// searchAgainCmd searches the same text again while the index was behind
// when it last searched (the newest may be searchable now), one search at
// a time. It marks the search as in flight: call it from Update and keep
// the model it changed.
func (m *Model) searchAgainCmd() tea.Cmd {
	if m.searchBehind == 0 || m.searchAgain {
		return nil
	}
	cmd := m.searchCmd()
	m.searchAgain = cmd != nil
	return cmd
}

// searchLagNote is the filter's note on the newest deliveries its search
// could not see, while there are any.
func (m Model) searchLagNote() string {
	if m.searchBehind <= 0 || m.searched != parseFilter(m.filter.Value()).text {
		return ""
	}
	return m.com.Styles.Faint.Render(fmt.Sprintf(" +%d unindexed", m.searchBehind))
}

// Clearer deletes the stored history (Store.Clear).
type Clearer func(ctx context.Context) (int64, error)

type clearedMsg struct {
	n   int64
	err error
}

// clearKey asks first; clearConfirm does it.
func (m Model) clearKey() (Model, tea.Cmd) {
	if m.actions.Clear == nil {
		m.say(noticeProblem, "clearing is not available in this run")
		return m, nil
	}
	if max(m.book.Total, m.stored) == 0 && len(m.book.Sessions()) == 0 {
		m.say(noticeDone, "nothing stored yet: nothing to clear")
		return m, nil
	}
	m.confirmClear = true
	return m, nil
}

func (m Model) clearConfirm(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.confirmClear = false
	if !key.Matches(msg, m.com.Keys.Confirm.Yes) {
		m.say(noticeDone, "nothing deleted")
		return m, nil
	}
	c := m.actions.Clear
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		n, err := c(ctx)
		return clearedMsg{n, err}
	}
}

func (m *Model) cleared(msg clearedMsg) {
	if msg.err != nil {
		m.say(noticeProblem, "could not clear: "+msg.err.Error())
		return
	}
	m.book = sessions.NewBook()
	m.ids.stale = true
	m.cache, m.order = map[int64]sessions.Record{}, nil
	m.forwards = nil
	m.list.has, m.list.sel, m.timeline.sel, m.list.top, m.timeline.top = false, "", 0, 0, 0
	m.stored, m.oldest = 0, 0
	m.detail.reset()
	m.say(noticeDone, fmt.Sprintf("deleted %d deliver%s and the test sessions from the database", msg.n, plural2(int(msg.n), "y", "ies")))
}
