package sessions

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
)

// BenchmarkReceive is the listener's path after the body is read: judge,
// store in SQLite (WAL, on disk), publish. Each delivery is a distinct
// session's submitted event, signed.
func BenchmarkReceive(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "k.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{VeriffSecrets: []string{"sec"}}, nil)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := []byte(fmt.Sprintf(`{"id":"%08d-d3be-4b28-b028-a652feb060b5","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7002,"action":"submitted","vendorData":"12345678","endUserId":null}`, i))
		in := Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events", Body: body, BodySize: int64(len(body)),
			Header: map[string][]string{"X-Hmac-Signature": {decode.Sign("sec", body)}, "Content-Type": {"application/json"}}}
		if r, err := rc.Receive(ctx, in); err != nil || r.Status != 200 {
			b.Fatal(r.Status, err)
		}
	}
}

// BenchmarkRecent loads the newest 5000 summaries (what the UI does at
// start, --history) from a database of 20000 deliveries.
func BenchmarkRecent(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "k.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{}, nil)
	ctx := context.Background()
	for i := range 20000 {
		body := []byte(fmt.Sprintf(`{"id":"s%d","code":7001,"action":"started","feature":"selfid"}`, i%3000))
		rc.Receive(ctx, Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/", Body: body, BodySize: int64(len(body)), Header: map[string][]string{}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if recs, total, err := st.Recent(ctx, 5000); err != nil || len(recs) != 5000 || total != 20000 {
			b.Fatal(len(recs), total, err)
		}
	}
}

// BenchmarkReceiveConcurrent is BenchmarkReceive with 16 deliveries in
// flight at once, as under a flood (the load tool's 2 KiB bodies): they
// share the writer's transactions (group commit).
func BenchmarkReceiveConcurrent(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "k.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "key"}, nil)
	pad := strings.Repeat("x", 1648)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8) // × GOMAXPROCS goroutines
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := n.Add(1)
			body := []byte(fmt.Sprintf(`{"id":"%08x-0000-4000-8000-%012x","attemptId":"00000000-0000-4000-8000-000000000001","feature":"selfid","code":7001,"action":"started","vendorData":"%s","endUserId":null}`, i%16, i, pad))
			in := Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events", Body: body, BodySize: int64(len(body)),
				Header: map[string][]string{"X-Hmac-Signature": {decode.Sign("sec", body)}, "X-Auth-Client": {"key"}, "Content-Type": {"application/json"}}}
			if r, err := rc.Receive(ctx, in); err != nil || r.Status != 200 {
				b.Fatal(r.Status, err)
			}
		}
	})
}

// BenchmarkAppend is the writer alone: deliveries already judged, 16 at a
// time, stored in groups. cpu-µs/op is the process's CPU time per delivery
// (getrusage), which holds on a busy machine where ns/op does not.
func BenchmarkAppend(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "k.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pad := strings.Repeat("x", 1648)
	keys := decode.Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "key"}
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := n.Add(1)
			body := []byte(fmt.Sprintf(`{"id":"%08x-0000-4000-8000-%012x","attemptId":"00000000-0000-4000-8000-000000000001","feature":"selfid","code":7001,"action":"started","vendorData":"%s","endUserId":null}`, i%16, i, pad))
			r := Judge(Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events", Body: body, BodySize: int64(len(body)),
				Header: map[string][]string{"X-Hmac-Signature": {decode.Sign("sec", body)}, "X-Auth-Client": {"key"}, "Content-Type": {"application/json"}}}, keys)
			if _, err := st.Append(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
