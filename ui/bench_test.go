package ui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/sessions"
)

// benchModel is a 200x50 screen over 5000 deliveries in 1000 sessions.
func benchModel(b *testing.B) Model {
	m := newModel(b, 200, 50, nil)
	for i := range 5000 {
		body := []byte(fmt.Sprintf(`{"id":"%08d-d3be-4b28-b028-a652feb060b5","attemptId":"a","feature":"selfid","code":%d,"action":"x","vendorData":"v%d","endUserId":null}`,
			i%1000, 7001+i%2, i))
		m = update(m, DeliveriesMsg{Records: []sessions.Record{judged(int64(i+1), time.Duration(i)*time.Second, body, "sec", "/veriff/events")}})
	}
	return m
}

// BenchmarkView renders the whole screen, as every frame does.
func BenchmarkView(b *testing.B) {
	m := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkDelivery folds one new delivery in (while 5000 are shown) and
// renders the frame: the cost of a delivery arriving live.
func BenchmarkDelivery(b *testing.B) {
	m := benchModel(b)
	body := []byte(`{"id":"00000001-d3be-4b28-b028-a652feb060b5","attemptId":"a","feature":"selfid","code":7002,"action":"submitted","vendorData":"v","endUserId":null}`)
	b.ReportAllocs()
	i := int64(10000)
	for b.Loop() {
		i++
		m = update(m, DeliveriesMsg{Records: []sessions.Record{judged(i, time.Hour, body, "sec", "/veriff/events")}})
		_ = m.View()
	}
}

// BenchmarkScroll moves down the session list one row and renders.
func BenchmarkScroll(b *testing.B) {
	m := benchModel(b)
	down := tea.KeyPressMsg{Code: tea.KeyDown}
	b.ReportAllocs()
	for b.Loop() {
		nm, _ := m.Update(down)
		m = nm.(Model)
		_ = m.View()
	}
}

// BenchmarkFloodNewSessions: during a flood most deliveries open a new
// session while ~6000 are held; each is folded in and the frame drawn.
func BenchmarkFloodNewSessions(b *testing.B) {
	m := newModel(b, 200, 50, nil)
	delivery := func(i int) DeliveriesMsg {
		body := []byte(fmt.Sprintf(`{"id":"%08x-d3be-4b28-b028-a652feb060b5","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v%d","endUserId":null}`, i*2654435761%(1<<32), i))
		return DeliveriesMsg{Records: []sessions.Record{judged(int64(i+1), time.Duration(i)*time.Millisecond, body, "sec", "/veriff/events")}}
	}
	for i := range 6000 {
		m = update(m, delivery(i))
	}
	b.ReportAllocs()
	i := 6000
	for b.Loop() {
		m = update(m, delivery(i))
		_ = m.View()
		i++
	}
}

// BenchmarkFilterKey: three letters typed into the filter over 6,000
// sessions, and the frame after them (each key filters the list again).
func BenchmarkFilterKey(b *testing.B) {
	m := newModel(b, 160, 45, nil)
	for i := range 6000 {
		body := []byte(fmt.Sprintf(`{"id":"%08x-d3be-4b28-b028-a652feb060b5","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v%d","endUserId":null}`, i*2654435761%(1<<32), i))
		m = update(m, DeliveriesMsg{Records: []sessions.Record{judged(int64(i+1), time.Duration(i)*time.Millisecond, body, "sec", "/veriff/events")}})
	}
	m = press(m, "/")
	b.ReportAllocs()
	for b.Loop() {
		typed := press(m, "s", "t", "a")
		_ = typed.View()
	}
}
