// VerifiMe's vocabulary, defined here once: the tracking statuses of the
// customer's data entry (phase 1), the assessment statuses and risk levels
// of the back office's assessment (phase 2), and the webhook's event name.

package verifime

// Tracking statuses of phase 1, in order (one way).
const (
	Inactive  = "Inactive"
	Active    = "Active"
	Completed = "Completed"
)

// RiskAssessmentUpdated is the eventName of VerifiMe's webhook.
const RiskAssessmentUpdated = "RISK_ASSESSMENT_UPDATED"

// Assessment statuses of phase 2.
const (
	Pending     = "PENDING"
	Preliminary = "PRELIMINARY"
	Assessed    = "ASSESSED"
)

// The assessment statuses as a delivery's state (RiskAssessment.State
// gives them lowercase, as Veriff's states are).
const (
	PendingState     = "pending"
	PreliminaryState = "preliminary"
	AssessedState    = "assessed"
)

// AssessmentStatuses are the assessment statuses, in order.
var AssessmentStatuses = []string{Pending, Preliminary, Assessed}

// Risk levels an assessment can carry.
const (
	Low     = "LOW"
	Medium  = "MEDIUM"
	High    = "HIGH"
	Extreme = "EXTREME"
	NoRisk  = "NO RISK DETECTED"
)

// RiskLevels are the risk levels, lowest first (no risk detected last).
var RiskLevels = []string{Low, Medium, High, Extreme, NoRisk}

// ValidRiskLevel says level is one of RiskLevels.
func ValidRiskLevel(level string) bool {
	for _, l := range RiskLevels {
		if l == level {
			return true
		}
	}
	return false
}
