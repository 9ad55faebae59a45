package sessions

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kycwatch/kycwatch/decode"
)

// Expectation is one --expect: a delivery that must arrive, accepted.
//
//	decision=approved   a decision with that status (or code: decision=9001)
//	event=submitted     an event with that action (or code: event=7002)
//	risk=LOW            a VerifiMe assessment with that level (or status: risk=assessed)
//	session=ID          anything accepted for that session
//	kind=watchlist      any delivery of that kind
//
// A match is case-insensitive. "@ID" after any of them (decision=approved@ID)
// also requires the session.
type Expectation struct {
	Text             string
	Key, Value, Sess string
}

// ParseExpectation reads one --expect.
func ParseExpectation(s string) (Expectation, error) {
	e := Expectation{Text: s}
	k, v, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || v == "" {
		return e, fmt.Errorf("--expect %q: want KEY=VALUE (decision=approved, event=submitted, risk=LOW, session=ID, kind=KIND)", s)
	}
	e.Key, e.Value = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
	if e.Key != "session" {
		if val, sess, ok := strings.Cut(e.Value, "@"); ok {
			e.Value, e.Sess = val, sess
		}
	}
	switch e.Key {
	case "decision", "event", "risk", "session", "kind":
		return e, nil
	}
	return e, fmt.Errorf("--expect %q: %q is not one of decision, event, risk, session, kind", s, e.Key)
}

// Match reports whether r meets the expectation: only accepted deliveries
// count (a forged approval meets nothing).
func (e Expectation) Match(r Record) bool {
	if !r.Accepted() {
		return false
	}
	d := r.Delivery
	if e.Sess != "" && d.SessionID != e.Sess {
		return false
	}
	code := strconv.Itoa(d.Code)
	eq := func(a string) bool { return strings.EqualFold(a, e.Value) }
	switch e.Key {
	case "decision":
		return d.Kind == decode.KindDecision && (eq(d.State) || eq(code))
	case "event":
		return d.Kind == decode.KindEvent && (eq(d.State) || eq(code))
	case "risk":
		level := ""
		if d.Risk != nil {
			level = d.Risk.RiskLevel
		}
		return d.Kind == decode.KindRiskAssessment && (eq(level) || eq(d.State))
	case "session":
		return d.SessionID == e.Value
	case "kind":
		return eq(string(d.Kind))
	}
	return false
}
