package sessions

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// Every consumer of deliveries (the TUI, the headless printer, the
// expectations) follows the store by seq: told by a Stored event that new
// rows exist, it reads what it has not seen, in batches, at its own pace.
// One that falls behind catches up from the store; nothing is dropped and
// the order is the store's.

// Cursor reads the deliveries stored after a seq, oldest first.
type Cursor struct {
	store *Store
	after int64 // the last seq read
}

// Follow returns a cursor at seq: Next reads what comes after it.
func (s *Store) Follow(after int64) *Cursor { return &Cursor{store: s, after: after} }

// At is the last seq the cursor has read.
func (c *Cursor) At() int64 { return c.after }

// Next returns up to limit summaries after the cursor, oldest first, and
// moves past them. It returns none when the cursor is up to date.
func (c *Cursor) Next(ctx context.Context, limit int) ([]Record, error) {
	recs, err := c.store.After(ctx, c.after, limit)
	if n := len(recs); n > 0 {
		c.after = recs[n-1].Seq
	}
	return recs, err
}

// After returns up to limit summaries (no headers, no body) newer than
// seq, oldest first.
func (s *Store) After(ctx context.Context, seq int64, limit int) ([]Record, error) {
	if recs, ok := s.recent.after(seq, s.last.Load(), limit); ok {
		return recs, nil
	}
	return s.afterSQL(ctx, seq, limit)
}

// afterSQL is After from the database.
func (s *Store) afterSQL(ctx context.Context, seq int64, limit int) ([]Record, error) {
	return queryAll(ctx, s.db, scanSummaryRow, `SELECT `+summaryCols+` FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
}

// NextWhole is Next with every record whole (headers and body): for a
// consumer that sends deliveries on, such as the team publisher.
func (c *Cursor) NextWhole(ctx context.Context, limit int) ([]Record, error) {
	recs, err := queryAll(ctx, c.store.db, scanWholeRow, `SELECT `+summaryCols+`, headers, body, origin_ref FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?`, c.after, limit)
	if n := len(recs); n > 0 {
		c.after = recs[n-1].Seq
	}
	return recs, err
}

// scanWholeRow scans one summary row followed by the headers, the body and
// the origin.
func scanWholeRow(rows *sql.Rows) (Record, error) {
	var r Record
	var hdr string
	if err := scanSummary(rows, &r, &hdr, &r.Body, &r.OriginRef); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(hdr), &r.Header); err != nil {
		return r, fmt.Errorf("delivery %d headers: %w", r.Seq, err)
	}
	return r, nil
}

// AppendAll stores records in the order given (their seqs follow that
// order) and returns them with their Seq, once all are committed. The
// group commit takes them together. A record that cannot be stored has
// Seq 0, and the first such error is returned.
func (s *Store) AppendAll(ctx context.Context, recs []Record) ([]Record, error) {
	ps := make([]*pendingWrite, len(recs))
	for i := range recs {
		ps[i] = newPending(&recs[i])
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return recs, ErrClosed
	}
	for _, p := range ps { // one sender: the writer reads them in this order
		s.writes <- p
	}
	s.closeMu.RUnlock()
	var first error
	for _, p := range ps {
		<-p.done
		if p.err != nil && first == nil {
			first = p.err
		}
	}
	return recs, first
}

// SeqOfOrigin is the local seq of the delivery another instance stored as
// ref (Record.OriginRef), if this store holds it.
func (s *Store) SeqOfOrigin(ctx context.Context, ref string) (int64, bool) {
	var seq int64
	if ref == "" || s.db.QueryRowContext(ctx, `SELECT seq FROM deliveries WHERE origin_ref = ?`, ref).Scan(&seq) != nil {
		return 0, false
	}
	return seq, true
}

// OriginOf is the instance a followed session's deliveries came from (""
// when none came from another instance).
func (s *Store) OriginOf(ctx context.Context, sessionID string) string {
	var o string
	s.db.QueryRowContext(ctx, `SELECT origin FROM deliveries WHERE session_id = ? AND origin != '' ORDER BY seq DESC LIMIT 1`, sessionID).Scan(&o)
	return o
}

// LastStreamSeq is the highest stream sequence of a followed delivery this
// store holds (0: none): where a follower picks up after a fault.
func (s *Store) LastStreamSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(stream_seq), 0) FROM deliveries`).Scan(&n)
	return n, err
}
