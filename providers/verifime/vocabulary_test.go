package verifime

import (
	"encoding/json"
	"testing"

	"github.com/kycwatch/kycwatch/internal/webhook"
)

func TestRiskAssessmentAsSentDecodes(t *testing.T) {
	sent := RiskAssessmentWebhook{EventID: "e-1", EventName: RiskAssessmentUpdated, CustomerName: "Ada Lovelace",
		AssessmentStatus: Assessed, RiskLevel: &RiskLevels[0], Metadata: "kw-1"}
	b, err := webhook.Marshal(sent)
	if err != nil {
		t.Fatal(err)
	}
	var top webhook.Obj
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	r, unknown, ok := Decode(top)
	if !ok || r.SessionID() != "kw-1" || r.State() != "assessed" || r.RiskLevel != Low || len(unknown) != 0 ||
		r.Note() != "risk LOW · Ada Lovelace" {
		t.Fatalf("read back as %+v %v %v, note %q", r, unknown, ok, r.Note())
	}
	if _, _, ok := Decode(webhook.Obj{"eventName": json.RawMessage(`"OTHER"`)}); ok {
		t.Error("another event read as a risk assessment")
	}
	for _, l := range RiskLevels {
		if !ValidRiskLevel(l) {
			t.Errorf("%q not valid", l)
		}
	}
	if ValidRiskLevel("low") {
		t.Error("levels are upper case")
	}
}

// TestAssessmentStatesAreTheStatusesLowercase: the state words the timeline
// and the ui compare with are what State gives for each status.
func TestAssessmentStatesAreTheStatusesLowercase(t *testing.T) {
	for status, state := range map[string]string{Pending: PendingState, Preliminary: PreliminaryState, Assessed: AssessedState} {
		if got := (&RiskAssessment{AssessmentStatus: status}).State(); got != state {
			t.Errorf("%s reads as %q, the vocabulary says %q", status, got, state)
		}
	}
}
