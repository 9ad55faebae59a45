// What leaves the store: --keep's pruning, ctrl+x's clear, and an export's
// pass over what is kept.

package sessions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Filter picks deliveries for an export.
type Filter struct {
	SessionID string    // "" for all
	Since     time.Time // zero for all
}

// Each calls fn with every delivery the filter picks, whole, oldest first.
// Rows are read in pages: an export of a large database stays small in
// memory.
func (s *Store) Each(ctx context.Context, f Filter, fn func(Record) error) error {
	const page = 500
	after := int64(0)
	for {
		q := `SELECT ` + summaryCols + `, headers, body FROM deliveries WHERE seq > ?`
		args := []any{after}
		if f.SessionID != "" {
			q += ` AND session_id = ?`
			args = append(args, f.SessionID)
		}
		if !f.Since.IsZero() {
			q += ` AND received_at >= ?`
			args = append(args, f.Since.UnixNano())
		}
		q += ` ORDER BY seq LIMIT ?`
		args = append(args, page)
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var batch []Record
		for rows.Next() {
			var r Record
			var hdr string
			if err := scanSummary(rows, &r, &hdr, &r.Body); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(hdr), &r.Header); err != nil {
				rows.Close()
				return fmt.Errorf("delivery %d headers: %w", r.Seq, err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r); err != nil {
				return err
			}
			after = r.Seq
		}
		if len(batch) < page {
			return nil
		}
	}
}

// Retention is how much history to keep: deliveries younger than MaxAge,
// and at most MaxCount of them (zero: no limit).
type Retention struct {
	MaxAge   time.Duration
	MaxCount int64
}

// Prune deletes the deliveries retention does not keep (with their
// forwards and search entries) and returns how many went.
func (s *Store) Prune(ctx context.Context, r Retention, now time.Time) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var cut int64 // delete seq <= cut
	if r.MaxAge > 0 {
		var seq int64
		s.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM deliveries WHERE received_at < ?`, now.Add(-r.MaxAge).UnixNano()).Scan(&seq)
		cut = max(cut, seq)
	}
	if r.MaxCount > 0 {
		var last int64
		s.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM deliveries`).Scan(&last)
		cut = max(cut, last-r.MaxCount)
	}
	if cut <= 0 {
		return 0, nil
	}
	return s.deleteUpTo(ctx, cut)
}

// Clear deletes every delivery, forward, test session, tracking step and
// sandbox session state (the sandbox's keys stay).
func (s *Store) Clear(ctx context.Context) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	n, err := s.deleteUpTo(ctx, 1<<62)
	if err != nil {
		return n, err
	}
	for _, q := range []string{`DELETE FROM test_sessions`, `DELETE FROM tracking`, `DELETE FROM sandbox_state`, `DELETE FROM invites`} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *Store) deleteUpTo(ctx context.Context, cut int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM forwards WHERE seq <= ?`, cut); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE seq <= ?`, cut)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM bodies WHERE seq <= ?`, cut); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	s.bodies.forget(cut)
	s.recent.forget(cut)
	if err := s.unindex(ctx, cut); err != nil {
		slog.Warn("search index", "err", err) // a session it still names shows only if the book has it
	}
	s.publish(Stored{Last: s.last.Load(), Count: s.count.Add(-n)})
	return n, nil
}
