package sessions

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search has a database of its own beside the store's (path.search.db):
// an index derived from the deliveries, which can be rebuilt from them at
// any time. It follows the store by seq, beside the hot path: a delivery is
// stored and answered first, and indexed a moment later by the indexer, in
// that other file, so indexing never holds the deliveries' write lock.
// Indexing a 2 KiB body costs about as much CPU as storing it, so while the
// writer is busy (a flood) the indexer yields (indexPace): it lets its lag
// grow, up to 100,000 deliveries, and catches up at full speed as soon as
// the flood eases. How far behind it is (SearchLag) is shown beside the
// filter.
const writerBusy = 50 * time.Millisecond // a commit this recent means a flood

// indexPace paces the indexer; Every is set by tests.
var indexPace = Pacer{Full: 500, Trickle: 250, MaxLag: 100_000}

const searchSchema = `
CREATE VIRTUAL TABLE IF NOT EXISTS deliveries_fts USING fts5(body, meta, content='', contentless_delete=1, tokenize='unicode61');
CREATE TABLE IF NOT EXISTS indexed (          -- what is indexed: rowid = the delivery's seq
	seq          INTEGER PRIMARY KEY,
	session_id   TEXT    NOT NULL
);
`

// SearchPath is where the search index of the database at path lives.
func SearchPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".search.db"
}

// openSearch opens the search index beside the store and reads how far it
// got. An index ahead of the store (a database replaced under it) is
// emptied and built again.
func (s *Store) openSearch() error {
	db, err := sql.Open("sqlite", dsn(SearchPath(s.path)))
	if err != nil {
		return err
	}
	if _, err := db.Exec(searchSchema); err != nil {
		db.Close()
		return fmt.Errorf("search index %s: %w", SearchPath(s.path), err)
	}
	var indexed int64
	if err := db.QueryRow(`SELECT coalesce(max(seq), 0) FROM indexed`).Scan(&indexed); err != nil {
		db.Close()
		return err
	}
	if indexed > s.last.Load() {
		if _, err := db.Exec(`DELETE FROM deliveries_fts; DELETE FROM indexed`); err != nil {
			db.Close()
			return err
		}
		indexed = 0
	}
	s.search = db
	s.indexedTo.Store(indexed)
	return nil
}

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
			s.indexAll()
			return
		}
		s.indexUpToDate()
	}
}

// indexUpToDate indexes batches until nothing is left, paced by
// indexPace. It returns early when the store closes (after a last full
// catch-up, done by the caller).
func (s *Store) indexUpToDate() {
	pace := indexPace
	for s.SearchLag() > 0 {
		limit, ok := pace.Next(s, s.SearchLag(), s.indexStop)
		if !ok {
			return
		}
		if limit == 0 {
			continue
		}
		if n, err := s.indexNext(limit); err != nil || n == 0 {
			if err != nil {
				slog.Error("search index", "err", err)
			}
			return
		}
	}
}

// indexAll indexes everything left, at full speed (on close).
func (s *Store) indexAll() {
	for {
		n, err := s.indexNext(indexPace.Full)
		if err != nil {
			slog.Error("search index", "err", err)
			return
		}
		if n < indexPace.Full {
			return
		}
	}
}

// indexNext indexes up to limit deliveries after indexedTo in one
// transaction of the search database. It holds imu, which Clear and Prune
// take to delete from the index after the store: a delivery deleted while
// it was being indexed is deleted from the index too.
func (s *Store) indexNext(limit int) (int, error) {
	s.imu.Lock()
	defer s.imu.Unlock()
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
	tx, err := s.search.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, r := range batch {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries_fts(rowid, body, meta) VALUES (?, ?, ?)`, r.Seq, searchText(r.Body), searchMeta(r)); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO indexed (seq, session_id) VALUES (?, ?)`, r.Seq, r.Delivery.SessionID); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	s.indexedTo.Store(batch[len(batch)-1].Seq)
	return len(batch), nil
}

// unindex deletes the deliveries up to seq cut from the index (after the
// store deleted them).
func (s *Store) unindex(ctx context.Context, cut int64) error {
	s.imu.Lock()
	defer s.imu.Unlock()
	tx, err := s.search.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries_fts WHERE rowid <= ?`, cut); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM indexed WHERE seq <= ?`, cut); err != nil {
		return err
	}
	return tx.Commit()
}

// WriterBusy reports whether the writer committed in the last moments: a
// flood is on, and work beside ingest (indexing, team publishing) trickles.
func (s *Store) WriterBusy() bool {
	return time.Since(time.Unix(0, s.lastCommit.Load())) < writerBusy
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
	return QueryColumn[string](ctx, s.search, `SELECT i.session_id FROM deliveries_fts f JOIN indexed i ON i.seq = f.rowid
		WHERE deliveries_fts MATCH ? GROUP BY i.session_id ORDER BY max(f.rowid) DESC LIMIT ?`, strings.Join(terms, " AND "), limit)
}
