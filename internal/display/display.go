// Package display is how kycwatch shows what it does not control: text
// from a request (Safe), ids (ShortID, ReadableID) and secrets (Mask). The
// screens, the headless lines and the files kycwatch writes all use these,
// so a payload's bytes are made harmless the same way everywhere.
package display

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Safe makes text that came from a request fit to print: every control
// character, escape sequence introducer, bidi override and invalid byte is
// shown as a visible placeholder instead of reaching the terminal. Anything
// from a payload, a header or a path goes through Safe before it is styled.
func Safe(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20:
			b.WriteRune(0x2400 + r) // ␀…␟, ␛ for ESC
		case r == 0x7f:
			b.WriteRune('␡')
		case r >= 0x80 && r < 0xa0: // C1 controls, CSI included
			fmt.Fprintf(&b, "\\u%04x", r)
		case IsFormatRune(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// IsFormatRune reports format characters that can reorder or hide what
// is printed around them (Trojan Source style).
func IsFormatRune(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028 || r == 0x2029 || r == 0xfeff:
		return true
	}
	return unicode.Is(unicode.Cf, r) && r != 0x200d // keep ZWJ for emoji
}

// ShortID is the first 8 characters of an id, as people quote UUIDs.
func ShortID(id string) string {
	if r := ReadableID(id); r != id {
		return Prefix(r, 16) // customerId=42 reads whole, or nearly
	}
	if utf8.RuneCountInString(id) <= 8 {
		return id
	}
	return string([]rune(id)[:8])
}

// ReadableID shows a session key that is a JSON object (VerifiMe's
// metadata is whatever the integrator put in referenceData) as its fields,
// customerId=42, rather than as a fragment of JSON.
func ReadableID(id string) string {
	if !strings.HasPrefix(id, "{") {
		return id
	}
	var fields map[string]any
	if json.Unmarshal([]byte(id), &fields) != nil || len(fields) == 0 {
		return id
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v, _ := json.Marshal(fields[k])
		parts[i] = k + "=" + strings.Trim(string(v), `"`)
	}
	return strings.Join(parts, ",")
}

// Prefix is the first n runes of s.
func Prefix(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Mask shows a secret's first and last four characters only.
// Short ones show less, so that at most a quarter of a secret is on
// screen.
func Mask(s string) string {
	r := []rune(s)
	switch {
	case len(r) >= 32:
		return string(r[:4]) + "…" + string(r[len(r)-4:])
	case len(r) >= 16:
		return string(r[:2]) + "…" + string(r[len(r)-2:])
	case len(r) >= 8:
		return string(r[:2]) + "…"
	}
	return strings.Repeat("•", len(r))
}
