package display

import (
	"strings"
	"testing"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":           "plain text",
		"esc \x1b[31mred":      "esc ␛[31mred",
		"bidi \u202egnp.exe":   "bidi <U+202E>gnp.exe",
		"c1 \u009b2J":          `c1 \u009b2J`,
		"bad \xff byte":        `bad \xff byte`,
		"line\nbreak\ttab\x7f": "line␊break    tab␡",
		"zero\u200bwidth":      "zero<U+200B>width",
		"emoji 👩\u200d💻 stays": "emoji 👩\u200d💻 stays",
	} {
		if got := Safe(in); got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskShowsAtMostAQuarter(t *testing.T) {
	for _, s := range []string{"", "abc", "12345678", "0123456789abcdef", "sim-0123456789abcdef0123456789abcdef", "2abcDEFsecretTOKEN0123456789_xyz"} {
		m := Mask(s)
		shown := len([]rune(strings.NewReplacer("…", "", "•", "").Replace(m)))
		if shown*4 > len([]rune(s)) || (len(s) > 0 && strings.Contains(s, m)) {
			t.Errorf("Mask(%q) = %q shows too much", s, m)
		}
	}
}

func TestShortID(t *testing.T) {
	for in, want := range map[string]string{
		"f04bdb47-d3be-4b28-b028-a652feb060b5": "f04bdb47",
		"kw-1":                                 "kw-1",
		`{"customerId":42}`:                    "customerId=42",
	} {
		if got := ShortID(in); got != want {
			t.Errorf("ShortID(%q) = %q, want %q", in, got, want)
		}
	}
}
