package sessions

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// quoting says how a JSON string is escaped beyond what JSON requires:
// safe is the ASCII written as it is, escape the other runes written as
// \uXXXX.
type quoting struct {
	safe   *[utf8.RuneSelf]bool
	escape func(rune) bool
}

// lineQuoting is the headless line's: encoding/json's with HTML escaping
// off, plus DEL, the C1 controls and the format characters escaped, so no
// byte a terminal would obey is written raw.
var lineQuoting = quoting{asciiSafe("\x7f"), dangerousRune}

// htmlQuoting is json.Marshal's: <, > and & escaped for HTML.
var htmlQuoting = quoting{asciiSafe("<>&"), func(r rune) bool { return r == '\u2028' || r == '\u2029' }}

// asciiSafe is the table of the ASCII written as it is inside a JSON
// string: not ", \, a C0 control, nor any of also.
func asciiSafe(also string) *[utf8.RuneSelf]bool {
	var t [utf8.RuneSelf]bool
	for c := byte(' '); c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && strings.IndexByte(also, c) < 0
	}
	return &t
}

// appendQuoted appends s as a JSON string, escaped as encoding/json escapes
// it: \" and \\, \b \f \n \r \t, the other C0 controls as \u00XX, each byte
// of invalid UTF-8 as \ufffd and U+2028 and U+2029 as \u2028 and \u2029;
// and what q escapes too. Runs of bytes needing nothing are copied whole.
func (q quoting) appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is still to be copied
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			if !q.safe[c] {
				b = appendEscapedByte(append(b, s[start:i-1]...), c)
				start = i
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || q.escape(r) {
			b = appendRuneEscape(append(b, s[start:i]...), r)
			start = i + n
		}
		i += n
	}
	return append(append(b, s[start:]...), '"')
}

// appendEscapedByte appends the escape of ASCII c.
func appendEscapedByte(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, `\b`...)
	case '\f':
		return append(b, `\f`...)
	case '\n':
		return append(b, `\n`...)
	case '\r':
		return append(b, `\r`...)
	case '\t':
		return append(b, `\t`...)
	}
	return appendU(b, uint16(c))
}

// appendRuneEscape appends r as \uXXXX, or as a UTF-16 surrogate pair
// (two of them) above U+FFFF: a \u escape has four hex digits.
func appendRuneEscape(b []byte, r rune) []byte {
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		return appendU(appendU(b, uint16(r1)), uint16(r2))
	}
	return appendU(b, uint16(r))
}

// appendU appends \u and u in four lowercase hex digits.
func appendU(b []byte, u uint16) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[u>>12], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
}
