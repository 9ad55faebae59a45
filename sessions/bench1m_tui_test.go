package sessions_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/ui"
)

// Benchmark1MTUI is the TUI's model over a million stored deliveries:
// opening it as kycwatch does (the store, the newest 5,000 summaries, the
// model, the first 200x50 frame), then one frame per op under a flood
// (100 new deliveries in new sessions folded in, the frame rendered).
// Reported: open-ms, the frame's time as ns/op, and the process's RSS.
func Benchmark1MTUI(b *testing.B) {
	path := sessions.MillionDB(b)
	ctx := context.Background()
	start := time.Now()
	st, err := sessions.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	history, total, err := st.Recent(ctx, 5000)
	if err != nil || total != 1_000_000 {
		b.Fatal(total, err)
	}
	m := ui.New(ui.Info{LocalURL: "http://127.0.0.1:8080", DBPath: path, Tunnel: ui.TunnelMsg{State: "off"}}, history, st.Get).
		WithPaging(st.Before, total).WithSearch(st.Search).WithHistory(5000)
	m = step(m, tea.WindowSizeMsg{Width: 200, Height: 50})
	_ = m.View()
	openMS := float64(time.Since(start).Microseconds()) / 1000

	last := st.Last()
	seq := last
	t0 := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		recs := make([]sessions.Record, 100)
		for i := range recs {
			seq++
			recs[i] = sessions.Record{Seq: seq, Status: 200,
				Incoming: sessions.Incoming{ReceivedAt: t0.Add(time.Duration(seq) * time.Millisecond), Method: "POST", Path: "/veriff/events", BodySize: 180},
				Delivery: decode.Delivery{Kind: decode.KindEvent, Provider: decode.Veriff, SessionID: fmt.Sprintf("%08x-0000-4000-8000-%012x", seq, seq),
					Code: 7001, State: "started", VendorData: "flood-" + strconv.FormatInt(seq, 10)},
				Verdict: decode.Verdict{Signature: decode.SigValid, APIKey: decode.KeyMatch}}
		}
		m = step(m, ui.DeliveriesMsg{Records: recs, Stored: total + int(seq-last)})
		_ = m.View()
	}
	b.ReportMetric(openMS, "open-ms") // after the loop: b.Loop resets what was reported before it
	b.ReportMetric(rssMB(), "MB-rss")
}

func step(m ui.Model, msg tea.Msg) ui.Model {
	nm, _ := m.Update(msg)
	return nm.(ui.Model)
}

// rssMB is the process's resident set (Linux), or the Go heap elsewhere.
func rssMB() float64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
				return float64(kb) / 1024
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}
