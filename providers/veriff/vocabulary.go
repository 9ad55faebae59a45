// Veriff's vocabulary, defined here once: event codes and their actions,
// decision codes and their statuses, reason codes and their texts.

package veriff

import "slices"

// SessionCreated is a new session's status in Veriff's API; it then takes the
// actions of the events started and submitted as its status, then the
// decision's.
const SessionCreated = "created"

// The events kycwatch's own code names (the others are only in
// EventActions): their codes and actions.
const (
	CodeStarted     = 7001
	CodeSubmitted   = 7002
	ActionStarted   = "started"
	ActionSubmitted = "submitted"
)

// EventActions names the documented Veriff event codes.
var EventActions = map[int]string{
	CodeStarted: ActionStarted, CodeSubmitted: ActionSubmitted, 7007: "waiting_complete",
	7008: "waiting_continued", 7009: "flow_finished", 7010: "flow_cancelled",
	7011: "document_type_other_selected",
}

// EventCodes lists the documented event codes, in order.
func EventCodes() []int { return codes(EventActions) }

// Actions lists the documented event actions, in the order of their codes.
func Actions() []string {
	var out []string
	for _, c := range EventCodes() {
		out = append(out, EventActions[c])
	}
	return out
}

// EventCode is the code of the event with this action.
func EventCode(action string) (int, bool) {
	for code, a := range EventActions {
		if a == action {
			return code, true
		}
	}
	return 0, false
}

// Decision statuses, as a decision's verification.status says them.
const (
	Approved  = "approved"
	Declined  = "declined"
	Resubmit  = "resubmission_requested"
	Review    = "review"
	Expired   = "expired"
	Abandoned = "abandoned"
)

// DecisionStatuses names the documented Veriff decision codes. 9104 is
// either expired or abandoned; the payload's status tells which.
var DecisionStatuses = map[int]string{
	9001: Approved, 9102: Declined, 9103: Resubmit,
	9104: Expired, 9121: Review,
}

// DecisionCodes lists the documented decision codes, in order.
func DecisionCodes() []int { return codes(DecisionStatuses) }

// DecisionCode is the code a decision with this status carries (9104 for
// abandoned too).
func DecisionCode(status string) (int, bool) {
	if status == Abandoned {
		return 9104, true
	}
	for code, s := range DecisionStatuses {
		if s == status {
			return code, true
		}
	}
	return 0, false
}

func codes(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
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
