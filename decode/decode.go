package decode

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
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

// RiskAssessment is VerifiMe's RISK_ASSESSMENT_UPDATED.
type RiskAssessment struct {
	EventID          string `json:"event_id"`
	CustomerName     string `json:"customer_name,omitempty"`
	AssessmentStatus string `json:"assessment_status"`
	RiskLevel        string `json:"risk_level,omitempty"`
	PortalURL        string `json:"portal_url,omitempty"`
	EventTimestamp   string `json:"event_timestamp,omitempty"`
	Metadata         string `json:"metadata,omitempty"`
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

// obj is a JSON object whose values are decoded on demand, so a field of an
// unexpected type spoils only itself.
type obj map[string]json.RawMessage

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

func decodeRisk(top obj) Delivery {
	r := &RiskAssessment{
		EventID: top.str("eventId"), CustomerName: top.str("customerName"),
		AssessmentStatus: top.str("assessmentStatus"), RiskLevel: top.str("riskLevel"),
		PortalURL: top.str("assessmentPortalUrl"), EventTimestamp: top.str("eventTimestamp"),
		Metadata: top.text("metadata"),
	}
	return Delivery{
		Kind: KindRiskAssessment, Provider: VerifiMe,
		SessionID: r.Metadata, State: strings.ToLower(r.AssessmentStatus),
		Risk:    r,
		Unknown: top.keys(set("eventId", "eventName", "customerName", "assessmentStatus", "riskLevel", "assessmentPortalUrl", "eventTimestamp", "metadata")),
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

// --- tolerant field access ---

func (o obj) has(k string) bool { _, ok := o[k]; return ok }

// str returns a string field; numbers and booleans are given as written, and
// null, objects and arrays as "".
func (o obj) str(k string) string {
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

// text is str, but an object or array is given as its compact JSON (VerifiMe's
// metadata is whatever the integrator put in referenceData).
func (o obj) text(k string) string {
	raw := o[k]
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			return b.String()
		}
	}
	return o.str(k)
}

// int reads an integer field, written as a number or a numeric string.
func (o obj) int(k string) int {
	s := o.str(k)
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

func (o obj) float(k string) (float64, bool) {
	s := o.str(k)
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func (o obj) bool(k string) (bool, bool) {
	switch string(o[k]) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func (o obj) obj(k string) obj {
	raw, ok := o[k]
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var out obj
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

func (o obj) arr(k string) []json.RawMessage {
	raw, ok := o[k]
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var out []json.RawMessage
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

func (o obj) objs(k string) []obj {
	var out []obj
	for _, raw := range o.arr(k) {
		var x obj
		if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &x) == nil {
			out = append(out, x)
		}
	}
	return out
}

// keys lists the fields not in known, sorted.
func (o obj) keys(known map[string]bool) []string {
	var out []string
	for k := range o {
		if !known[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func set(ks ...string) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k] = true
	}
	return m
}

func prefixed(p string, ks []string) []string {
	for i := range ks {
		ks[i] = p + ks[i]
	}
	return ks
}

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
