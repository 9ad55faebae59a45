// VerifiMe's webhook: RISK_ASSESSMENT_UPDATED (phase 2), as sent
// (RiskAssessmentWebhook) and as kycwatch reads it (RiskAssessment).

package verifime

import (
	"strings"

	"github.com/kycwatch/kycwatch/internal/webhook"
)

// RiskAssessment is VerifiMe's RISK_ASSESSMENT_UPDATED as kycwatch reads it.
type RiskAssessment struct {
	EventID          string `json:"event_id"`
	CustomerName     string `json:"customer_name,omitempty"`
	AssessmentStatus string `json:"assessment_status"`
	RiskLevel        string `json:"risk_level,omitempty"`
	PortalURL        string `json:"portal_url,omitempty"`
	EventTimestamp   string `json:"event_timestamp,omitempty"`
	Metadata         string `json:"metadata,omitempty"`
}

// Decode reads a webhook body's top-level object as VerifiMe's; ok is
// false when it is not a RISK_ASSESSMENT_UPDATED. unknown lists the
// top-level fields kycwatch does not know.
func Decode(top webhook.Obj) (r *RiskAssessment, unknown []string, ok bool) {
	if top.Str("eventName") != RiskAssessmentUpdated {
		return nil, nil, false
	}
	r = &RiskAssessment{
		EventID: top.Str("eventId"), CustomerName: top.Str("customerName"),
		AssessmentStatus: top.Str("assessmentStatus"), RiskLevel: top.Str("riskLevel"),
		PortalURL: top.Str("assessmentPortalUrl"), EventTimestamp: top.Str("eventTimestamp"),
		Metadata: top.Text("metadata"),
	}
	return r, top.Keys(webhook.Set("eventId", "eventName", "customerName", "assessmentStatus", "riskLevel", "assessmentPortalUrl", "eventTimestamp", "metadata")), true
}

// SessionID is the session the assessment belongs to: the invite's
// referenceData, sent back as metadata.
func (r *RiskAssessment) SessionID() string { return r.Metadata }

// State is the assessment status as a timeline state (lower case).
func (r *RiskAssessment) State() string { return strings.ToLower(r.AssessmentStatus) }

// Note is the one line a timeline shows beside the state: the risk level
// and the customer.
func (r *RiskAssessment) Note() string {
	level := ""
	if r.RiskLevel != "" {
		level = "risk " + r.RiskLevel
	}
	return webhook.Note(level, r.CustomerName)
}

// RiskAssessmentWebhook is VerifiMe's webhook as sent, fields in the
// documented order.
type RiskAssessmentWebhook struct {
	EventID             string  `json:"eventId"`
	EventName           string  `json:"eventName"`
	CustomerName        string  `json:"customerName"`
	AssessmentStatus    string  `json:"assessmentStatus"`
	RiskLevel           *string `json:"riskLevel"`
	AssessmentPortalURL string  `json:"assessmentPortalUrl"`
	EventTimestamp      string  `json:"eventTimestamp"`
	Metadata            string  `json:"metadata"`
}
