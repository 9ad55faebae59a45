package decode

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
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

	Event      *Event          `json:"event,omitempty"`
	Decision   *Decision       `json:"decision,omitempty"`
	UserStatus *UserStatus     `json:"user_status,omitempty"`
	Watchlist  *Watchlist      `json:"watchlist,omitempty"`
	Risk       *RiskAssessment `json:"risk,omitempty"`
	// Unknown lists top-level fields kycwatch does not know (Veriff adds
	// fields over time; they are kept in the raw body and named here).
	Unknown []string `json:"unknown,omitempty"`
}

// Decode classifies a webhook body and extracts its typed fields. It never
// panics and never fails: bodies it cannot read come back as KindInvalid with
// the Problem set.
func Decode(body []byte) Delivery {
	d := classify(body)
	d.Note = note(d)
	return d
}

func classify(body []byte) Delivery {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Delivery{Kind: KindInvalid, Problem: "empty body"}
	}
	if d := depth(trimmed); d > MaxDepth {
		return Delivery{Kind: KindInvalid, Problem: fmt.Sprintf("JSON nested deeper than %d levels", MaxDepth)}
	}
	var top obj
	if err := json.Unmarshal(trimmed, &top); err != nil || top == nil {
		// Unmarshal checks the whole document before it decodes: a syntax
		// error means it is not JSON at all.
		if _, bad := err.(*json.SyntaxError); bad {
			return Delivery{Kind: KindInvalid, Problem: "not valid JSON" + syntaxWhere(trimmed)}
		}
		return Delivery{Kind: KindUnknown, Problem: "JSON is not an object"}
	}
	switch {
	case top.str("eventType") == "user-status.created":
		return decodeUserStatus(top)
	case strings.EqualFold(top.str("eventType"), "fullauto"):
		return decodeFullAuto(top)
	case top.has("checkType") || top.has("check_type"):
		return decodeWatchlist(top)
	case top.has("verification"):
		if d, ok := decodeDecision(top); ok {
			return d
		}
	case top.has("code") || top.has("action"):
		if d, ok := decodeEvent(top); ok {
			return d
		}
	}
	// After the Veriff shapes, as protocol.md orders them (and reached also
	// when a body with a verification or code key turned out to be neither).
	if top.str("eventName") == "RISK_ASSESSMENT_UPDATED" {
		return decodeRisk(top)
	}
	return Delivery{Kind: KindUnknown, SessionID: cmp.Or(top.str("sessionId"), top.str("session_id")), Unknown: top.keys(nil)}
}

// --- tolerant field access ---

// depth returns the deepest nesting of objects and arrays, skipping strings.
func depth(b []byte) int {
	d, max := 0, 0
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
			if d > max {
				max = d
			}
		case c == '}' || c == ']':
			d--
		}
	}
	return max
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

// note writes the one line a timeline shows beside a delivery's state.
func note(d Delivery) string {
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	switch {
	case d.Kind == KindInvalid:
		add(d.Problem)
	case d.Event != nil:
		add(d.Event.ContextReason)
		add(d.Event.ContextState)
	case d.Decision != nil:
		dec := d.Decision
		if dec.ReasonCode != 0 {
			add(fmt.Sprintf("%d %s", dec.ReasonCode, cmp.Or(dec.Reason, ReasonText(dec.ReasonCode))))
		} else {
			add(dec.Reason)
		}
		add(strings.TrimSpace(cmp.Or(dec.Person.FullName, dec.Person.FirstName+" "+dec.Person.LastName)))
		if dec.FullAuto {
			add("Full Auto")
		}
	case d.UserStatus != nil:
		add(d.UserStatus.Status)
		add(d.UserStatus.Reason)
	case d.Watchlist != nil:
		add(d.Watchlist.CheckType)
		hits := "hits"
		if d.Watchlist.TotalHits == 1 {
			hits = "hit"
		}
		add(fmt.Sprintf("%d %s", d.Watchlist.TotalHits, hits))
	case d.Risk != nil:
		if d.Risk.RiskLevel != "" {
			add("risk " + d.Risk.RiskLevel)
		}
		add(d.Risk.CustomerName)
	}
	return strings.Join(parts, " · ")
}
