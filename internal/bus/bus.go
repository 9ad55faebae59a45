// Package bus is kycwatch's one event bus: every service publishes typed
// events to it (a delivery stored, the tunnel's state, a forward's outcome,
// the keys deliveries are now checked with, …) and each consumer (the TUI,
// the headless printer, the expectations) reads them from a subscription of
// its own, at its own pace.
//
// Publish never blocks and never drops: a subscription queues what its
// consumer has not taken yet. Events that only say "the latest is X" (the
// store's high-water mark) replace the one still queued before them, so a
// consumer that stops reading costs one queued event, not one per commit.
package bus

import (
	"context"
	"sync"
)

// Superseder is an event that makes an earlier one of its kind, still
// queued, pointless: only the newest needs to be read.
type Superseder interface {
	Supersedes(earlier any) bool
}

// Bus fans events out to its subscriptions.
type Bus struct {
	mu   sync.Mutex
	subs map[*Sub]struct{}
}

// New returns a bus with no subscriptions.
func New() *Bus { return &Bus{subs: map[*Sub]struct{}{}} }

// Publish queues e for every subscription. It never blocks.
func (b *Bus) Publish(e any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.put(e)
	}
}

// Subscribe starts a subscription: it gets every event published from now
// on, in order. Close it when done.
func (b *Bus) Subscribe() *Sub {
	s := &Sub{bus: b, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Sub is one consumer's subscription.
type Sub struct {
	bus   *Bus
	mu    sync.Mutex
	queue []any
	ready chan struct{} // holds a token while the queue is not empty
}

func (s *Sub) put(e any) {
	s.mu.Lock()
	if n := len(s.queue); n > 0 {
		if sup, ok := e.(Superseder); ok && sup.Supersedes(s.queue[n-1]) {
			s.queue[n-1] = e
			s.mu.Unlock()
			return
		}
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default: // a token is already there
	}
}

// Ready has a value when events are waiting to be taken.
func (s *Sub) Ready() <-chan struct{} { return s.ready }

// Take returns every event waiting, oldest first, and empties the queue.
func (s *Sub) Take() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// Wait waits for events and takes them (Ready, then Take); ok is false,
// and nothing taken, once ctx ends first.
func (s *Sub) Wait(ctx context.Context) (events []any, ok bool) {
	select {
	case <-ctx.Done():
		return nil, false
	case <-s.ready:
		return s.Take(), true
	}
}

// Close ends the subscription: nothing more is queued for it.
func (s *Sub) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
}
