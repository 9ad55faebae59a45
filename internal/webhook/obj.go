// Obj: a JSON object read field by field, as the providers' decoders need,
// with the helpers that read a field as text, a number, a flag or a nested
// object.

package webhook

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Obj is a JSON object whose values are decoded on demand, so a field of an
// unexpected type spoils only itself.
type Obj map[string]json.RawMessage

// Has says the field is present (null included).
func (o Obj) Has(k string) bool { _, ok := o[k]; return ok }

// Str returns a string field; numbers and booleans are given as written, and
// null, objects and arrays as "".
func (o Obj) Str(k string) string {
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

// Text is Str, but an object or array is given as its compact JSON (VerifiMe's
// metadata is whatever the integrator put in referenceData).
func (o Obj) Text(k string) string {
	raw := o[k]
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			return b.String()
		}
	}
	return o.Str(k)
}

// Int reads an integer field, written as a number or a numeric string.
func (o Obj) Int(k string) int {
	s := o.Str(k)
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

// Float reads a number field.
func (o Obj) Float(k string) (float64, bool) {
	s := o.Str(k)
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// Bool reads a true or false field; ok is false for anything else.
func (o Obj) Bool(k string) (bool, bool) {
	switch string(o[k]) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// Obj reads a nested object; nil when the field is not an object.
func (o Obj) Obj(k string) Obj {
	raw, ok := o[k]
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	out, _ := ParseObj(raw, math.MaxInt)
	return out
}

// Arr reads an array field's raw items; nil when it is not an array.
func (o Obj) Arr(k string) []json.RawMessage {
	raw, ok := o[k]
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	out, _ := items(raw)
	return out
}

// Objs reads the objects of an array field, skipping other items.
func (o Obj) Objs(k string) []Obj {
	var out []Obj
	for _, raw := range o.Arr(k) {
		if x, what := ParseObj(raw, math.MaxInt); what == IsObject {
			out = append(out, x)
		}
	}
	return out
}

// Keys lists the fields not in known, sorted.
func (o Obj) Keys(known map[string]bool) []string {
	var out []string
	for k := range o {
		if !known[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// IsNull says a raw value is JSON null.
func IsNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// Set makes a set of field names, for Keys.
func Set(ks ...string) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k] = true
	}
	return m
}

// Prefixed puts p before every name in ks (in place).
func Prefixed(p string, ks []string) []string {
	for i := range ks {
		ks[i] = p + ks[i]
	}
	return ks
}

// Note joins the non-empty parts of a timeline's note line.
func Note(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}
