package sessions

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
)

// appendBody stores body as a plain delivery and returns its seq and
// duplicate_of.
func appendBody(t *testing.T, st *Store, body string) (int64, int64) {
	t.Helper()
	r := Judge(Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events", Body: []byte(body), BodySize: int64(len(body)),
		Header: map[string][]string{"Content-Type": {"application/json"}}}, decode.Keys{})
	got, err := st.Append(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return got.Seq, got.DuplicateOf
}

// rawExec runs statements on the database file itself, as an older
// kycwatch (or a kill before the writer's bookkeeping) would have left it.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestDuplicatesSurviveALostBodyIndex: the bodies the writer had not yet
// written to the bodies table (a kill -9 before it was idle) are found
// again at the next start, from the deliveries themselves.
func TestDuplicatesSurviveALostBodyIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	appendBody(t, st, `{"a":1}`)
	appendBody(t, st, `{"b":2}`)
	st.Close()
	rawExec(t, path, `DELETE FROM bodies`, `DELETE FROM settings WHERE key = 'bodies_to'`)
	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if seq, dup := appendBody(t, st, `{"b":2}`); seq != 3 || dup != 2 {
		t.Fatalf("#%d duplicate_of %d, want #3 a duplicate of #2", seq, dup)
	}
}

// TestDuplicatesAfterUpgrade: a database from before the bodies table (an
// index on body_sha256) is carried over at open: its bodies still find
// their duplicates, and the old index is gone.
func TestDuplicatesAfterUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	appendBody(t, st, `{"a":1}`)
	appendBody(t, st, `{"a":1}`)
	appendBody(t, st, `{"c":3}`)
	st.Close()
	rawExec(t, path, `DROP TABLE bodies`, `DELETE FROM settings WHERE key = 'bodies_to'`,
		`CREATE INDEX deliveries_body ON deliveries(body_sha256)`)
	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range []struct {
		body string
		dup  int64
	}{{`{"a":1}`, 1}, {`{"c":3}`, 3}, {`{"d":4}`, 0}} {
		if _, dup := appendBody(t, st, c.body); dup != c.dup {
			t.Errorf("%s: duplicate_of %d, want %d", c.body, dup, c.dup)
		}
	}
	var n int
	st.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'deliveries_body'`).Scan(&n)
	if n != 0 {
		t.Error("the old index on body_sha256 is still there")
	}
}

// TestDuplicatesAfterPrune: once the original is pruned, the same bytes
// arriving again are a new original (the duplicates kept still name the
// one they copied); flushed or not yet, the bodies table follows.
func TestDuplicatesAfterPrune(t *testing.T) {
	for _, flushed := range []bool{false, true} {
		t.Run(fmt.Sprint("flushed=", flushed), func(t *testing.T) {
			st, err := Open(filepath.Join(t.TempDir(), "k.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			appendBody(t, st, `{"a":1}`)
			appendBody(t, st, `{"a":1}`)
			if flushed {
				st.wmu.Lock()
				err := st.flushBodies(st.Last())
				st.wmu.Unlock()
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.Prune(context.Background(), Retention{MaxCount: 1}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if seq, dup := appendBody(t, st, `{"a":1}`); seq != 3 || dup != 0 {
				t.Fatalf("#%d duplicate_of %d: the original is pruned, want a new original", seq, dup)
			}
			if _, dup := appendBody(t, st, `{"a":1}`); dup != 3 {
				t.Fatalf("duplicate_of %d, want 3", dup)
			}
			if _, err := st.Clear(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, dup := appendBody(t, st, `{"a":1}`); dup != 0 {
				t.Fatalf("after clear: duplicate_of %d, want 0", dup)
			}
		})
	}
}

// TestBodyFilterHasNoFalseNegative: every hash added is reported as maybe
// there (a miss would make a duplicate look original); few others are.
func TestBodyFilterHasNoFalseNegative(t *testing.T) {
	f := newBodyFilter(100_000)
	for i := range 100_000 {
		f.add(sha256.Sum256([]byte(fmt.Sprint("in-", i))))
	}
	for i := range 100_000 {
		if !f.mayHave(sha256.Sum256([]byte(fmt.Sprint("in-", i)))) {
			t.Fatalf("hash %d added but missed", i)
		}
	}
	misses := 0
	for i := range 100_000 {
		if f.mayHave(sha256.Sum256([]byte(fmt.Sprint("out-", i)))) {
			misses++
		}
	}
	if misses > 500 {
		t.Errorf("%d false positives in 100,000", misses)
	}
}

// TestTrimInvitesKeepsTheNewest: the invites table keeps an owner's newest
// invites only, and the other owner's untouched.
func TestTrimInvitesKeepsTheNewest(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	t0 := time.Now()
	for i := range 10 {
		st.KeepInvite(ctx, "sandbox", fmt.Sprint("ref-", i), t0.Add(time.Duration(i)*time.Second), []byte(fmt.Sprint(i)))
		st.KeepInvite(ctx, "tui", fmt.Sprint("ref-", i), t0.Add(time.Duration(i)*time.Second), []byte(fmt.Sprint(i)))
	}
	if err := st.TrimInvites(ctx, "sandbox", 3); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Invites(ctx, "sandbox", 100)
	tui, _ := st.Invites(ctx, "tui", 100)
	if fmt.Sprintf("%s", got) != "[7 8 9]" || len(tui) != 10 {
		t.Errorf("kept %s and %d of the other owner's", got, len(tui))
	}
}
