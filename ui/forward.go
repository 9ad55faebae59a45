package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// ForwardMsg is a delivery's forward to the user's app, done (via
// Program.Send).
type ForwardMsg sessions.Forward

// WithForwards shows where deliveries are forwarded, and what the app said
// to those already in the history.
func (m Model) WithForwards(targets []string, done []sessions.Forward) Model {
	m.info.ForwardTo = targets
	for _, f := range done {
		m.addForward(f)
	}
	return m
}

func (m *Model) addForward(f sessions.Forward) {
	if m.forwards == nil {
		m.forwards = map[int64][]sessions.Forward{}
	}
	m.forwards[f.Seq] = append(m.forwards[f.Seq], f)
}

// forwardMark is the timeline's short account of the app's last answer
// to a delivery's forwards fs.
func forwardMark(st Styles, fs []sessions.Forward) string {
	if len(fs) == 0 {
		return ""
	}
	f := fs[len(fs)-1]
	switch {
	case f.Error != "" && f.RetryIn > 0:
		return st.Warning.Render(" →" + Glyph(MarkFailed) + " retry")
	case f.Error != "":
		return st.Danger.Render(" →" + Glyph(MarkFailed))
	case f.OK():
		return st.Success.Render(fmt.Sprintf(" →%d", f.Status))
	}
	return st.Danger.Render(fmt.Sprintf(" →%d", f.Status))
}

// forwardLines are the detail pane's account of every forward of a
// delivery: where, the answer, how long, the first line of the body.
func (m Model) forwardLines(seq int64, w int) []string {
	fs := m.forwards[seq]
	if len(fs) == 0 {
		return nil
	}
	st := m.com.Styles
	var out []string
	for i, f := range fs {
		label := ""
		if i == 0 {
			label = "Forwarded"
		}
		what := ""
		switch {
		case f.Error != "":
			what = st.Marked(MarkFailed, display.Safe(f.Error))
		case f.OK():
			what = st.Success.Render(fmt.Sprint(f.Status))
		default:
			what = st.Danger.Render(fmt.Sprint(f.Status))
		}
		line := what + st.Faint.Render(" in "+f.Latency.Round(time.Millisecond).String()+" · ") + st.Info.Render(f.SentAs.Label())
		if f.Attempt > 1 {
			line += st.Faint.Render(fmt.Sprintf(" · try %d", f.Attempt))
		}
		if f.RetryIn > 0 {
			line += st.Warning.Render(" · trying again in " + f.RetryIn.String())
		}
		line += st.Faint.Render(" · ") + display.Safe(f.Target)
		out = append(out, wrap(st.Label.Render(Pad(" "+label, 12))+line, w, 12)...)
		if body := strings.TrimSpace(string(f.Response)); body != "" {
			first, _, _ := strings.Cut(body, "\n")
			out = append(out, wrap(st.Label.Render(Pad("", 12))+st.Faint.Render("app: ")+display.Safe(Fit(first, 200)), w, 12)...)
		}
	}
	return out
}
