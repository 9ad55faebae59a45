package sessions

import (
	"bytes"
	"encoding/json"
	"time"
)

// Line is the NDJSON object headless mode prints for every delivery it
// answered. Scripts and CI depend on these names: add fields, never rename.
type Line struct {
	Seq         int64  `json:"seq"`
	ReceivedAt  string `json:"received_at"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Status      int    `json:"status"`
	Kind        string `json:"kind"`
	Provider    string `json:"provider"`
	SessionID   string `json:"session_id"`
	AttemptID   string `json:"attempt_id"`
	Code        int    `json:"code"`
	State       string `json:"state"`
	Signature   string `json:"signature"`
	APIKey      string `json:"api_key"`
	DuplicateOf int64  `json:"duplicate_of"`
	Reason      string `json:"reason"`
	VendorData  string `json:"vendor_data"`
	Note        string `json:"note"`
	Problem     string `json:"problem,omitempty"`
	BodySize    int64  `json:"body_size"`
	Truncated   bool   `json:"truncated"`
}

// Line returns the record's NDJSON object.
func (r Record) Line() Line {
	d := r.Delivery
	return Line{
		Seq: r.Seq, ReceivedAt: r.ReceivedAt.UTC().Format(time.RFC3339Nano), Method: r.Method, Path: r.Path,
		Status: r.Status, Kind: string(d.Kind), Provider: string(d.Provider), SessionID: d.SessionID,
		AttemptID: d.AttemptID, Code: d.Code, State: d.State, Signature: string(r.Verdict.Signature),
		APIKey: string(r.Verdict.APIKey), DuplicateOf: r.DuplicateOf, Reason: r.Verdict.Reason,
		VendorData: d.VendorData, Note: d.Note, Problem: d.Problem, BodySize: r.BodySize, Truncated: r.Truncated,
	}
}

// MarshalLine encodes the record's line as one line of JSON, newline
// included. Payload strings stay JSON-escaped: control bytes never reach a
// terminal raw.
func (r Record) MarshalLine() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r.Line()) // a struct of strings and numbers cannot fail
	return b.Bytes()
}
