package team

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/sessions"
)

// Settings the publisher keeps in the store.
const (
	settingInstance  = "team.instance"   // this store's id in message ids
	settingPublished = "team.published/" // + origin: the last seq JetStream acknowledged
)

// publishBatch is how many deliveries go out before their acks are awaited.
const publishBatch = 256

// republish is how far before the last acknowledged seq a publisher
// starts again: the acknowledgement kept in the store may be a little
// behind what JetStream holds, and deduplication drops the overlap.
const republish = 64

// ackWait bounds the wait for a batch's acknowledgements.
const ackWait = 5 * time.Second

// PublisherConfig is what a publisher needs.
type PublisherConfig struct {
	Store    *sessions.Store
	Events   *bus.Bus
	Dial     Dial
	Origin   string // --name, or host:port
	Replicas int    // the stream's replicas when this publisher creates it
	Log      *slog.Logger
	// Say tells the person running kycwatch (stderr, or the TUI's footer).
	Say func(string)
}

// CreatedHere is the event of a test session created from this
// instance's keyboard (the lab's OnCreated): only the publisher reads it.
type CreatedHere struct{ sessions.TestSession }

// Publisher sends every stored delivery, and the test-session, tracking
// and forward events, to the stream. It follows the store by seq on its
// own subscription: ingest never waits for it, and after NATS comes back
// it catches up from the last seq JetStream acknowledged.
type Publisher struct {
	c        PublisherConfig
	sub      *bus.Sub
	instance string
	acked    atomic.Int64
	saved    int64     // the acked seq last written to the store
	savedAt  time.Time // when
	pending  []*Message
	nc       *nats.Conn
	js       jetstream.JetStream
	down     bool // NATS failed; said once until it is back
	done     chan struct{}
}

// NewPublisher subscribes to the bus at once, so no event published after
// it is missed.
func NewPublisher(ctx context.Context, c PublisherConfig) (*Publisher, error) {
	if c.Say == nil {
		c.Say = func(string) {}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	p := &Publisher{c: c, done: make(chan struct{})}
	p.instance = c.Store.Setting(ctx, settingInstance)
	if p.instance == "" {
		p.instance = NewToken()[:12]
		if err := c.Store.SetSetting(ctx, settingInstance, p.instance); err != nil {
			return nil, err
		}
	}
	last, _ := strconv.ParseInt(c.Store.Setting(ctx, settingPublished+c.Origin), 10, 64)
	p.acked.Store(last)
	p.saved = last
	p.sub = c.Events.Subscribe()
	return p, nil
}

// Connect makes the first attempt to reach NATS. A refusal (wrong token)
// or a stream of another layout is returned: kycwatch exits on those.
// NATS unreachable is said, and Run keeps trying in the background.
func (p *Publisher) Connect(ctx context.Context) error {
	return firstAttempt(ctx, p.connect, p.trouble)
}

func (p *Publisher) connect(ctx context.Context) error {
	nc, js, err := p.c.Dial.jetStream(jetstream.WithPublishAsyncMaxPending(4 * publishBatch))
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = ensureStream(cctx, js, p.c.Replicas)
	cancel()
	if err != nil {
		nc.Close()
		if errors.Is(err, ErrLayout) {
			return err
		}
		return fmt.Errorf("NATS at %s: stream %s: %v", p.c.Dial.Where(), Stream, err)
	}
	p.nc, p.js = nc, js
	return nil
}

// trouble says once that publishing is held up, and why.
func (p *Publisher) trouble(err error) {
	p.c.Log.Warn("team publish", "err", err)
	if !p.down {
		p.down = true
		p.c.Say(fmt.Sprintf("%v; retrying with backoff (deliveries are still answered and stored, and published once NATS is back)", err))
	}
}

// Acked is the newest seq JetStream acknowledged.
func (p *Publisher) Acked() int64 { return p.acked.Load() }

// Origin is the name deliveries are published under.
func (p *Publisher) Origin() string { return p.c.Origin }

// Run publishes until ctx ends. Call it once.
func (p *Publisher) Run(ctx context.Context) {
	defer close(p.done)
	defer p.sub.Close()
	defer func() {
		p.save(context.Background(), true)
		if p.nc != nil {
			p.nc.Close()
		}
	}()
	cur := p.c.Store.Follow(max(0, p.acked.Load()-republish))
	var b backoff
	for {
		if p.js == nil {
			switch b.attempt(ctx, p.connect, p.trouble, func(err error) {
				p.c.Say(err.Error() + ": nothing more is published")
				p.c.Log.Error("team publish", "err", err)
			}) {
			case stop:
				return
			case retry:
				continue
			}
		}
		for _, e := range p.sub.Take() {
			if m := p.event(e); m != nil {
				p.pending = append(p.pending, m)
			}
		}
		err := p.drain(ctx, cur)
		if err == nil {
			err = p.flushEvents(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.trouble(err)
			// Dial again (another node of a cluster, the stream checked
			// again), and publish again from what JetStream acknowledged:
			// what it holds beyond that is dropped as duplicate.
			p.nc.Close()
			p.nc, p.js = nil, nil
			cur = p.c.Store.Follow(p.acked.Load())
			if !b.wait(ctx) {
				return
			}
			continue
		}
		if p.down {
			p.down = false
			p.c.Say(fmt.Sprintf("publishing to NATS again (%s): caught up to #%d", p.c.Dial.Where(), p.acked.Load()))
		}
		b.reset()
		p.save(ctx, false)
		select {
		case <-ctx.Done():
			return
		case <-p.sub.Ready():
		case <-time.After(time.Second): // to save the acked seq, and try pending events again
		}
		// Let more rows arrive first: under a flood the publisher wakes
		// 20 times a second and reads hundreds of rows at once, instead of
		// a few after every commit (the read, not the row, is the cost).
		select {
		case <-ctx.Done():
			return
		case <-time.After(linger):
		}
	}
}

// linger is how long the publisher lets deliveries gather before it reads
// them: the delay a follower sees, at most.
const linger = 50 * time.Millisecond

// Wait returns once Run has returned.
func (p *Publisher) Wait() { <-p.done }

// event is the message for a bus event that a timeline shows, or nil.
func (p *Publisher) event(e any) *Message {
	m := &Message{Layout: Layout, Origin: p.c.Origin, Instance: p.instance}
	switch e := e.(type) {
	case sessions.TestSession: // made through the sandbox's API
		m.Type, m.TestSession = TypeTestSession, &e
	case CreatedHere: // from the keyboard
		m.Type, m.TestSession = TypeTestSession, &e.TestSession
	case sessions.TrackingStep:
		m.Type, m.Tracking = TypeTracking, &e
	case sessions.Forward:
		m.Type, m.Forward = TypeForward, &e
	default:
		return nil
	}
	return m
}

// Under a flood the publisher trickles, as the search indexer does
// (sessions.Pacer): the two cores go to ingest, the team view lags and
// catches up as soon as the writer rests, or at full speed once 50,000
// behind. pace's Every is set by tests.
var pace = sessions.Pacer{Full: publishBatch, Trickle: 250, MaxLag: 50_000}

// drain publishes every delivery stored after the cursor, in batches, each
// acknowledged before the next.
func (p *Publisher) drain(ctx context.Context, cur *sessions.Cursor) error {
	pace := pace
	for {
		limit, ok := pace.Next(p.c.Store, p.c.Store.Last()-cur.At(), ctx.Done())
		if !ok {
			return ctx.Err()
		}
		if limit == 0 {
			continue
		}
		recs, err := cur.NextWhole(ctx, limit)
		if err != nil {
			return fmt.Errorf("read the store: %w", err)
		}
		if len(recs) == 0 {
			return nil
		}
		msgs := make([]*Message, len(recs))
		for i, r := range recs {
			msgs[i] = &Message{Layout: Layout, Origin: p.c.Origin, Instance: p.instance, Type: TypeDelivery, Delivery: fromRecord(r)}
		}
		if err := p.publish(ctx, msgs); err != nil {
			return err
		}
		p.acked.Store(recs[len(recs)-1].Seq)
		p.save(ctx, false)
	}
}

// flushEvents publishes the timeline events waiting.
func (p *Publisher) flushEvents(ctx context.Context) error {
	for len(p.pending) > 0 {
		n := min(len(p.pending), publishBatch)
		if err := p.publish(ctx, p.pending[:n]); err != nil {
			if len(p.pending) > 100000 { // NATS gone for long: keep the newest
				p.pending = p.pending[len(p.pending)-100000:]
			}
			return err
		}
		p.pending = p.pending[n:]
	}
	return nil
}

// publish sends msgs and waits for every acknowledgement.
func (p *Publisher) publish(ctx context.Context, msgs []*Message) error {
	futs := make([]jetstream.PubAckFuture, 0, len(msgs))
	limit := p.nc.MaxPayload() - 4096 // room for headers
	for _, m := range msgs {
		data, err := m.encode()
		if err != nil {
			return err
		}
		if int64(len(data)) > limit && m.Delivery != nil {
			// Too big for NATS: the rest of the row still goes, its body
			// stays with the receiving instance.
			d := *m.Delivery
			d.Body, d.Truncated = nil, true
			d.Problem = "body too large for NATS: kept on " + m.Origin
			m2 := *m
			m2.Delivery = &d
			if data, err = m2.encode(); err != nil {
				return err
			}
		}
		f, err := p.js.PublishMsgAsync(&nats.Msg{Subject: m.subject(), Data: data}, jetstream.WithMsgID(m.msgID()),
			jetstream.WithExpectStream(Stream))
		if err != nil {
			return fmt.Errorf("NATS at %s: publish: %v", p.c.Dial.Where(), err)
		}
		futs = append(futs, f)
	}
	t := time.NewTimer(ackWait)
	defer t.Stop()
	for _, f := range futs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("NATS at %s: %v", p.c.Dial.Where(), err)
		case <-t.C:
			return fmt.Errorf("NATS at %s did not acknowledge within %s", p.c.Dial.Where(), ackWait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// save keeps the acked seq in the store, at most once a second (the
// settings share the writer's lock), and always at the end.
func (p *Publisher) save(ctx context.Context, final bool) {
	a := p.acked.Load()
	if a == p.saved || !final && time.Since(p.savedAt) < time.Second {
		return
	}
	if err := p.c.Store.SetSetting(ctx, settingPublished+p.c.Origin, strconv.FormatInt(a, 10)); err != nil {
		p.c.Log.Warn("team publish: keep the acknowledged seq", "err", err)
		return
	}
	p.saved, p.savedAt = a, time.Now()
}
