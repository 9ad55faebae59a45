package sessions

import (
	"strconv"
	"time"

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
	l := r.untimedLine()
	l.ReceivedAt = r.ReceivedAt.UTC().Format(time.RFC3339Nano)
	return l
}

// untimedLine is the record's line but for ReceivedAt.
func (r Record) untimedLine() Line {
	d := r.Delivery
	return Line{
		Seq: r.Seq, Method: r.Method, Path: r.Path,
		Status: r.ProviderStatus(), KycwatchStatus: r.Status, Decoded: DecodedOf(d), Signature: string(r.Verdict.Signature),
		APIKey: string(r.Verdict.APIKey), DuplicateOf: r.DuplicateOf, Reason: r.Verdict.Reason,
		VendorData: d.VendorData, Note: d.Note, Problem: d.Problem, BodySize: r.BodySize, Truncated: r.Truncated,
		Origin: r.Origin, StreamSeq: r.StreamSeq,
	}
}

// MarshalLine encodes the record's line as one line of JSON, newline
// included. Payload strings stay JSON-escaped: control bytes never reach a
// terminal raw. Beyond the C0 controls JSON escapes, DEL, the C1 controls
// (U+0080–U+009F, CSI among them) and the bidi and invisible format
// characters are escaped too; the line decodes to the same strings.
func (r Record) MarshalLine() []byte {
	return r.AppendLine(make([]byte, 0, 512))
}

// AppendLine appends the record's line, as MarshalLine, to dst. It writes
// the bytes encoding/json wrote for a Line (field order, names, numbers,
// omitempty), one field at a time: a field added to Line is added here
// too (the tests compare).
func (r Record) AppendLine(dst []byte) []byte {
	l := r.untimedLine() // the time is formatted in place: RFC 3339 needs no escape
	b := appendInt(dst, `{"seq":`, l.Seq)
	b = r.ReceivedAt.UTC().AppendFormat(append(b, `,"received_at":"`...), time.RFC3339Nano)
	b = appendStr(append(b, '"'), `,"method":`, l.Method)
	b = appendStr(b, `,"path":`, l.Path)
	b = appendInt(b, `,"status":`, int64(l.Status))
	b = appendStr(b, `,"kind":`, l.Kind)
	b = appendStr(b, `,"provider":`, l.Provider)
	b = appendStr(b, `,"session_id":`, l.SessionID)
	b = appendStr(b, `,"attempt_id":`, l.AttemptID)
	b = appendInt(b, `,"code":`, int64(l.Code))
	b = appendStr(b, `,"state":`, l.State)
	b = appendStr(b, `,"signature":`, l.Signature)
	b = appendStr(b, `,"api_key":`, l.APIKey)
	b = appendInt(b, `,"duplicate_of":`, l.DuplicateOf)
	b = appendStr(b, `,"reason":`, l.Reason)
	b = appendStr(b, `,"vendor_data":`, l.VendorData)
	b = appendStr(b, `,"note":`, l.Note)
	if l.Problem != "" {
		b = appendStr(b, `,"problem":`, l.Problem)
	}
	b = appendInt(b, `,"body_size":`, l.BodySize)
	b = strconv.AppendBool(append(b, `,"truncated":`...), l.Truncated)
	b = appendInt(b, `,"kycwatch_status":`, int64(l.KycwatchStatus))
	if l.Origin != "" {
		b = appendStr(b, `,"origin":`, l.Origin)
	}
	if l.StreamSeq != 0 {
		b = appendInt(b, `,"stream_seq":`, l.StreamSeq)
	}
	return append(b, "}\n"...)
}

// appendInt appends key (quoted, with its comma and colon) and n.
func appendInt(b []byte, key string, n int64) []byte {
	return strconv.AppendInt(append(b, key...), n, 10)
}

// appendStr appends key (quoted, with its comma and colon) and s, quoted
// for a terminal.
func appendStr(b []byte, key, s string) []byte {
	return lineQuoting.appendQuoted(append(b, key...), s)
}

// dangerousRune: DEL, a C1 control, or a character that reorders or hides
// text.
func dangerousRune(r rune) bool {
	return r >= 0x7f && r <= 0x9f || display.IsFormatRune(r) // DEL, the C1 controls, format characters
}
