package sessions

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
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
			e.Value, e.Sess = strings.TrimSpace(val), strings.TrimSpace(sess)
			if e.Sess == "" {
				return e, fmt.Errorf("--expect %q: want a session id after @ (decision=approved@SESSION_ID)", s)
			}
		}
	}
	valid := func(what string, names []string, codes []int) error {
		for _, n := range names {
			if strings.EqualFold(n, e.Value) {
				return nil
			}
		}
		for _, c := range codes {
			if strconv.Itoa(c) == e.Value {
				return nil
			}
		}
		list := strings.Join(names, ", ")
		if len(codes) > 0 {
			cs := make([]string, len(codes))
			for i, c := range codes {
				cs[i] = strconv.Itoa(c)
			}
			list += " (or a code: " + strings.Join(cs, ", ") + ")"
		}
		return fmt.Errorf("--expect %q: no %s is %q; valid: %s", s, what, e.Value, list)
	}
	switch e.Key {
	case "decision":
		return e, valid("decision status", DecisionStatuses, veriff.DecisionCodes())
	case "event":
		return e, valid("event action", veriff.Actions(), veriff.EventCodes())
	case "risk":
		return e, valid("risk level or assessment status", RiskValues, nil)
	case "kind":
		if strings.EqualFold(e.Value, string(decode.KindInvalid)) {
			return e, fmt.Errorf("--expect %q: an invalid delivery is never accepted, so it can never be expected; valid: %s", s, strings.Join(ExpectKinds, ", "))
		}
		return e, valid("kind", ExpectKinds, nil)
	case "session":
		return e, nil
	}
	return e, fmt.Errorf("--expect %q: %q is not one of decision, event, risk, session, kind", s, e.Key)
}

// RiskValues are VerifiMe's risk levels, then its assessment statuses.
var RiskValues = append(append([]string{}, verifime.RiskLevels...), verifime.AssessmentStatuses...)

// ExpectKinds are the kinds an accepted delivery can have.
var ExpectKinds = []string{string(decode.KindEvent), string(decode.KindDecision), string(decode.KindUserStatus), string(decode.KindWatchlist),
	string(decode.KindRiskAssessment), string(decode.KindUnknown), string(decode.KindCallback), string(decode.KindAPICall)}

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
