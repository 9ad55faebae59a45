package sessions

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestBeforePagesBackInOrder: Before (the page the UI loads when scrolling
// past what it holds) returns the summaries just older than seq, oldest
// first, without bodies, and stops at the oldest kept after a prune.
func TestBeforePagesBackInOrder(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range 10 {
		appendBody(t, st, fmt.Sprintf(`{"id":"s%d","code":7001,"action":"started","feature":"selfid"}`, i%3))
	}
	appendBody(t, st, `{"id":"s0","code":7001,"action":"started","feature":"selfid"}`) // #11, a duplicate of #1
	seqs := func(recs []Record) []int64 {
		var out []int64
		for _, r := range recs {
			out = append(out, r.Seq)
		}
		return out
	}
	ctx := context.Background()
	for _, c := range []struct {
		before int64
		limit  int
		want   string
	}{{8, 3, "[5 6 7]"}, {2, 5, "[1]"}, {1, 5, "[]"}, {100, 2, "[10 11]"}} {
		recs, err := st.Before(ctx, c.before, c.limit)
		if err != nil || fmt.Sprint(seqs(recs)) != c.want {
			t.Errorf("Before(%d, %d) = %v, %v; want %s", c.before, c.limit, seqs(recs), err, c.want)
		}
	}
	recs, _ := st.Before(ctx, 12, 1)
	if len(recs) != 1 || recs[0].Body != nil || recs[0].DuplicateOf != 1 || recs[0].Delivery.SessionID != "s0" || recs[0].Delivery.State != "started" {
		t.Errorf("summary %+v", recs)
	}
	if _, err := st.Prune(ctx, Retention{MaxCount: 5}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if recs, _ := st.Before(ctx, 9, 10); fmt.Sprint(seqs(recs)) != "[7 8]" {
		t.Errorf("after keeping the newest 5, Before(9) = %v", seqs(recs))
	}
}
