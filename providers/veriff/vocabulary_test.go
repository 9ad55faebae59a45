package veriff

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/internal/webhook"
)

func TestVocabularyBothWays(t *testing.T) {
	for code, action := range EventActions {
		if c, ok := EventCode(action); !ok || c != code {
			t.Errorf("EventCode(%q) = %d, %v; want %d", action, c, ok, code)
		}
	}
	for code, status := range DecisionStatuses {
		if c, ok := DecisionCode(status); !ok || c != code {
			t.Errorf("DecisionCode(%q) = %d, %v; want %d", status, c, ok, code)
		}
	}
	if c, ok := DecisionCode(Abandoned); !ok || c != 9104 {
		t.Errorf("abandoned: %d %v", c, ok)
	}
	if _, ok := EventCode("nope"); ok {
		t.Error("an unknown action has a code")
	}
	if got := Actions(); len(got) != len(EventActions) || got[0] != ActionStarted || got[1] != ActionSubmitted {
		t.Errorf("Actions() = %v", got)
	}
	if !slices.IsSorted(DecisionCodes()) || !slices.IsSorted(EventCodes()) {
		t.Error("code lists out of order")
	}
	if ReasonText(102) != "Suspected document tampering" || ReasonText(1) != "" {
		t.Error("reason texts")
	}
}

// decodeSent reads back what was built to be sent.
func decodeSent(t *testing.T, v any) Payload {
	t.Helper()
	b, err := webhook.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var top webhook.Obj
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	p, ok := Decode(top)
	if !ok {
		t.Fatalf("not read as Veriff's: %s", b)
	}
	return p
}

func TestWebhooksAsSentDecode(t *testing.T) {
	ev, err := NewEvent("s-1", "a-1", ActionSubmitted, "v-1", "")
	if err != nil {
		t.Fatal(err)
	}
	p := decodeSent(t, ev)
	if p.Event == nil || p.Code != CodeSubmitted || p.State != ActionSubmitted || p.SessionID != "s-1" ||
		p.AttemptID != "a-1" || p.VendorData != "v-1" || len(p.Unknown) != 0 {
		t.Errorf("event read back as %+v", p)
	}
	if _, err := NewEvent("s", "a", "nope", "", ""); err == nil {
		t.Error("an unknown action was built")
	}

	code := 204
	d := DecisionWebhook{Status: "success", Verification: Verification{ID: "s-2", AttemptID: "a-2", Status: Resubmit,
		Code: 9103, Reason: Null(ReasonText(code)), ReasonCode: &code, Person: WebhookPerson{FirstName: Null("ADA")}}}
	p = decodeSent(t, d)
	if p.Decision == nil || p.State != Resubmit || p.Code != 9103 || p.SessionID != "s-2" ||
		p.Note() != "204 Poor image quality · ADA" {
		t.Errorf("decision read back as %+v, note %q", p, p.Note())
	}

	u := UserStatusWebhook{Time: time.Now().Format(time.RFC3339), SessionID: "s-3", EventType: UserStatusEvent}
	u.Data.Verification.UserDefinedData.Status = "Fraud"
	u.Data.Verification.UserDefinedData.StatusCode = "fraud"
	p = decodeSent(t, u)
	if p.UserStatus == nil || p.State != "fraud" || p.SessionID != "s-3" {
		t.Errorf("user status read back as %+v", p)
	}
}
