package sessions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/bus"
)

func incoming(body string) Incoming {
	return Incoming{ReceivedAt: t0, Method: "POST", Path: "/veriff/events", Header: map[string][]string{"Content-Type": {"application/json"}},
		Body: []byte(body), BodySize: int64(len(body))}
}

// Many deliveries at once go into shared transactions; each caller gets its
// own seq once committed, duplicates are found even inside one group, and
// the store's counters and events follow.
func TestGroupCommitUnderConcurrency(t *testing.T) {
	b := bus.New()
	sub := b.Subscribe()
	st, err := Open(filepath.Join(t.TempDir(), "k.db"), WithEvents(b))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{}, b)
	const workers, each = 16, 100
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Every body is sent twice: the second is a duplicate of the first.
				body := fmt.Sprintf(`{"id":"%d-%d","action":"started","code":7001}`, w, i/2)
				r, err := rc.Receive(context.Background(), incoming(body))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if prev, ok := seen[r.Seq]; ok {
					t.Errorf("seq %d given twice (%s, %s)", r.Seq, prev, body)
				}
				seen[r.Seq] = body
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != workers*each || st.Count() != workers*each || st.Last() != workers*each {
		t.Fatalf("%d seqs, count %d, last %d", len(seen), st.Count(), st.Last())
	}
	// Exactly one original per body; every other copy points at it.
	recs, err := st.After(context.Background(), 0, 10*workers*each)
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]int64{}
	for _, r := range recs {
		body := seen[r.Seq]
		if orig, ok := first[body]; ok {
			if r.DuplicateOf != orig {
				t.Fatalf("#%d duplicate_of %d, want %d", r.Seq, r.DuplicateOf, orig)
			}
		} else {
			if r.DuplicateOf != 0 {
				t.Fatalf("#%d is the first of its body but duplicate_of %d", r.Seq, r.DuplicateOf)
			}
			first[body] = r.Seq
		}
	}
	var last Stored
	for _, e := range sub.Take() {
		if s, ok := e.(Stored); ok {
			last = s
		}
	}
	if last.Last != workers*each || last.Count != workers*each {
		t.Fatalf("last Stored event %+v", last)
	}
}

// A consumer that falls far behind reads everything afterwards, in order,
// with no gap, in batches of the size it asks for.
func TestCursorCatchesUpWithNoGap(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{}, nil)
	cur := st.Follow(0)
	ctx := context.Background()
	add := func(n int) {
		for i := range n {
			if _, err := rc.Receive(ctx, incoming(fmt.Sprintf(`{"id":"x","n":%d,"t":%d}`, i, time.Now().UnixNano()))); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(5)
	got, _ := cur.Next(ctx, 100)
	if len(got) != 5 || got[0].Seq != 1 || cur.At() != 5 {
		t.Fatalf("first read: %d rows, at %d", len(got), cur.At())
	}
	add(2500) // far behind now
	var seqs []int64
	for {
		batch, err := cur.Next(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		if len(batch) > 1000 {
			t.Fatalf("batch of %d", len(batch))
		}
		for _, r := range batch {
			seqs = append(seqs, r.Seq)
		}
	}
	if len(seqs) != 2500 {
		t.Fatalf("caught up with %d rows, want 2500", len(seqs))
	}
	for i, s := range seqs {
		if s != int64(i+6) {
			t.Fatalf("row %d is #%d: a gap or a repeat", i, s)
		}
	}
}

// Appending after Close is refused, not lost silently or a panic.
func TestAppendAfterClose(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := st.Append(context.Background(), Record{Incoming: incoming(`{}`)}); err != ErrClosed {
		t.Fatalf("got %v", err)
	}
}

// The search index follows the store and says how far behind it is.
func TestSearchLagCatchesUp(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{}, nil)
	for i := range 50 {
		rc.Receive(context.Background(), incoming(fmt.Sprintf(`{"id":"s-%d","note":"needle%d"}`, i, i)))
	}
	st.FlushSearch()
	if lag := st.SearchLag(); lag != 0 {
		t.Fatalf("lag %d after flush", lag)
	}
	if got, _ := st.Search(context.Background(), "needle49", 10); len(got) != 1 {
		t.Fatalf("newest not searchable: %v", got)
	}
}

// A delivery that comes alone is indexed as soon as the writer rests: the
// flood's cadence (one batch every indexPace.Every) is for floods only.
func TestLoneDeliveryIsSearchableWithoutTheFloodCadence(t *testing.T) {
	defer func(d time.Duration) { indexPace.Every = d }(indexPace.Every)
	indexPace.Every = time.Hour
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{}, nil)
	time.Sleep(2 * writerBusy) // the writer rests
	rc.Receive(context.Background(), incoming(`{"id":"s-1","note":"needle"}`))
	for deadline := time.Now().Add(5 * time.Second); st.SearchLag() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("lag %d after 5 s", st.SearchLag())
		}
	}
}

// The book keeps sessions newest first however they arrive, and evicts the
// oldest deliveries (their sessions too, once empty) to bound memory.
func TestBookOrderAndEvict(t *testing.T) {
	b := NewBook()
	rec := func(seq int64, id string, at time.Duration, failed bool) Record {
		r := Record{Seq: seq, Status: 200, Incoming: Incoming{ReceivedAt: t0.Add(at)}}
		r.Delivery.SessionID = id
		if failed {
			r.Status, r.Verdict.Signature = 401, decode.SigInvalid
		}
		return r
	}
	b.Add(rec(1, "a", 1*time.Second, false))
	b.Add(rec(2, "b", 2*time.Second, true))
	b.Add(rec(3, "c", 3*time.Second, false))
	b.Add(rec(4, "a", 4*time.Second, false)) // a is the newest again
	b.AddOlder(rec(0, "z", 0, false))
	order := func() (ids string) {
		for _, s := range b.Sessions() {
			ids += s.ID
		}
		return ids
	}
	if got := order(); got != "acbz" {
		t.Fatalf("order %q, want acbz", got)
	}
	if n := b.Evict(3); n != 2 || b.Total != 3 { // #1 (a's first) and #2 (b): z has seq 0, not a delivery seq
		t.Fatalf("evicted %d, total %d", n, b.Total)
	}
	if got := order(); got != "acz" || b.Get("b") != nil || len(b.Get("a").Steps) != 1 || b.Get("a").Steps[0].Delta != 0 {
		t.Fatalf("after evict: %q, a %+v", got, b.Get("a"))
	}
	// A flood of new sessions stays in order, newest first.
	for i := range 10000 {
		b.Add(rec(int64(10+i), fmt.Sprintf("s%05d", i), time.Hour+time.Duration(i)*time.Millisecond, false))
	}
	if s := b.Sessions(); s[0].ID != "s09999" || s[9999].ID != "s00000" || len(s) != 10003 {
		t.Fatalf("flood order: %s … %s (%d)", s[0].ID, s[9999].ID, len(s))
	}
}

// The summaries kept in memory for consumers that keep up are exactly those
// the database gives, for every kind of payload (fixtures, bad input and
// over-size bodies included).
func TestRecentSummariesMatchTheStore(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "key"}, nil)
	ctx := context.Background()
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	broken, _ := filepath.Glob("../testdata/payloads/broken/*")
	files = append(files, broken...)
	if len(files) < 5 {
		t.Fatalf("fixtures: %v", files)
	}
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := incoming(string(body))
		in.Header = signed(body, "sec", "key")
		in.Truncated = i%7 == 3
		in.ReplayOf = int64(i % 3)
		if _, err := rc.Receive(ctx, in); err != nil {
			t.Fatal(err)
		}
		if _, err := rc.Receive(ctx, incoming(string(body))); err != nil { // unsigned: refused, and a duplicate
			t.Fatal(err)
		}
	}
	mem, ok := st.recent.after(0, st.Last(), 1000)
	if !ok || len(mem) != 2*len(files) {
		t.Fatalf("ring: %d rows, %v", len(mem), ok)
	}
	db, err := st.afterSQL(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range db {
		if !reflect.DeepEqual(mem[i], db[i]) {
			t.Fatalf("#%d differs:\nring %+v\nsql  %+v", db[i].Seq, mem[i], db[i])
		}
	}
	// Cleared deliveries are gone from memory too.
	if _, err := st.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if recs, err := st.After(ctx, 0, 10); err != nil || len(recs) != 0 {
		t.Fatalf("after clear: %d %v", len(recs), err)
	}
}
