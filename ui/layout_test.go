package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/sessions"
)

// simEvent is a simulated session's delivery, as the simulator signs it.
func simEvent(seq int64, at time.Duration, attempt, body string) sessions.Record {
	return judged(seq, at, []byte(`{"id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7","attemptId":"`+attempt+`",`+body+`,"vendorData":"demo","endUserId":null}`), "sec", "/veriff/events")
}

// TestNewestStepStaysInViewAfterResubmission: at 80x24, after r
// (resubmission) the selected newest step is drawn inside the timeline
// pane, however tall the footer's notice and the pane's wait line are.
func TestNewestStepStaysInViewAfterResubmission(t *testing.T) {
	lab := &fakeLab{}
	m := run(t, labModel(t, 80, 24, lab), "n", "enter")
	m = update(m, simulatorKeys)
	m = update(m, DeliveriesMsg{Records: []sessions.Record{simEvent(1, 102*time.Second, "a1", `"feature":"selfid","code":7001,"action":"started"`)}})
	m = update(m, DeliveriesMsg{Records: []sessions.Record{simEvent(2, 106*time.Second, "a1", `"feature":"selfid","code":7002,"action":"submitted"`)}})
	m = run(t, m, "r")
	decision := judged(3, 110*time.Second, []byte(`{"status":"success","verification":{"id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7","attemptId":"a1","code":9103,"status":"resubmission_requested","vendorData":"demo","reasonCode":204,"reason":"Poor image quality."}}`), "sec", "/veriff/decisions")
	m = update(m, DeliveriesMsg{Records: []sessions.Record{decision}})
	m = update(m, DeliveriesMsg{Records: []sessions.Record{simEvent(4, 115*time.Second, "a2", `"feature":"selfid","code":7001,"action":"started"`)}})
	if m.timeline.sel != 4 {
		t.Fatalf("selected #%d, want the newest (#4)", m.timeline.sel)
	}
	out := checkSize(t, screen(m), 80, 24)
	// The newest step is at 09:01:55; it must be drawn in the timeline's
	// box (the right half of the top row of panes).
	lines := strings.Split(out, "\n")
	found := false
	for _, l := range lines {
		if strings.Contains(l, "09:01:55 +5s") { // the timeline's row, not the detail's
			found = true
		}
	}
	if !found {
		t.Fatalf("the newest step (09:01:55) is not on screen:\n%s", out)
	}
}
