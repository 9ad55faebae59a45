package sessions

import "context"

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
	rows, err := s.db.QueryContext(ctx, `SELECT `+summaryCols+` FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := scanSummary(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
