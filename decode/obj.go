// obj: a JSON object read field by field, as the decoders need, with the
// helpers that read a field as text, a number, a flag or a nested object.

package decode

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"unicode/utf8"
)

// obj is a JSON object whose values are decoded on demand, so a field of an
// unexpected type spoils only itself.
type obj map[string]json.RawMessage

func (o obj) has(k string) bool { _, ok := o[k]; return ok }

// str returns a string field; numbers and booleans are given as written, and
// null, objects and arrays as "".
func (o obj) str(k string) string {
	raw, ok := o[k]
	if !ok || len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		// The raw value comes from a document already validated: a string
		// with no escape and valid UTF-8 is its own bytes. Others go through
		// the decoder (escapes; invalid UTF-8 becomes U+FFFD).
		if n := len(raw); n >= 2 && bytes.IndexByte(raw[1:n-1], '\\') < 0 && utf8.Valid(raw[1:n-1]) {
			return string(raw[1 : n-1])
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw)
	}
	return ""
}

// text is str, but an object or array is given as its compact JSON (VerifiMe's
// metadata is whatever the integrator put in referenceData).
func (o obj) text(k string) string {
	raw := o[k]
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			return b.String()
		}
	}
	return o.str(k)
}

// int reads an integer field, written as a number or a numeric string.
func (o obj) int(k string) int {
	s := o.str(k)
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int(f)) {
		return int(f)
	}
	return 0
}

func (o obj) float(k string) (float64, bool) {
	s := o.str(k)
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (o obj) bool(k string) (bool, bool) {
	switch string(o[k]) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func (o obj) obj(k string) obj {
	raw, ok := o[k]
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var out obj
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

func (o obj) arr(k string) []json.RawMessage {
	raw, ok := o[k]
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var out []json.RawMessage
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

func (o obj) objs(k string) []obj {
	var out []obj
	for _, raw := range o.arr(k) {
		var x obj
		if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &x) == nil {
			out = append(out, x)
		}
	}
	return out
}

// keys lists the fields not in known, sorted.
func (o obj) keys(known map[string]bool) []string {
	var out []string
	for k := range o {
		if !known[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func set(ks ...string) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k] = true
	}
	return m
}

func prefixed(p string, ks []string) []string {
	for i := range ks {
		ks[i] = p + ks[i]
	}
	return ks
}
