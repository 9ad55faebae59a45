package sessions

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"log/slog"
	"slices"
	"strconv"
)

// A delivery whose body bytes were stored before, by a delivery that is
// not itself a duplicate, is a duplicate of that one (duplicate_of): a
// provider's retry, or a replay. The lookup is exact, inside a group
// commit too.
//
// The originals' hashes live in the bodies table (sha256 → seq). Writing
// one row there per delivery dirtied an index page at random each time
// (hashes have no order): under a flood that was as many pages again as
// the deliveries' own. So the writer keeps the originals it committed
// since its last idle moment in memory (bodyIndex), looks them up there
// first, and writes them to the table in one sorted batch once it is idle
// (writerBusy without a delivery) or holds maxPendingBodies. Which
// deliveries the table covers is kept with it (setting bodiesTo): what a
// kill left unwritten is read back from the deliveries at the next start.

// maxPendingBodies bounds the originals held in memory (some 5 MB).
const maxPendingBodies = 50_000

// settingBodiesTo: every original up to this seq is in the bodies table.
const settingBodiesTo = "bodies_to"

type bodyIndex struct {
	seqOf   map[[32]byte]int64 // originals not in the table yet
	pending []bodyRow          // the same, in seq order
}

// bodyFilter says which hashes may be in the bodies table (a Bloom
// filter): most deliveries are no duplicate, and for them the lookup in
// the table is skipped. It is built beside the writer at start (until then
// every lookup goes to the table); a hash it has is looked up as before.
type bodyFilter struct {
	bits []uint64
	mask uint64
}

// newBodyFilter holds n hashes at about 16 bits each (a false positive in
// some 2,000 lookups).
func newBodyFilter(n int) *bodyFilter {
	size := uint64(1 << 20) // bits
	for size < uint64(n)*16 {
		size <<= 1
	}
	return &bodyFilter{bits: make([]uint64, size/64), mask: size - 1}
}

// The hashes are SHA-256: four of their 64-bit words are four independent
// positions.
func (f *bodyFilter) add(sum [32]byte) {
	for i := 0; i < 32; i += 8 {
		b := binary.LittleEndian.Uint64(sum[i:]) & f.mask
		f.bits[b/64] |= 1 << (b % 64)
	}
}

func (f *bodyFilter) mayHave(sum [32]byte) bool {
	for i := 0; i < 32; i += 8 {
		b := binary.LittleEndian.Uint64(sum[i:]) & f.mask
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// buildBodyFilter reads the bodies table into a new filter, then, under
// wmu, adds what was written to it meanwhile and puts the filter in use.
func (s *Store) buildBodyFilter(ctx context.Context) {
	s.wmu.Lock()
	s.filterBuilding, s.flushedWhileBuilding = true, nil
	capacity := int(2*s.count.Load()) + maxPendingBodies
	s.wmu.Unlock()
	f := newBodyFilter(capacity)
	err := func() error {
		rows, err := s.db.QueryContext(ctx, `SELECT sha256 FROM bodies`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var sum sql.RawBytes // copied into the filter: no allocation a row
		for rows.Next() {
			if err := rows.Scan(&sum); err != nil {
				return err
			}
			if len(sum) == 32 {
				f.add([32]byte(sum))
			}
		}
		return rows.Err()
	}()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err == nil {
		for _, sum := range s.flushedWhileBuilding {
			f.add(sum)
		}
		s.filter = f
	} else if !errors.Is(err, sql.ErrConnDone) && !errors.Is(err, context.Canceled) {
		slog.Warn("duplicate filter", "err", err) // every lookup goes to the table
	}
	s.filterBuilding, s.flushedWhileBuilding = false, nil
}

type bodyRow struct {
	sum [32]byte
	seq int64
}

func (b *bodyIndex) add(sum [32]byte, seq int64) {
	if b.seqOf == nil {
		b.seqOf = map[[32]byte]int64{}
	}
	b.seqOf[sum] = seq
	b.pending = append(b.pending, bodyRow{sum, seq})
}

// forget drops what was deleted (seq <= cut).
func (b *bodyIndex) forget(cut int64) {
	b.pending = slices.DeleteFunc(b.pending, func(r bodyRow) bool {
		if r.seq <= cut {
			delete(b.seqOf, r.sum)
			return true
		}
		return false
	})
}

// openBodies makes sure the bodies table covers every delivery: it carries
// over a database from before it (an index on body_sha256), and takes
// back into memory the originals a kill left unwritten.
func (s *Store) openBodies() error {
	var oldIndex int
	s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_body'`).Scan(&oldIndex)
	if oldIndex > 0 {
		tx, err := s.db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for _, q := range []string{
			`DELETE FROM bodies`,
			`INSERT INTO bodies (sha256, seq) SELECT body_sha256, min(seq) FROM deliveries
				WHERE body_sha256 IS NOT NULL AND duplicate_of = 0 GROUP BY body_sha256`,
			`DROP INDEX deliveries_body`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)`, settingBodiesTo, strconv.FormatInt(s.last.Load(), 10)); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	to, _ := strconv.ParseInt(s.Setting(context.Background(), settingBodiesTo), 10, 64)
	rows, err := s.db.Query(`SELECT seq, body_sha256 FROM deliveries WHERE seq > ? AND body_sha256 IS NOT NULL AND duplicate_of = 0 ORDER BY seq`, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var sum []byte
		if err := rows.Scan(&seq, &sum); err != nil {
			return err
		}
		if len(sum) == 32 {
			if _, seen := s.bodies.seqOf[[32]byte(sum)]; !seen {
				s.bodies.add([32]byte(sum), seq)
			}
		}
		if len(s.bodies.pending) >= maxPendingBodies {
			if err := s.flushBodies(seq); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.bodyStmt, err = s.db.Prepare(`SELECT seq FROM bodies WHERE sha256 = ?`)
	return err
}

// originalOf is the seq of the first stored delivery with these bytes that
// is not itself a duplicate, or 0: from this group (group), the originals
// not yet written (held in memory), then the table (lookup: bodyStmt in
// the group's transaction).
func (s *Store) originalOf(lookup *sql.Stmt, sum []byte, group map[[32]byte]int64) (int64, error) {
	if len(sum) != 32 {
		return 0, nil
	}
	key := [32]byte(sum)
	if seq, ok := group[key]; ok {
		return seq, nil
	}
	if seq, ok := s.bodies.seqOf[key]; ok {
		return seq, nil
	}
	if s.filter != nil && !s.filter.mayHave(key) {
		return 0, nil // not in the table
	}
	var seq int64
	err := lookup.QueryRow(sum).Scan(&seq)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return seq, err
}

// flushBodies writes the originals held in memory to the bodies table, in
// one transaction, sorted by hash (neighbouring pages), and empties the
// memory; the table is then complete up to seq to. The caller holds wmu
// (or is Open).
func (s *Store) flushBodies(to int64) error {
	if len(s.bodies.pending) == 0 {
		return nil
	}
	rows := slices.Clone(s.bodies.pending)
	slices.SortFunc(rows, func(a, b bodyRow) int { return bytes.Compare(a.sum[:], b.sum[:]) })
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT OR IGNORE INTO bodies (sha256, seq) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, r := range rows {
		if _, err := ins.Exec(r.sum[:], r.seq); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)`, settingBodiesTo, strconv.FormatInt(to, 10)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, r := range rows {
		if s.filter != nil {
			s.filter.add(r.sum)
		}
		if s.filterBuilding {
			s.flushedWhileBuilding = append(s.flushedWhileBuilding, r.sum)
		}
	}
	s.bodies = bodyIndex{}
	return nil
}
