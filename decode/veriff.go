// Veriff's payloads: session events (7xxx), decisions (9xxx) and Full Auto,
// user-defined statuses, watchlist screening; and Veriff's vocabulary
// (event actions, decision codes, reason codes).

package decode

import "cmp"

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

// EventActions names the documented Veriff event codes.
var EventActions = map[int]string{
	7001: "started", 7002: "submitted", 7007: "waiting_complete",
	7008: "waiting_continued", 7009: "flow_finished", 7010: "flow_cancelled",
	7011: "document_type_other_selected",
}

// DecisionStatuses names the documented Veriff decision codes. 9104 is
// either expired or abandoned; the payload's status tells which.
var DecisionStatuses = map[int]string{
	9001: "approved", 9102: "declined", 9103: "resubmission_requested",
	9104: "expired", 9121: "review",
}

func decodeEvent(top obj) (Delivery, bool) {
	code := top.int("code")
	action := top.str("action")
	if (code < 7000 || code > 7999) && action == "" {
		return Delivery{}, false
	}
	if action == "" {
		action = EventActions[code]
	}
	ctx := top.obj("context")
	ev := &Event{
		Code: code, Action: action, Feature: top.str("feature"),
		ContextReason: ctx.str("reason"), ContextState: ctx.str("state"),
		AddressID: top.str("addressId"),
	}
	return Delivery{
		Kind: KindEvent, Provider: Veriff,
		SessionID: top.str("id"), AttemptID: top.str("attemptId"),
		Code: code, State: action,
		VendorData: top.str("vendorData"), EndUserID: top.str("endUserId"),
		Event:   ev,
		Unknown: top.keys(eventFields),
	}, true
}

var eventFields = set("id", "attemptId", "feature", "code", "action", "vendorData", "endUserId", "context", "addressId")

func decodeDecision(top obj) (Delivery, bool) {
	raw := top["verification"]
	if isNull(raw) {
		return Delivery{Kind: KindDecision, Provider: Veriff, Decision: &Decision{Null: true},
			State: "no decision yet", Unknown: top.keys(decisionTop)}, true
	}
	v := top.obj("verification")
	if v == nil {
		return Delivery{}, false
	}
	code := v.int("code")
	status := v.str("status")
	if code == 0 && status == "" {
		return Delivery{}, false
	}
	if status == "" {
		status = DecisionStatuses[code]
	}
	dec := &Decision{
		Status: status, Code: code,
		Reason: v.str("reason"), ReasonCode: v.int("reasonCode"),
		DecisionTime: v.str("decisionTime"), AcceptanceTime: v.str("acceptanceTime"),
		SubmissionTime: v.str("submissionTime"),
		Person:         person(v.obj("person")),
		Document:       document(v.obj("document")),
	}
	if rs := v.obj("riskScore"); rs != nil {
		if f, ok := rs.float("score"); ok {
			dec.RiskScore = &f
		}
	}
	for _, l := range v.objs("riskLabels") {
		dec.RiskLabels = append(dec.RiskLabels, RiskLabel{Label: l.str("label"), Category: l.str("category")})
	}
	if b, ok := top.bool("highRisk"); ok {
		dec.HighRisk = &b
	} else if b, ok := v.bool("highRisk"); ok {
		dec.HighRisk = &b
	}
	dec.IP = top.obj("technicalData").str("ip")
	return Delivery{
		Kind: KindDecision, Provider: Veriff,
		SessionID: v.str("id"), AttemptID: v.str("attemptId"),
		Code: code, State: status,
		VendorData: v.str("vendorData"), EndUserID: v.str("endUserId"),
		Decision: dec,
		Unknown:  append(top.keys(decisionTop), prefixed("verification.", v.keys(verificationFields))...),
	}, true
}

var decisionTop = set("status", "verification", "technicalData", "highRisk")

var verificationFields = set("id", "attemptId", "vendorData", "endUserId", "status", "code", "reason",
	"reasonCode", "decisionTime", "acceptanceTime", "submissionTime", "person", "document",
	"additionalVerifiedData", "riskScore", "riskLabels", "biometricAuthentication", "comments",
	"highRisk", "reasonDescription")

func decodeFullAuto(top obj) Delivery {
	data := top.obj("data").obj("verification")
	status := cmp.Or(data.str("decision"), data.str("status"))
	return Delivery{
		Kind: KindDecision, Provider: Veriff,
		SessionID: top.str("sessionId"), AttemptID: top.str("attemptId"),
		Code: data.int("code"), State: status,
		VendorData: top.str("vendorData"), EndUserID: top.str("endUserId"),
		Decision: &Decision{Status: status, Code: data.int("code"), FullAuto: true,
			Reason: data.str("reason"), ReasonCode: data.int("reasonCode"),
			Person: person(data.obj("person")), Document: document(data.obj("document"))},
		Unknown: top.keys(set("eventType", "sessionId", "attemptId", "vendorData", "endUserId", "data", "time", "version", "acceptanceTime")),
	}
}

func decodeUserStatus(top obj) Delivery {
	ud := top.obj("data").obj("verification").obj("userDefinedData")
	us := &UserStatus{
		Status: ud.str("status"), StatusCode: ud.str("statusCode"),
		Reason: ud.str("reason"), ReasonCode: ud.str("reasonCode"),
		CreatedAt: ud.str("createdAt"), Time: top.str("time"),
	}
	return Delivery{
		Kind: KindUserStatus, Provider: Veriff,
		SessionID: top.str("sessionId"), AttemptID: top.str("attemptId"),
		State:      cmp.Or(us.StatusCode, us.Status),
		VendorData: top.str("vendorData"), EndUserID: top.str("endUserId"),
		UserStatus: us,
		Unknown:    top.keys(set("data", "time", "attemptId", "eventType", "sessionId", "vendorData", "endUserId")),
	}
}

func decodeWatchlist(top obj) Delivery {
	g := func(camel, snake string) string { return cmp.Or(top.str(camel), top.str(snake)) }
	hits := top.arr("hits")
	w := &Watchlist{
		CheckType: g("checkType", "check_type"), MatchStatus: g("matchStatus", "match_status"),
		TotalHits: top.int("totalHits"), Hits: len(hits),
	}
	if w.TotalHits == 0 {
		w.TotalHits = top.int("total_hits")
	}
	return Delivery{
		Kind: KindWatchlist, Provider: Veriff,
		SessionID: g("sessionId", "session_id"), AttemptID: g("attemptId", "attempt_id"),
		State:      w.MatchStatus,
		VendorData: g("vendorData", "vendor_data"), EndUserID: g("endUserId", "end_user_id"),
		Watchlist: w,
		Unknown: top.keys(set("checkType", "check_type", "sessionId", "session_id", "attemptId", "attempt_id",
			"matchStatus", "match_status", "totalHits", "total_hits", "hits", "vendorData", "vendor_data",
			"endUserId", "end_user_id", "searchTerm", "search_term", "createdAt", "created_at")),
	}
}

func person(p obj) Person {
	out := Person{
		FirstName: p.str("firstName"), LastName: p.str("lastName"), FullName: p.str("fullName"),
		DateOfBirth: p.str("dateOfBirth"), Gender: p.str("gender"), Nationality: p.str("nationality"),
		IDNumber: p.str("idNumber"),
	}
	if addrs := p.objs("addresses"); len(addrs) > 0 {
		out.Address = addrs[0].str("fullAddress")
	}
	return out
}

func document(d obj) Document {
	return Document{Type: d.str("type"), Number: d.str("number"), Country: d.str("country"),
		ValidFrom: d.str("validFrom"), ValidUntil: d.str("validUntil")}
}

// ReasonText names Veriff's documented reason codes; unknown codes give "".
func ReasonText(code int) string { return reasonCodes[code] }

var reasonCodes = map[int]string{
	101: "Physical document not used", 102: "Suspected document tampering",
	103: "Person showing the document does not appear to match document photo",
	104: "Name entered does not match name on document", 105: "Suspicious behaviour",
	106: "Known fraud", 108: "Velocity/abuse: duplicated end-user", 109: "Velocity/abuse: duplicated device",
	110: "Velocity/abuse: duplicated ID", 111: "Session fraudulently accessed", 112: "Restricted IP location",
	113: "Identity farming", 201: "Video and/or photos missing", 202: "Face not clearly visible",
	203: "Full document not visible", 204: "Poor image quality", 205: "Document damaged",
	206: "Document type not supported", 207: "Document expired", 208: "Selfie missing",
	209: "Document photo missing", 539: "Resubmission limit exceeded",
}
