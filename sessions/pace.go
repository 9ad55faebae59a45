package sessions

import (
	"cmp"
	"time"
)

// Pacer paces work that follows the store beside ingest (search indexing,
// team publishing), so that a flood leaves the cores to ingest: at full
// speed while the writer rests, or once MaxLag behind; while the writer
// stays busy, one batch of Trickle every Every. A busy writer is looked at
// again every paceTick, so a delivery that came alone goes as soon as the
// writer rests. The trickle is one batch a second rather than small ones
// often: each batch is a transaction, with a cost of its own.
type Pacer struct {
	Full, Trickle int           // a batch at full speed; one during a flood
	MaxLag        int64         // past this, full speed anyway
	Every         time.Duration // between trickles (0: a second)
	trickled      time.Time
}

// paceTick is how often a busy writer is looked at again.
const paceTick = 100 * time.Millisecond

// Next says how many to take now, lag behind the store, after waiting as
// the writer asks: 0 means none yet (call again), and ok is false when stop
// closed during the wait.
func (p *Pacer) Next(s *Store, lag int64, stop <-chan struct{}) (limit int, ok bool) {
	if lag <= 0 || lag >= p.MaxLag || !s.WriterBusy() {
		return p.Full, true
	}
	select {
	case <-stop:
		return 0, false
	case <-time.After(paceTick):
	}
	if !s.WriterBusy() {
		return p.Full, true
	}
	if time.Since(p.trickled) < cmp.Or(p.Every, time.Second) {
		return 0, true
	}
	p.trickled = time.Now()
	return p.Trickle, true
}
