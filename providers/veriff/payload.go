// Veriff's webhooks as kycwatch reads them: session events (7xxx),
// decisions (9xxx) and Full Auto, user-defined statuses, watchlist
// screening. Decode reads them tolerantly (a field of an unexpected type
// spoils only itself); the shapes Veriff sends, for building them, are in
// webhooks.go.

package veriff

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/kycwatch/kycwatch/internal/webhook"
)

// Payload is a Veriff webhook as kycwatch reads it: the fields every kind
// carries, and exactly one of Event, Decision, UserStatus or Watchlist.
type Payload struct {
	SessionID  string
	AttemptID  string
	Code       int
	State      string // event action, decision status, user status code, match status
	VendorData string
	EndUserID  string

	Event      *Event
	Decision   *Decision
	UserStatus *UserStatus
	Watchlist  *Watchlist
	// Unknown lists the top-level fields kycwatch does not know.
	Unknown []string
}

// Decode reads a webhook body's top-level object as Veriff's, trying its
// shapes in the order protocol.md gives; ok is false when it has none of
// them (a body with a verification or a code that turns out to be neither
// a decision nor an event included).
func Decode(top webhook.Obj) (p Payload, ok bool) {
	switch {
	case top.Str("eventType") == UserStatusEvent:
		return decodeUserStatus(top), true
	case strings.EqualFold(top.Str("eventType"), "fullauto"):
		return decodeFullAuto(top), true
	case top.Has("checkType") || top.Has("check_type"):
		return decodeWatchlist(top), true
	case top.Has("verification"):
		return decodeDecision(top)
	case top.Has("code") || top.Has("action"):
		return decodeEvent(top)
	}
	return Payload{}, false
}

// Note is the one line a timeline shows beside the payload's state: an
// event's context, a decision's reason and person, a user status, a
// watchlist's hits.
func (p Payload) Note() string {
	switch {
	case p.Event != nil:
		return webhook.Note(p.Event.ContextReason, p.Event.ContextState)
	case p.Decision != nil:
		dec := p.Decision
		reason := dec.Reason
		if dec.ReasonCode != 0 {
			reason = fmt.Sprintf("%d %s", dec.ReasonCode, cmp.Or(dec.Reason, ReasonText(dec.ReasonCode)))
		}
		fullAuto := ""
		if dec.FullAuto {
			fullAuto = "Full Auto"
		}
		return webhook.Note(reason, strings.TrimSpace(cmp.Or(dec.Person.FullName, dec.Person.FirstName+" "+dec.Person.LastName)), fullAuto)
	case p.UserStatus != nil:
		return webhook.Note(p.UserStatus.Status, p.UserStatus.Reason)
	case p.Watchlist != nil:
		hits := "hits"
		if p.Watchlist.TotalHits == 1 {
			hits = "hit"
		}
		return webhook.Note(p.Watchlist.CheckType, fmt.Sprintf("%d %s", p.Watchlist.TotalHits, hits))
	}
	return ""
}

// Event is a Veriff session event (7001 started, 7002 submitted, …).
type Event struct {
	Code          int    `json:"code"`
	Action        string `json:"action"`
	Feature       string `json:"feature,omitempty"`
	ContextReason string `json:"context_reason,omitempty"`
	ContextState  string `json:"context_state,omitempty"`
	AddressID     string `json:"address_id,omitempty"`
}

// Decision is a Veriff decision (verification object) or a Full Auto result.
type Decision struct {
	Status         string      `json:"status"`
	Code           int         `json:"code"`
	Reason         string      `json:"reason,omitempty"`
	ReasonCode     int         `json:"reason_code,omitempty"`
	DecisionTime   string      `json:"decision_time,omitempty"`
	AcceptanceTime string      `json:"acceptance_time,omitempty"`
	SubmissionTime string      `json:"submission_time,omitempty"`
	Person         Person      `json:"person"`
	Document       Document    `json:"document"`
	RiskScore      *float64    `json:"risk_score,omitempty"`
	RiskLabels     []RiskLabel `json:"risk_labels,omitempty"`
	HighRisk       *bool       `json:"high_risk,omitempty"`
	IP             string      `json:"ip,omitempty"`
	FullAuto       bool        `json:"full_auto,omitempty"`
	// Null is true when the payload says no decision is available yet
	// ("verification": null).
	Null bool `json:"null,omitempty"`
}

// Person is the verified person as Veriff reports it.
type Person struct {
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	FullName    string `json:"full_name,omitempty"`
	DateOfBirth string `json:"date_of_birth,omitempty"`
	Gender      string `json:"gender,omitempty"`
	Nationality string `json:"nationality,omitempty"`
	IDNumber    string `json:"id_number,omitempty"`
	Address     string `json:"address,omitempty"`
}

// Document is the verified identity document.
type Document struct {
	Type       string `json:"type,omitempty"`
	Number     string `json:"number,omitempty"`
	Country    string `json:"country,omitempty"`
	ValidFrom  string `json:"valid_from,omitempty"`
	ValidUntil string `json:"valid_until,omitempty"`
}

// RiskLabel is one entry of a decision's riskLabels.
type RiskLabel struct {
	Label    string `json:"label"`
	Category string `json:"category,omitempty"`
}

// UserStatus is a status a Customer Portal user set on an attempt.
type UserStatus struct {
	Status     string `json:"status"`
	StatusCode string `json:"status_code"`
	Reason     string `json:"reason,omitempty"`
	ReasonCode string `json:"reason_code,omitempty"`
	CreatedAt  string `json:"created_at,omitempty"`
	Time       string `json:"time,omitempty"`
}

// Watchlist is a watchlist-screening result.
type Watchlist struct {
	CheckType   string `json:"check_type"`
	MatchStatus string `json:"match_status"`
	TotalHits   int    `json:"total_hits"`
	Hits        int    `json:"hits"` // entries in hits[]
}

func decodeEvent(top webhook.Obj) (Payload, bool) {
	code := top.Int("code")
	action := top.Str("action")
	if (code < 7000 || code > 7999) && action == "" {
		return Payload{}, false
	}
	if action == "" {
		action = EventActions[code]
	}
	ctx := top.Obj("context")
	ev := &Event{
		Code: code, Action: action, Feature: top.Str("feature"),
		ContextReason: ctx.Str("reason"), ContextState: ctx.Str("state"),
		AddressID: top.Str("addressId"),
	}
	p := ids(top, "id")
	p.Code, p.State, p.Event, p.Unknown = code, action, ev, top.Keys(eventFields)
	return p, true
}

// ids reads the fields every kind carries, from the object that holds them
// (the session id under the name session).
func ids(o webhook.Obj, session string) Payload {
	return Payload{SessionID: o.Str(session), AttemptID: o.Str("attemptId"),
		VendorData: o.Str("vendorData"), EndUserID: o.Str("endUserId")}
}

var eventFields = webhook.Set("id", "attemptId", "feature", "code", "action", "vendorData", "endUserId", "context", "addressId")

func decodeDecision(top webhook.Obj) (Payload, bool) {
	raw := top["verification"]
	if webhook.IsNull(raw) {
		return Payload{Decision: &Decision{Null: true},
			State: "no decision yet", Unknown: top.Keys(decisionTop)}, true
	}
	v := top.Obj("verification")
	if v == nil {
		return Payload{}, false
	}
	code := v.Int("code")
	status := v.Str("status")
	if code == 0 && status == "" {
		return Payload{}, false
	}
	if status == "" {
		status = DecisionStatuses[code]
	}
	dec := &Decision{
		Status: status, Code: code,
		Reason: v.Str("reason"), ReasonCode: v.Int("reasonCode"),
		DecisionTime: v.Str("decisionTime"), AcceptanceTime: v.Str("acceptanceTime"),
		SubmissionTime: v.Str("submissionTime"),
		Person:         person(v.Obj("person")),
		Document:       document(v.Obj("document")),
	}
	if rs := v.Obj("riskScore"); rs != nil {
		if f, ok := rs.Float("score"); ok {
			dec.RiskScore = &f
		}
	}
	for _, l := range v.Objs("riskLabels") {
		dec.RiskLabels = append(dec.RiskLabels, RiskLabel{Label: l.Str("label"), Category: l.Str("category")})
	}
	if b, ok := top.Bool("highRisk"); ok {
		dec.HighRisk = &b
	} else if b, ok := v.Bool("highRisk"); ok {
		dec.HighRisk = &b
	}
	dec.IP = top.Obj("technicalData").Str("ip")
	p := ids(v, "id")
	p.Code, p.State, p.Decision = code, status, dec
	p.Unknown = append(top.Keys(decisionTop), webhook.Prefixed("verification.", v.Keys(verificationFields))...)
	return p, true
}

var decisionTop = webhook.Set("status", "verification", "technicalData", "highRisk")

var verificationFields = webhook.Set("id", "attemptId", "vendorData", "endUserId", "status", "code", "reason",
	"reasonCode", "decisionTime", "acceptanceTime", "submissionTime", "person", "document",
	"additionalVerifiedData", "riskScore", "riskLabels", "biometricAuthentication", "comments",
	"highRisk", "reasonDescription")

func decodeFullAuto(top webhook.Obj) Payload {
	data := top.Obj("data").Obj("verification")
	status := cmp.Or(data.Str("decision"), data.Str("status"))
	p := ids(top, "sessionId")
	p.Code, p.State = data.Int("code"), status
	p.Decision = &Decision{Status: status, Code: data.Int("code"), FullAuto: true,
		Reason: data.Str("reason"), ReasonCode: data.Int("reasonCode"),
		Person: person(data.Obj("person")), Document: document(data.Obj("document"))}
	p.Unknown = top.Keys(webhook.Set("eventType", "sessionId", "attemptId", "vendorData", "endUserId", "data", "time", "version", "acceptanceTime"))
	return p
}

func decodeUserStatus(top webhook.Obj) Payload {
	ud := top.Obj("data").Obj("verification").Obj("userDefinedData")
	us := &UserStatus{
		Status: ud.Str("status"), StatusCode: ud.Str("statusCode"),
		Reason: ud.Str("reason"), ReasonCode: ud.Str("reasonCode"),
		CreatedAt: ud.Str("createdAt"), Time: top.Str("time"),
	}
	p := ids(top, "sessionId")
	p.State, p.UserStatus = cmp.Or(us.StatusCode, us.Status), us
	p.Unknown = top.Keys(webhook.Set("data", "time", "attemptId", "eventType", "sessionId", "vendorData", "endUserId"))
	return p
}

func decodeWatchlist(top webhook.Obj) Payload {
	g := func(camel, snake string) string { return cmp.Or(top.Str(camel), top.Str(snake)) }
	hits := top.Arr("hits")
	w := &Watchlist{
		CheckType: g("checkType", "check_type"), MatchStatus: g("matchStatus", "match_status"),
		TotalHits: top.Int("totalHits"), Hits: len(hits),
	}
	if w.TotalHits == 0 {
		w.TotalHits = top.Int("total_hits")
	}
	return Payload{
		SessionID: g("sessionId", "session_id"), AttemptID: g("attemptId", "attempt_id"),
		State:      w.MatchStatus,
		VendorData: g("vendorData", "vendor_data"), EndUserID: g("endUserId", "end_user_id"),
		Watchlist: w,
		Unknown: top.Keys(webhook.Set("checkType", "check_type", "sessionId", "session_id", "attemptId", "attempt_id",
			"matchStatus", "match_status", "totalHits", "total_hits", "hits", "vendorData", "vendor_data",
			"endUserId", "end_user_id", "searchTerm", "search_term", "createdAt", "created_at")),
	}
}

func person(p webhook.Obj) Person {
	out := Person{
		FirstName: p.Str("firstName"), LastName: p.Str("lastName"), FullName: p.Str("fullName"),
		DateOfBirth: p.Str("dateOfBirth"), Gender: p.Str("gender"), Nationality: p.Str("nationality"),
		IDNumber: p.Str("idNumber"),
	}
	if addrs := p.Objs("addresses"); len(addrs) > 0 {
		out.Address = addrs[0].Str("fullAddress")
	}
	return out
}

func document(d webhook.Obj) Document {
	return Document{Type: d.Str("type"), Number: d.Str("number"), Country: d.Str("country"),
		ValidFrom: d.Str("validFrom"), ValidUntil: d.Str("validUntil")}
}
