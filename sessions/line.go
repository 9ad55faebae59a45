package sessions

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
)

// Line is the NDJSON object headless mode prints for every delivery it
// answered. Scripts and CI depend on these names: add fields, never rename.
type Line struct {
	Seq        int64  `json:"seq"`
	ReceivedAt string `json:"received_at"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	Status     int    `json:"status"`
	Decoded
	Signature   string `json:"signature"`
	APIKey      string `json:"api_key"`
	DuplicateOf int64  `json:"duplicate_of"`
	Reason      string `json:"reason"`
	VendorData  string `json:"vendor_data"`
	Note        string `json:"note"`
	Problem     string `json:"problem,omitempty"`
	BodySize    int64  `json:"body_size"`
	Truncated   bool   `json:"truncated"`
	// KycwatchStatus is kycwatch's own verdict; Status is what the
	// provider got, which differs with --answer app.
	KycwatchStatus int `json:"kycwatch_status"`
	// Origin and StreamSeq are set by kycwatch follow (team mode): the
	// instance that received the delivery, and its sequence in the stream.
	Origin    string `json:"origin,omitempty"`
	StreamSeq int64  `json:"stream_seq,omitempty"`
}

// Decoded is what a delivery turned out to be, by the names the NDJSON
// line and team mode's wire both carry (scripts read them: add, never
// rename).
type Decoded struct {
	Kind      string `json:"kind"`
	Provider  string `json:"provider"`
	SessionID string `json:"session_id"`
	AttemptID string `json:"attempt_id"`
	Code      int    `json:"code"`
	State     string `json:"state"`
}

// DecodedOf is d's Decoded.
func DecodedOf(d decode.Delivery) Decoded {
	return Decoded{Kind: string(d.Kind), Provider: string(d.Provider), SessionID: d.SessionID, AttemptID: d.AttemptID,
		Code: d.Code, State: d.State}
}

// Line returns the record's NDJSON object.
func (r Record) Line() Line {
	d := r.Delivery
	return Line{
		Seq: r.Seq, ReceivedAt: r.ReceivedAt.UTC().Format(time.RFC3339Nano), Method: r.Method, Path: r.Path,
		Status: r.ProviderStatus(), KycwatchStatus: r.Status, Decoded: DecodedOf(d), Signature: string(r.Verdict.Signature),
		APIKey: string(r.Verdict.APIKey), DuplicateOf: r.DuplicateOf, Reason: r.Verdict.Reason,
		VendorData: d.VendorData, Note: d.Note, Problem: d.Problem, BodySize: r.BodySize, Truncated: r.Truncated,
		Origin: r.Origin, StreamSeq: r.StreamSeq,
	}
}

// MarshalLine encodes the record's line as one line of JSON, newline
// included. Payload strings stay JSON-escaped: control bytes never reach a
// terminal raw. encoding/json escapes C0 controls only, so DEL, the C1
// controls (U+0080–U+009F, CSI among them) and the bidi and invisible format
// characters are escaped here too; the line decodes to the same strings.
func (r Record) MarshalLine() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r.Line()) // a struct of strings and numbers cannot fail
	return escapeFormatRunes(b.Bytes())
}

// AppendLine appends the record's line, as MarshalLine, to dst.
func (r Record) AppendLine(dst []byte) []byte {
	return append(dst, r.MarshalLine()...)
}

// escapeFormatRunes rewrites DEL, C1 controls and bidi/invisible characters in
// JSON text as \uXXXX escapes. JSON's syntax is ASCII, so such runes can only
// be inside strings, where the escape means the same rune.
func escapeFormatRunes(js []byte) []byte {
	if plainASCII(js) || utf8.Valid(js) && !bytes.ContainsFunc(js, dangerousRune) {
		return js
	}
	out := make([]byte, 0, len(js)+16)
	for len(js) > 0 {
		r, n := utf8.DecodeRune(js)
		if dangerousRune(r) {
			out = appendRuneEscape(out, r)
		} else {
			out = append(out, js[:n]...)
		}
		js = js[n:]
	}
	return out
}

// appendRuneEscape appends r as \uXXXX, or as a UTF-16 surrogate pair
// (two of them) above U+FFFF: a \u escape has four hex digits.
func appendRuneEscape(out []byte, r rune) []byte {
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		return fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
	}
	return fmt.Appendf(out, `\u%04x`, r)
}

// dangerousRune: DEL, a C1 control, or a character that reorders or hides
// text.
// plainASCII reports whether b is printable ASCII and the C0 controls
// (which encoding/json escapes): nothing in it can be a dangerous rune.
// It is the usual line, checked a word at a time.
func plainASCII(b []byte) bool {
	if bytes.IndexByte(b, 0x7f) >= 0 { // DEL
		return false
	}
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func dangerousRune(r rune) bool {
	return r >= 0x7f && r <= 0x9f || display.IsFormatRune(r) // DEL, the C1 controls, format characters
}
