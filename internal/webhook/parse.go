// Parse: a JSON document checked and split into its top-level fields in one
// pass, where encoding/json would scan it three times (checkValid, then the
// decoding, then each value again as a json.RawMessage) after decode had
// scanned it once more for its depth. It accepts exactly what encoding/json
// accepts (FuzzParseAgreesWithEncodingJSON); a document it refuses goes to
// encoding/json for the words of the error.

package webhook

import (
	"bytes"
	"encoding/json"
	"math"
	"unicode/utf8"
)

// Parsed says what ParseObj found.
type Parsed int

const (
	// IsObject: the document is JSON, its top level an object.
	IsObject Parsed = iota
	// NotObject: the document is JSON, but an array, a string, a number,
	// true, false or null.
	NotObject
	// Invalid: the document is not JSON, or nests deeper than allowed.
	Invalid
)

// ParseObj checks that doc is one JSON value, nested no deeper than
// maxDepth objects and arrays, and returns its fields when it is an
// object. The values are slices of doc, not copies (capped, so an append
// to one copies it): doc must not change while the Obj is in use. A field given twice keeps its last value, as
// with encoding/json.
func ParseObj(doc []byte, maxDepth int) (Obj, Parsed) {
	s := scanner{b: doc, max: maxDepth}
	s.space()
	var o Obj
	ok := false
	if s.i < len(doc) && doc[s.i] == '{' {
		o = Obj{}
		ok = s.object(o)
	} else {
		ok = s.value()
	}
	if s.space(); !ok || s.i != len(doc) {
		return nil, Invalid
	}
	if o == nil {
		return nil, NotObject
	}
	return o, IsObject
}

// Nesting is the deepest nesting of objects and arrays in b, counting
// every bracket outside strings, valid JSON or not: what a body ParseObj
// refused is measured with, to say whether it was too deep.
func Nesting(b []byte) int {
	d, most := 0, 0
	inStr, esc := false, false
	for _, c := range b {
		switch {
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			d++
			most = max(most, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return most
}

// items splits a JSON array into its items (slices of raw); ok is false
// when raw is not one JSON array.
func items(raw []byte) (out []json.RawMessage, ok bool) {
	s := scanner{b: raw, max: math.MaxInt}
	s.space()
	if s.i >= len(raw) || raw[s.i] != '[' {
		return nil, false
	}
	ok = s.array(&out)
	if s.space(); !ok || s.i != len(raw) {
		return nil, false
	}
	return out, true
}

// scanner reads JSON as RFC 8259 writes it, which is what encoding/json
// accepts: any byte from 0x20 up inside a string (invalid UTF-8 included),
// none below.
type scanner struct {
	b          []byte
	i          int
	depth, max int
}

// space skips whitespace.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value reads one value at s.i.
func (s *scanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(nil)
	case c == '[':
		return s.array(nil)
	case c == '"':
		return s.str()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return false
}

// nest enters an object or an array.
func (s *scanner) nest() bool {
	s.depth++
	s.i++
	s.space()
	return s.depth <= s.max
}

// next reads what follows a member or an item: a comma (true, more) or
// the closing byte (false, done); ok is false for anything else.
func (s *scanner) next(closing byte) (more, ok bool) {
	s.space()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		s.space()
		return true, true
	case closing:
		s.i++
		s.depth--
		return false, true
	}
	return false, false
}

// object reads an object at s.i, putting its fields in out (unless nil).
func (s *scanner) object(out Obj) bool {
	if !s.nest() {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		return true
	}
	for {
		k := s.i
		if k >= len(s.b) || s.b[k] != '"' || !s.str() {
			return false
		}
		key := s.b[k:s.i]
		if s.space(); s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.space()
		v := s.i
		if !s.value() {
			return false
		}
		if out != nil {
			out[unquote(key)] = s.b[v:s.i:s.i]
		}
		more, ok := s.next('}')
		if !more {
			return ok
		}
	}
}

// array reads an array at s.i, appending its items to out (unless nil).
func (s *scanner) array(out *[]json.RawMessage) bool {
	if !s.nest() {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		s.depth--
		return true
	}
	for {
		v := s.i
		if !s.value() {
			return false
		}
		if out != nil {
			*out = append(*out, s.b[v:s.i:s.i])
		}
		more, ok := s.next(']')
		if !more {
			return ok
		}
	}
}

// str reads a string at s.i (its opening quote).
func (s *scanner) str() bool {
	b := s.b
	for i := s.i + 1; i < len(b); {
		for i < len(b) && plain[b[i]] { // most of a body: one load a byte
			i++
		}
		switch {
		case i == len(b) || b[i] < 0x20:
			return false
		case b[i] == '"':
			s.i = i + 1
			return true
		}
		n := escapeLen(b[i+1:]) // a backslash
		if n == 0 {
			return false
		}
		i += 1 + n
	}
	return false
}

// plain marks the bytes a string holds as they are: all but the controls,
// the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escapeLen is the length of a valid escape's text after its backslash, or
// 0 when it is not one.
func escapeLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if len(b) < 5 {
			return 0
		}
		for _, c := range b[1:5] {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return 0
			}
		}
		return 5
	}
	return 0
}

// literal reads true, false or null.
func (s *scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if j := digits(b, i); j > i {
			i = j
		} else {
			return false
		}
	}
	s.i = i
	return true
}

// digits returns the index after the digits that start at i.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// unquote is a key's text (quoted, checked by str). A key with no escape
// and valid UTF-8 is its own bytes; others go through encoding/json
// (escapes, and invalid UTF-8 becomes U+FFFD, as it does for any key).
func unquote(quoted []byte) string {
	in := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in)
	}
	var k string
	_ = json.Unmarshal(quoted, &k)
	return k
}
