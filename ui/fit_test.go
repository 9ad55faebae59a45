package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/sessions"
)

// longSimLab creates simulated sessions whose URL is as long as the
// simulator's own (kycwatch serves it).
type longSimLab struct{ *fakeLab }

func (f longSimLab) Create(ctx context.Context, n sessions.NewSession, sim bool) (sessions.Created, error) {
	c, err := f.fakeLab.Create(ctx, n, sim)
	c.Session.URL = "http://127.0.0.1:18080/simulator/v/295be24f-cc28-46e5-a4a7-5f58414488ba"
	return c, err
}

// boxText is the text inside the box whose title starts with title (the
// box may sit beside another).
func boxText(out, title string) []string {
	var in []string
	from, to := -1, -1
	for _, l := range strings.Split(out, "\n") {
		r := []rune(l)
		switch {
		case from < 0 && strings.Contains(l, "╭─ "+title):
			from = len([]rune(l[:strings.Index(l, "╭─ "+title)]))
			to = from + 1
			for to < len(r) && r[to] != '╮' {
				to++
			}
		case from >= 0 && to < len(r) && r[from] == '╰':
			return in
		case from >= 0 && to < len(r):
			in = append(in, strings.TrimSpace(string(r[from+1:to])))
		}
	}
	return in
}

// lastText is the last line of text in lines that is not blank.
func lastText(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] != "" {
			return lines[i]
		}
	}
	return ""
}

// TestTextFitsAt80x24: what the panes say ends with a whole sentence at
// 80×24, with a message in the footer too, rather than cut mid-way.
func TestTextFitsAt80x24(t *testing.T) {
	long := ProblemMsg("could not create a session: cannot resolve stationapi.veriff.com: no network, or a wrong VERIFF_API_URL")
	m := update(labModel(t, 80, 24, &fakeLab{}), long)
	out := checkSize(t, screen(m), 80, 24)
	if last := lastText(boxText(out, "Sessions")); !strings.HasSuffix(last, "i for a VerifiMe invite.") {
		t.Errorf("the empty list ends with %q:\n%s", last, out)
	}

	m = newModel(t, 80, 24, nil)
	m.lab = longSimLab{&fakeLab{}}
	m = run(t, m, "n", "enter")
	m = update(m, simulatorKeys)
	// 80×22: the rows a taller header (a tunnel's reason) leaves at 80×24.
	for _, mm := range []Model{m, update(m, long), update(m, tea.WindowSizeMsg{Width: 80, Height: 22})} {
		out := screen(mm)
		if !strings.Contains(strings.Join(boxText(out, "Session "), " "), "b abandoned.") {
			t.Errorf("the session's detail is cut:\n%s", out)
		}
		if !strings.Contains(out, "/simulator/v/") {
			t.Errorf("no URL:\n%s", out)
		}
	}
}
