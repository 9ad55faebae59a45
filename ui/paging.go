package ui

import (
	"context"
	"fmt"
	"time"

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
	list := m.visibleSessions()
	if i := m.sessionIndex(list); i < len(list)-1 {
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
		m.status = "could not load older deliveries: " + msg.err.Error()
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
	m.notice = fmt.Sprintf("loaded %d older deliveries (#%d to #%d)", len(msg.recs), msg.recs[0].Seq, msg.recs[len(msg.recs)-1].Seq)
	m.clampScroll()
}
