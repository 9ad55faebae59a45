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
	bodies := []string{b.String(), `{"attemptId":"ef072fda-7341-42ba-a48a-2df0c2b4d6e1","x":` + strings.Repeat("y", 300), "a b  c " + strings.Repeat("word ", 80) + "  end"}
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
