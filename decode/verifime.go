// VerifiMe's payload: RISK_ASSESSMENT_UPDATED (phase 2).

package decode

import "strings"

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
