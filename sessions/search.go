package sessions

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search indexing follows the store by seq, beside the hot path: a
// delivery is stored and answered first, and indexed in a batch a moment
// later. The indexer takes the write lock between the writer's groups, so
// under a flood it falls behind by at most what arrives during one of its
// batches, and catches up as soon as the flood eases. How far behind it is
// (SearchLag) is shown where search is used.

// indexBatchSize bounds one indexing transaction.
const indexBatchSize = 2000

// wakeIndexer tells the indexer that new rows exist.
func (s *Store) wakeIndexer() {
	select {
	case s.indexWake <- struct{}{}:
	default:
	}
}

// indexer indexes what is stored after indexedTo, until the store closes.
func (s *Store) indexer() {
	defer close(s.indexed)
	for {
		select {
		case <-s.indexWake:
		case <-s.indexStop:
			s.indexUpToDate()
			return
		}
		s.indexUpToDate()
	}
}

// indexUpToDate indexes batches until nothing is left.
func (s *Store) indexUpToDate() {
	for {
		n, err := s.indexNext(indexBatchSize)
		if err != nil {
			slog.Error("search index", "err", err)
			return
		}
		if n < indexBatchSize {
			return
		}
	}
}

// indexNext indexes up to limit deliveries after indexedTo in one
// transaction. The rows are read under the write lock, so a delivery that
// Clear or Prune deletes meanwhile is never indexed.
func (s *Store) indexNext(limit int) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	from := s.indexedTo.Load()
	ctx := context.Background()
	rows, err := s.db.QueryContext(ctx, `SELECT `+summaryCols+`, body FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?`, from, limit)
	if err != nil {
		return 0, err
	}
	var batch []Record
	for rows.Next() {
		var r Record
		if err := scanSummary(rows, &r, &r.Body); err != nil {
			rows.Close()
			return 0, err
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(batch) == 0 {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, r := range batch {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries_fts(rowid, body, meta) VALUES (?, ?, ?)`, r.Seq, searchText(r.Body), searchMeta(r)); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	s.indexedTo.Store(batch[len(batch)-1].Seq)
	return len(batch), nil
}

// SearchLag is how many stored deliveries search does not see yet.
func (s *Store) SearchLag() int64 {
	return max(0, s.last.Load()-s.indexedTo.Load())
}

// FlushSearch waits until what is stored is searchable (tests).
func (s *Store) FlushSearch() {
	for s.SearchLag() > 0 {
		s.wakeIndexer()
		time.Sleep(5 * time.Millisecond)
	}
}

// searchText is what search sees of a body: the text, when it is text.
func searchText(b []byte) string {
	if !utf8.Valid(b) {
		return ""
	}
	return string(b)
}

// searchMeta is what search sees of a summary.
func searchMeta(r Record) string {
	d := r.Delivery
	return strings.Join([]string{r.Method, r.Path, string(d.Kind), string(d.Provider), d.SessionID, d.AttemptID, d.State,
		d.VendorData, d.EndUserID, d.Note, string(r.Verdict.Signature)}, " ")
}

// Search finds the sessions whose deliveries contain every word of text
// (in a body, or in the summary: kind, state, ids, vendorData, …),
// newest first. The unsorted group is "".
func (s *Store) Search(ctx context.Context, text string, limit int) ([]string, error) {
	var terms []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' }) {
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"*`)
	}
	if len(terms) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT d.session_id FROM deliveries_fts f JOIN deliveries d ON d.seq = f.rowid
		WHERE deliveries_fts MATCH ? GROUP BY d.session_id ORDER BY max(f.rowid) DESC LIMIT ?`, strings.Join(terms, " AND "), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
