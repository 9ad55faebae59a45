package sessions

import (
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/verifime"
)

// recentRing keeps the summaries of the newest deliveries in memory, as
// the writer committed them, so that consumers keeping up (the TUI, the
// printer) read them without asking SQLite again. A consumer that asks for
// anything older, or a seq the ring does not hold, reads the store: the
// ring only saves work, it never decides what is there.
type recentRing struct {
	mu    sync.RWMutex
	slots []Record // slot seq % len(slots) holds that seq's summary, or another seq's
}

// ringSize is how many summaries the ring holds: a few seconds of a flood.
const ringSize = 8192

func newRecentRing() *recentRing { return &recentRing{slots: make([]Record, ringSize)} }

// put keeps the summaries of committed deliveries.
func (g *recentRing) put(recs []*pendingWrite) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range recs {
		if p.err == nil {
			g.slots[p.r.Seq%ringSize] = summaryOf(*p.r)
		}
	}
}

// after returns up to limit summaries after seq when the ring holds every
// one of them up to last, and false when it does not.
func (g *recentRing) after(seq, last int64, limit int) ([]Record, bool) {
	n := min(int64(limit), last-seq)
	if n <= 0 {
		return nil, true
	}
	if n > ringSize {
		return nil, false
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]Record, 0, n)
	for s := seq + 1; s <= seq+n; s++ {
		r := g.slots[s%ringSize]
		if r.Seq != s {
			return nil, false
		}
		out = append(out, r)
	}
	return out, true
}

// forget drops every summary up to seq cut (deleted from the store).
func (g *recentRing) forget(cut int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.slots {
		if g.slots[i].Seq <= cut {
			g.slots[i] = Record{}
		}
	}
}

// summaryOf is r as a summary read from the store would be (scanSummary):
// no headers, no body, the delivery reduced to its columns.
func summaryOf(r Record) Record {
	d := r.Delivery
	s := Record{Seq: r.Seq, Status: r.Status, DuplicateOf: r.DuplicateOf, Answered: r.Answered, Origin: r.Origin, StreamSeq: r.StreamSeq,
		Incoming: Incoming{ReceivedAt: time.Unix(0, r.ReceivedAt.UTC().UnixNano()).UTC(), Method: r.Method, Path: r.Path,
			RemoteAddr: r.RemoteAddr, BodySize: r.BodySize, Truncated: r.Truncated, ReplayOf: r.ReplayOf},
		Delivery: decode.Delivery{Kind: d.Kind, Provider: d.Provider, SessionID: d.SessionID, AttemptID: d.AttemptID, Code: d.Code,
			State: d.State, VendorData: d.VendorData, EndUserID: d.EndUserID, Note: d.Note, Problem: d.Problem},
		Verdict: decode.Verdict{Signature: r.Verdict.Signature, APIKey: r.Verdict.APIKey, Reason: r.Verdict.Reason, Header: r.Verdict.Header},
	}
	if risk := riskLevel(d); risk != "" || d.Kind == decode.KindRiskAssessment {
		s.Delivery.Risk = &verifime.RiskAssessment{RiskLevel: risk}
	}
	return s
}
