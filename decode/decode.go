package decode

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
)

// Kind is what a webhook body turned out to be.
type Kind string

const (
	KindEvent          Kind = "event"           // Veriff 7xxx session events
	KindDecision       Kind = "decision"        // Veriff 9xxx decisions (and Full Auto)
	KindUserStatus     Kind = "user_status"     // Veriff user-defined status
	KindWatchlist      Kind = "watchlist"       // Veriff watchlist screening
	KindRiskAssessment Kind = "risk_assessment" // VerifiMe RISK_ASSESSMENT_UPDATED
	KindUnknown        Kind = "unknown"         // valid JSON of no known shape
	KindInvalid        Kind = "invalid"         // empty, not JSON, or too deep
	KindCallback       Kind = "callback"        // the end-user sent back to the callback URL (a GET; never from Decode)
	KindAPICall        Kind = "api"             // a call to kycwatch's sandbox API or end-user page (never from Decode)
)

// MaxDepth bounds JSON nesting; deeper bodies are invalid (real payloads
// nest about six levels).
const MaxDepth = 64

// Delivery is a decoded webhook: what it is, which session it belongs to and
// the typed fields of its payload. The raw body is kept by the caller.
type Delivery struct {
	Kind       Kind     `json:"kind"`
	Provider   Provider `json:"provider"`
	SessionID  string   `json:"session_id"`
	AttemptID  string   `json:"attempt_id"`
	Code       int      `json:"code"`
	State      string   `json:"state"` // event action, decision status, user status code…
	VendorData string   `json:"vendor_data,omitempty"`
	EndUserID  string   `json:"end_user_id,omitempty"`
	// Problem says why a body is invalid.
	Problem string `json:"problem,omitempty"`
	// Note is a short human line about the payload: a decision's reason, a
	// risk level, a user status… Stored beside the summary columns.
	Note string `json:"note,omitempty"`

	Event      *veriff.Event            `json:"event,omitempty"`
	Decision   *veriff.Decision         `json:"decision,omitempty"`
	UserStatus *veriff.UserStatus       `json:"user_status,omitempty"`
	Watchlist  *veriff.Watchlist        `json:"watchlist,omitempty"`
	Risk       *verifime.RiskAssessment `json:"risk,omitempty"`
	// Unknown lists top-level fields kycwatch does not know (Veriff adds
	// fields over time; they are kept in the raw body and named here).
	Unknown []string `json:"unknown,omitempty"`
}

// Decode classifies a webhook body and extracts its typed fields. It never
// panics and never fails: bodies it cannot read come back as KindInvalid with
// the Problem set.
func Decode(body []byte) Delivery {
	d := classify(body)
	if d.Kind == KindInvalid {
		d.Note = d.Problem
	}
	return d
}

// classify checks what any body must be (not empty, not too deep, JSON),
// then asks the providers' packages, Veriff's first as protocol.md orders
// the shapes.
func classify(body []byte) Delivery {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Delivery{Kind: KindInvalid, Problem: "empty body"}
	}
	top, what := webhook.ParseObj(trimmed, MaxDepth)
	switch what {
	case webhook.Invalid:
		return invalid(trimmed)
	case webhook.NotObject:
		return Delivery{Kind: KindUnknown, Problem: "JSON is not an object"}
	}
	if p, ok := veriff.Decode(top); ok {
		return fromVeriff(p)
	}
	if r, unknown, ok := verifime.Decode(top); ok {
		return Delivery{Kind: KindRiskAssessment, Provider: VerifiMe, SessionID: r.SessionID(), State: r.State(),
			Risk: r, Unknown: unknown, Note: r.Note()}
	}
	return Delivery{Kind: KindUnknown, SessionID: cmp.Or(top.Str("sessionId"), top.Str("session_id")), Unknown: top.Keys(nil)}
}

// invalid says why a body ParseObj refused is invalid: too deep, or where
// its syntax breaks.
func invalid(trimmed []byte) Delivery {
	if d := webhook.Nesting(trimmed); d > MaxDepth {
		return Delivery{Kind: KindInvalid, Problem: fmt.Sprintf("JSON nested deeper than %d levels", MaxDepth)}
	}
	return Delivery{Kind: KindInvalid, Problem: "not valid JSON" + syntaxWhere(trimmed)}
}

// fromVeriff makes a Delivery of a Veriff payload, its kind told by the
// part it has.
func fromVeriff(p veriff.Payload) Delivery {
	d := Delivery{Provider: Veriff, SessionID: p.SessionID, AttemptID: p.AttemptID, Code: p.Code, State: p.State,
		VendorData: p.VendorData, EndUserID: p.EndUserID, Unknown: p.Unknown,
		Event: p.Event, Decision: p.Decision, UserStatus: p.UserStatus, Watchlist: p.Watchlist, Note: p.Note()}
	switch {
	case p.Event != nil:
		d.Kind = KindEvent
	case p.Decision != nil:
		d.Kind = KindDecision
	case p.UserStatus != nil:
		d.Kind = KindUserStatus
	default:
		d.Kind = KindWatchlist
	}
	return d
}

// syntaxWhere says where a JSON syntax error is, for the verdict line.
func syntaxWhere(b []byte) string {
	var v any
	err := json.Unmarshal(b, &v)
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf(" (byte %d: %s)", se.Offset, se.Error())
	}
	if err != nil && strings.Contains(err.Error(), "unexpected end") {
		return " (unexpected end of input)"
	}
	return ""
}
