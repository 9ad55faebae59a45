package bus

import (
	"context"
	"sync"
	"testing"
)

type mark int64

func (m mark) Supersedes(earlier any) bool { _, ok := earlier.(mark); return ok }

func TestEveryEventInOrder(t *testing.T) {
	b := New()
	s := b.Subscribe()
	defer s.Close()
	for i := range 1000 {
		b.Publish(i)
	}
	<-s.Ready()
	got := s.Take()
	if len(got) != 1000 {
		t.Fatalf("got %d events, want 1000", len(got))
	}
	for i, e := range got {
		if e.(int) != i {
			t.Fatalf("event %d is %v", i, e)
		}
	}
	if rest := s.Take(); len(rest) != 0 {
		t.Fatalf("queue not emptied: %v", rest)
	}
}

func TestSupersededEventsCollapse(t *testing.T) {
	b := New()
	s := b.Subscribe()
	defer s.Close()
	b.Publish(mark(1))
	b.Publish(mark(2))
	b.Publish("tunnel online")
	b.Publish(mark(3))
	b.Publish(mark(4))
	got := s.Take()
	want := []any{mark(2), "tunnel online", mark(4)}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

// A consumer that never reads does not hold up the publisher, and the
// others still get everything.
func TestSlowConsumerDoesNotBlock(t *testing.T) {
	b := New()
	stuck := b.Subscribe()
	defer stuck.Close()
	live := b.Subscribe()
	defer live.Close()
	var wg sync.WaitGroup
	var n int
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n < 10000 {
			select {
			case <-live.Ready():
				n += len(live.Take())
			case <-done:
				return
			}
		}
	}()
	for i := range 10000 {
		b.Publish(i)
	}
	wg.Wait()
	close(done)
	if n != 10000 {
		t.Fatalf("live consumer got %d", n)
	}
	if q := stuck.Take(); len(q) != 10000 {
		t.Fatalf("stuck consumer has %d queued, want 10000", len(q))
	}
}

func TestClosedSubscriptionGetsNothing(t *testing.T) {
	b := New()
	s := b.Subscribe()
	s.Close()
	b.Publish(1)
	if q := s.Take(); len(q) != 0 {
		t.Fatalf("closed subscription got %v", q)
	}
}

func TestWaitTakesUntilCancelled(t *testing.T) {
	b := New()
	s := b.Subscribe()
	b.Publish(1)
	b.Publish(2)
	ctx, cancel := context.WithCancel(context.Background())
	if q, ok := s.Wait(ctx); !ok || len(q) != 2 || q[0] != 1 || q[1] != 2 {
		t.Fatalf("Wait = %v, %v; want [1 2], true", q, ok)
	}
	cancel()
	if q, ok := s.Wait(ctx); ok || q != nil {
		t.Fatalf("Wait after cancel = %v, %v; want nothing, false", q, ok)
	}
}
