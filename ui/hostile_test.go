package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/sessions"
)

// poison is appended to every string in a payload: a screen clear, an OSC
// title, a C1 CSI, a bidi override, a bell.
const poison = "\x1b[2J\x1b]0;pwned\x07\u009b31m\u202e\a"

// poisoned returns v with poison appended to every string and object key.
func poisoned(v any) any {
	switch x := v.(type) {
	case string:
		return x + poison
	case []any:
		for i := range x {
			x[i] = poisoned(x[i])
		}
		return x
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			out[k] = poisoned(val)
			out[k+poison] = "x" // an unknown field with a hostile name
		}
		return out
	}
	return v
}

// TestEveryFixturePoisoned: every payload shape kycwatch knows (Veriff's
// events, decisions, statuses, watchlist, full auto; VerifiMe's risk
// updates), with every string poisoned, goes through every pane at two
// sizes, zoomed and not, with and without masking: only the UI's own SGR
// styling reaches the output.
func TestEveryFixturePoisoned(t *testing.T) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	if len(files) < 15 {
		t.Fatalf("only %d fixtures", len(files))
	}
	var recs []sessions.Record
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// Strings only: ids keep their shape enough to group, but every
		// rendered value carries the poison.
		body, _ := json.Marshal(poisoned(v))
		path := "/veriff/events"
		if strings.Contains(f, "verifime") {
			path = "/verifime"
		}
		recs = append(recs, judged(int64(i+1), time.Duration(i)*time.Second, body, "sec", path))
	}
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		m := newModel(t, sz[0], sz[1], recs)
		for _, mask := range []bool{false, true} {
			m.com.MaskPII = mask
			for i := 0; i < len(recs); i++ {
				for _, zoom := range []bool{false, true} {
					m.zoom = zoom
					out := m.View().Content
					if bad := foreignEscapes(out); bad != "" {
						t.Fatalf("%dx%d: foreign escape %q in output", sz[0], sz[1], bad)
					}
					for _, r := range []string{"\u202e", "\u009b", "\a"} {
						if strings.Contains(out, r) {
							t.Fatalf("%dx%d: raw %q reached the output", sz[0], sz[1], r)
						}
					}
				}
				m = press(m, "down")
				m = press(m, "tab", "down", "down", "shift+tab")
			}
		}
	}
}
