package team

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// fetchBatch is how many messages a follower asks for at once.
const fetchBatch = 512

// Since is where a follower without a durable position starts: the
// stream's start (zero), a time, or a stream sequence.
type Since struct {
	Time time.Time
	Seq  uint64
}

// ParseSince reads --since: a duration back from now (1h, 30m) or a stream
// sequence (1234).
func ParseSince(s string, now time.Time) (Since, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseUint(s, 10, 64); err == nil && n > 0 {
		return Since{Seq: n}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return Since{Time: now.Add(-d)}, nil
	}
	return Since{}, fmt.Errorf("--since %q: want a duration back from now (1h, 30m) or a stream sequence (1234)", s)
}

// FollowerConfig is what a follower needs.
type FollowerConfig struct {
	Store *sessions.Store
	Dial  Dial
	// Name makes the consumer durable: a follower restarted under the
	// same name resumes where it stopped. "" reads from Since on each run.
	Name   string
	Since  Since
	Events sessions.Publisher // the app's bus: timeline events go there
	Log    *slog.Logger
	Say    func(string)
}

// Follower stores what the stream carries into its local store, in stream
// order; the ordinary consumers (TUI, headless) follow that store. With a
// name, each message is acknowledged once its row is committed, so a
// follower killed at any point gets again only what it had not stored,
// and a row it already holds (origin_ref) is not stored twice.
type Follower struct {
	c    FollowerConfig
	nc   *nats.Conn
	cons jetstream.Consumer
	down bool
	// faulted: a fetch failed in this run; the consumer is placed again
	// after what is stored (consumer).
	faulted bool
	done    chan struct{}
}

// NewFollower returns a follower; Connect reaches NATS, Run follows.
func NewFollower(c FollowerConfig) *Follower {
	if c.Say == nil {
		c.Say = func(string) {}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return &Follower{c: c, done: make(chan struct{})}
}

// Connect makes the first attempt. A refusal or a stream of another layout
// is returned (kycwatch exits); anything else is said, and Run retries.
func (f *Follower) Connect(ctx context.Context) error {
	return firstAttempt(ctx, f.connect, f.trouble)
}

func (f *Follower) connect(ctx context.Context) error {
	nc, js, err := f.c.Dial.jetStream()
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := findStream(cctx, js)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		nc.Close()
		return fmt.Errorf("NATS at %s has no stream %s yet (is a kycwatch sharing or publishing there?)", f.c.Dial.Where(), Stream)
	}
	if err == nil {
		f.cons, err = f.consumer(cctx, s, f.faulted)
	}
	if err != nil {
		nc.Close()
		if errors.Is(err, ErrLayout) {
			return err
		}
		return fmt.Errorf("NATS at %s: %v", f.c.Dial.Where(), err)
	}
	f.nc = nc
	return nil
}

// consumer is the durable consumer named by --name (created at Since the
// first time), or an ordered one from Since. After a fault in this run
// (resume), messages may have been lost in flight: JetStream would send
// them again only after the ack wait, behind newer ones. So the consumer
// starts again right after the last delivery stored here (or its ack
// floor, if further), and the stream's order holds.
func (f *Follower) consumer(ctx context.Context, s jetstream.Stream, resume bool) (jetstream.Consumer, error) {
	policy, seq, at := jetstream.DeliverAllPolicy, f.c.Since.Seq, (*time.Time)(nil)
	switch {
	case seq > 0:
		policy = jetstream.DeliverByStartSequencePolicy
	case !f.c.Since.Time.IsZero():
		policy, at = jetstream.DeliverByStartTimePolicy, &f.c.Since.Time
	}
	name := Token(f.c.Name)
	if resume {
		last, err := f.c.Store.LastStreamSeq(ctx)
		if err != nil {
			return nil, err
		}
		if f.c.Name != "" {
			if c, err := s.Consumer(ctx, name); err == nil {
				if info, err := c.Info(ctx); err == nil {
					last = max(last, int64(info.AckFloor.Stream))
				}
			}
			if err := s.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
				return nil, err
			}
		}
		if last > 0 {
			policy, seq, at = jetstream.DeliverByStartSequencePolicy, uint64(last)+1, nil
		}
	}
	if f.c.Name == "" {
		return s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: policy, OptStartSeq: seq, OptStartTime: at})
	}
	c, err := s.Consumer(ctx, name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		c, err = s.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: name, Description: "kycwatch follow --name " + CleanName(f.c.Name),
			AckPolicy: jetstream.AckAllPolicy, AckWait: 30 * time.Second, MaxAckPending: 4 * fetchBatch,
			DeliverPolicy: policy, OptStartSeq: seq, OptStartTime: at})
	}
	return c, err
}

func (f *Follower) trouble(err error) {
	f.c.Log.Warn("team follow", "err", err)
	if !f.down {
		f.down = true
		f.c.Say(fmt.Sprintf("%v; retrying with backoff", err))
	}
}

// Run follows the stream until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	defer close(f.done)
	defer func() {
		if f.nc != nil {
			f.nc.Close()
		}
	}()
	var b backoff
	for ctx.Err() == nil {
		if f.nc == nil {
			switch b.attempt(ctx, f.connect, f.trouble, func(err error) { f.c.Say(err.Error() + ": nothing more is followed") }) {
			case stop:
				return
			case retry:
				continue
			}
		}
		n, err := f.fetch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			f.trouble(err)
			f.nc.Close()
			f.nc, f.cons, f.faulted = nil, nil, true
			if !b.wait(ctx) {
				return
			}
			continue
		}
		if f.down && n > 0 {
			f.down = false
			f.c.Say("following " + f.c.Dial.Where() + " again")
		}
		b.reset()
	}
}

// Wait returns once Run has returned.
func (f *Follower) Wait() { <-f.done }

// fetch takes one pull's messages, storing them in batches of what has
// arrived, and returns how many came.
func (f *Follower) fetch(ctx context.Context) (int, error) {
	batch, err := f.cons.Fetch(fetchBatch, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		return 0, err
	}
	msgs := batch.Messages()
	var buf []jetstream.Msg
	n := 0
	for {
		var m jetstream.Msg
		var ok bool
		if len(buf) == 0 {
			m, ok = <-msgs
		} else {
			select {
			case m, ok = <-msgs:
			default: // nothing more yet: store what came
				if err := f.store(ctx, buf); err != nil {
					return n, err
				}
				buf = buf[:0]
				continue
			}
		}
		if !ok {
			break
		}
		buf = append(buf, m)
		n++
	}
	if err := f.store(ctx, buf); err != nil {
		return n, err
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		return n, err
	}
	return n, nil
}

// store commits the deliveries of msgs in their order, then the timeline
// events, then acknowledges them.
func (f *Follower) store(ctx context.Context, msgs []jetstream.Msg) error {
	if len(msgs) == 0 {
		return nil
	}
	var recs []sessions.Record
	var later []*Message
	seen := map[string]bool{}
	for _, m := range msgs {
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		msg, err := decodeMessage(m.Data())
		if err != nil || msg.Layout != Layout {
			f.c.Log.Warn("team follow: a message kycwatch cannot read, skipped", "subject", m.Subject(), "stream_seq", meta.Sequence.Stream)
			continue
		}
		msg.Origin = CleanName(msg.Origin)
		if msg.Type != TypeDelivery || msg.Delivery == nil {
			later = append(later, msg)
			continue
		}
		r := toRecord(msg, int64(meta.Sequence.Stream))
		if seen[r.OriginRef] {
			continue
		}
		seen[r.OriginRef] = true
		if _, held := f.c.Store.SeqOfOrigin(ctx, r.OriginRef); held {
			continue // a republish JetStream kept (after its window), or a redelivery
		}
		if r.ReplayOf != 0 {
			r.ReplayOf, _ = f.c.Store.SeqOfOrigin(ctx, ref(msg.Origin, msg.Instance, r.ReplayOf))
		}
		recs = append(recs, r)
	}
	if len(recs) > 0 {
		if _, err := f.c.Store.AppendAll(ctx, recs); err != nil && !strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("store followed deliveries: %w", err)
		}
	}
	for _, m := range later {
		if err := f.event(ctx, m); err != nil {
			return err
		}
	}
	if f.c.Name != "" {
		// The consumer acknowledges all up to a message (they are stored in
		// order): one acknowledgement a batch, confirmed by the server, so
		// none is lost to a reconnect.
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := msgs[len(msgs)-1].DoubleAck(actx); err != nil {
			return fmt.Errorf("acknowledge: %w", err)
		}
	}
	return nil
}

// event stores a test-session, tracking or forward event once, and tells
// the bus.
func (f *Follower) event(ctx context.Context, m *Message) error {
	st := f.c.Store
	switch {
	case m.Type == TypeTestSession && m.TestSession != nil:
		t := *m.TestSession
		if err := st.AddTestSession(ctx, t); err != nil { // by id: a second copy replaces the first
			return err
		}
		f.publish(t)
	case m.Type == TypeTracking && m.Tracking != nil:
		t := *m.Tracking
		have, err := st.Tracking(ctx, []string{t.SessionID})
		if err != nil {
			return err
		}
		for _, h := range have {
			if h.At.Equal(t.At) && h.Status == t.Status {
				return nil
			}
		}
		if err := st.AddTracking(ctx, t); err != nil {
			return err
		}
		f.publish(t)
	case m.Type == TypeForward && m.Forward != nil:
		fw := *m.Forward
		seq, ok := st.SeqOfOrigin(ctx, ref(m.Origin, m.Instance, fw.Seq))
		if !ok {
			return nil // its delivery is not here (before --since)
		}
		fw.Seq = seq
		have, err := st.Forwards(ctx, seq)
		if err != nil {
			return err
		}
		for _, h := range have {
			if h.At.Equal(fw.At) && h.Target == fw.Target && h.Attempt == fw.Attempt {
				return nil
			}
		}
		if err := st.AddForward(ctx, fw); err != nil {
			return err
		}
		f.publish(fw)
	}
	return nil
}

func (f *Follower) publish(e any) {
	if f.c.Events != nil {
		f.c.Events.Publish(e)
	}
}

// toRecord is the row a follower stores for a delivery message. The
// verdict is the receiving instance's, as it was sent.
func toRecord(m *Message, streamSeq int64) sessions.Record {
	d := m.Delivery
	r := sessions.Record{Incoming: sessions.Incoming{ReceivedAt: d.ReceivedAt.UTC(), Method: d.Method, Path: d.Path,
		RemoteAddr: d.RemoteAddr, Header: d.Header, Body: d.Body, BodySize: d.BodySize, Truncated: d.Truncated, ReplayOf: d.ReplayOf},
		Status: d.Status, Answered: d.Answered, Origin: m.Origin, OriginRef: ref(m.Origin, m.Instance, d.Seq), StreamSeq: streamSeq}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Delivery = decode.Delivery{Kind: decode.Kind(d.Kind), Provider: decode.Provider(d.Provider), SessionID: d.SessionID,
		AttemptID: d.AttemptID, Code: d.Code, State: d.State, VendorData: d.VendorData, EndUserID: d.EndUserID, Note: d.Note,
		Problem: d.Problem}
	if d.RiskLevel != "" || r.Delivery.Kind == decode.KindRiskAssessment {
		r.Delivery.Risk = &verifime.RiskAssessment{RiskLevel: d.RiskLevel}
	}
	r.Verdict = decode.Verdict{Signature: decode.Signature(d.Signature), APIKey: decode.APIKey(d.APIKey), Reason: d.Reason, Header: d.SigHeader}
	return r
}
