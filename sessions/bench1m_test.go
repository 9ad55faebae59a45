package sessions

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The million-delivery benchmarks run on a database built once and kept
// in the temp directory (building it takes a minute or two): 1,000,000
// deliveries in 200,000 sessions, each session created, started,
// submitted, decided, and one retry.
const bench1M = 1_000_000

func millionDB(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "kycwatch-bench-1m.db")
	if _, err := os.Stat(path + ".done"); err == nil {
		return path
	}
	os.Remove(path)
	st, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hdr := `{"Content-Type":["application/json"],"X-Hmac-Signature":["6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67"],"X-Auth-Client":["0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"]}`
	const batch = 20000
	for done := 0; done < bench1M; done += batch {
		tx, err := st.db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		ins, _ := tx.PrepareContext(ctx, `INSERT INTO deliveries (received_at, method, path, remote_addr, headers, body, body_size, truncated,
			body_sha256, status, kind, provider, session_id, attempt_id, code, state, vendor_data, end_user_id, note, risk_level,
			signature, api_key, reason, sig_header, duplicate_of) VALUES (?,?,?,?,?,?,?,0,?,200,?,'veriff',?,?,?,?,?,'','','',?,?,'','X-Hmac-Signature',0)`)
		for i := done; i < done+batch; i++ {
			s := i / 5
			sess := fmt.Sprintf("%08x-0000-4000-8000-%012x", s, s)
			kind, code, state, path := "event", 7001, "started", "/veriff/events"
			body := fmt.Sprintf(`{"id":"%s","attemptId":"a-%d","feature":"selfid","code":7001,"action":"started","vendorData":"user-%d","endUserId":null}`, sess, s, s)
			switch i % 5 {
			case 1, 4:
				code, state = 7002, "submitted"
				body = fmt.Sprintf(`{"id":"%s","attemptId":"a-%d","feature":"selfid","code":7002,"action":"submitted","vendorData":"user-%d","endUserId":null}`, sess, s, s)
			case 2, 3:
				kind, code, state, path = "decision", 9001, "approved", "/veriff/decisions"
				body = fmt.Sprintf(`{"status":"success","verification":{"id":"%s","attemptId":"a-%d","vendorData":"user-%d","status":"approved","code":9001,"person":{"firstName":"PERSON%d","lastName":"NAME"},"document":{"number":"D%08d","type":"PASSPORT","country":"EE"}},"technicalData":{"ip":"203.0.113.9"}}`, sess, s, s, s, s)
			}
			sum := sha256.Sum256([]byte(body))
			_, err := ins.ExecContext(ctx, t0.Add(time.Duration(i)*time.Second).UnixNano(), "POST", path, "203.0.113.9:443", hdr, []byte(body),
				len(body), sum[:], kind, sess, fmt.Sprintf("a-%d", s), code, state, fmt.Sprintf("user-%d", s), "valid", "match")
			if err != nil {
				b.Fatal(err)
			}
		}
		ins.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	// The originals' hashes, as the writer keeps them (dups.go).
	if _, err := st.db.Exec(`INSERT INTO bodies (sha256, seq) SELECT body_sha256, min(seq) FROM deliveries GROUP BY body_sha256`); err != nil {
		b.Fatal(err)
	}
	if err := st.SetSetting(ctx, settingBodiesTo, fmt.Sprint(bench1M)); err != nil {
		b.Fatal(err)
	}
	// The search index is built as kycwatch builds it: the indexer follows
	// the store from where the index stands (nothing) when it opens.
	st.Close()
	if st, err = Open(path); err != nil {
		b.Fatal(err)
	}
	st.FlushSearch()
	st.Close()
	info, _ := os.Stat(path)
	b.Logf("built %d deliveries in %s (%d MB)", bench1M, time.Since(start).Round(time.Second), info.Size()>>20)
	os.WriteFile(path+".done", nil, 0o600)
	return path
}

// Benchmark1MOpen is what starting kycwatch on a million deliveries costs:
// open the database and load the newest 5,000 summaries.
func Benchmark1MOpen(b *testing.B) {
	path := millionDB(b)
	b.ReportAllocs()
	for b.Loop() {
		st, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		recs, total, err := st.Recent(context.Background(), 5000)
		if err != nil || len(recs) != 5000 || total != bench1M {
			b.Fatal(len(recs), total, err)
		}
		st.Close()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MB-heap")
}

// Benchmark1MPageOlder loads a page of 5,000 older summaries from the
// middle of the history: what scrolling past the loaded ones costs.
func Benchmark1MPageOlder(b *testing.B) {
	st := openMillion(b)
	b.ReportAllocs()
	for b.Loop() {
		if recs, err := st.Before(context.Background(), 500_000, 5000); err != nil || len(recs) != 5000 {
			b.Fatal(len(recs), err)
		}
	}
}

// Benchmark1MGet fetches one delivery whole (the detail pane).
func Benchmark1MGet(b *testing.B) {
	st := openMillion(b)
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		i = (i + 7919) % bench1M
		if _, err := st.Get(context.Background(), i+1); err != nil {
			b.Fatal(err)
		}
	}
}

// Benchmark1MSearch is full-text search for one person among a million
// deliveries (/ in the UI).
func Benchmark1MSearch(b *testing.B) {
	st := openMillion(b)
	b.ReportAllocs()
	for b.Loop() {
		if ids, err := st.Search(context.Background(), "person123457", 500); err != nil || len(ids) != 1 {
			b.Fatal(ids, err)
		}
	}
}

func openMillion(b *testing.B) *Store {
	b.Helper()
	st, err := Open(millionDB(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// MillionDB is the million-delivery database, for the benchmarks of the
// packages above (the TUI's, in sessions_test).
func MillionDB(b *testing.B) string { return millionDB(b) }
