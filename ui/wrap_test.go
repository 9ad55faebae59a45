package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestBodyWrapKeepsEveryByte: a long line that is not JSON wraps to the
// pane's width with nothing cut: the lines joined again are the body.
func TestBodyWrapKeepsEveryByte(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "%03d,", i)
	}
	m := newModel(t, 80, 24, nil)
	bodies := []string{b.String(), `{"attemptId":"ef072fda-7341-42ba-a48a-2df0c2b4d6e1","x":` + strings.Repeat("y", 300), "a b  c " + strings.Repeat("word ", 80) + "  end", strings.Repeat("日本語 x😀y ", 40)}
	for _, body := range bodies {
		for _, w := range []int{20, 40, 76, 78, 118, 198} {
			lines := m.bodyLines([]byte(body), w)
			var got strings.Builder
			for _, l := range lines {
				if n := ansi.StringWidth(l); n > w {
					t.Errorf("w=%d: a line is %d cells wide: %q", w, n, l)
				}
				got.WriteString(strings.TrimPrefix(ansi.Strip(l), " "))
			}
			if got.String() != body {
				t.Errorf("w=%d: bytes lost:\n got %q\nwant %q", w, got.String(), body)
			}
		}
	}
}

// TestURLsWrapAfterASlash: a URL or an id too long for its line is broken
// after a "/", never inside an id that fits a line: each line can be read
// (and selected) as a part of it.
func TestURLsWrapAfterASlash(t *testing.T) {
	id := "b5eeb6b8-1b47-47fc-a4fc-f72b6d3584a7"
	cases := []struct {
		s     string
		w     int
		whole []string // each must be on one line
	}{
		{"Received    2026-11-23 09:00:00.000 · POST /sandbox/v1/sessions/" + id + "/decision → 200", 40, []string{id, "/sandbox/v1/sessions/", "decision"}},
		{"Received    2026-11-23 09:00:00.000 · POST /sandbox/v1/sessions/" + id + "/decision → 200", 60, []string{id, "decision"}},
		{"URL         http://127.0.0.1:18080/simulator/v/295be24f-cc28-46e5-a4a7-5f58414488ba", 40, []string{"http://127.0.0.1:18080/", "295be24f-cc28-46e5-a4a7-5f58414488ba"}},
		{"Invite URL  http://127.0.0.1:18301/sandbox/verifime/invite/ad3c2009-912c-49f4-8a0b-3e2c1d0f9a8b", 50, []string{"ad3c2009-912c-49f4-8a0b-3e2c1d0f9a8b"}},
		{"vendorData  " + id, 44, []string{id}},
	}
	for _, c := range cases {
		lines := wrap(c.s, c.w, 12)
		plain := ansi.Strip(strings.Join(lines, "\n"))
		for _, l := range lines {
			if n := ansi.StringWidth(l); n > c.w {
				t.Errorf("w=%d: %d cells: %q", c.w, n, l)
			}
		}
		for _, want := range c.whole {
			if !strings.Contains(plain, want) {
				t.Errorf("w=%d: %q is split:\n%s", c.w, want, plain)
			}
		}
		if got := strings.Join(strings.Fields(plain), ""); got != strings.Join(strings.Fields(c.s), "") {
			t.Errorf("w=%d: text changed:\n%s", c.w, plain)
		}
	}
}
