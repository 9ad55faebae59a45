// The webhooks as Veriff sends them, fields in Veriff's order and with its
// nulls, for whatever builds them (kycwatch's simulator, the sandbox,
// `kycwatch send`, the checklist). Decode reads them back as Payload.

package veriff

import (
	"fmt"
	"strings"
)

// EventWebhook is Veriff's event webhook (POST to the events URL).
type EventWebhook struct {
	ID         string  `json:"id"`
	AttemptID  string  `json:"attemptId"`
	Feature    string  `json:"feature"`
	Code       int     `json:"code"`
	Action     string  `json:"action"`
	VendorData *string `json:"vendorData"`
	EndUserID  *string `json:"endUserId"`
}

// NewEvent is the event webhook with this action for a session's attempt
// (the selfid feature, as the web flow sends); vendorData and endUserID
// are null when empty.
func NewEvent(sessionID, attemptID, action, vendorData, endUserID string) (EventWebhook, error) {
	code, ok := EventCode(action)
	if !ok {
		return EventWebhook{}, fmt.Errorf("unknown event %q (%s)", action, strings.Join(Actions(), ", "))
	}
	return EventWebhook{ID: sessionID, AttemptID: attemptID, Feature: "selfid", Code: code, Action: action,
		VendorData: Null(vendorData), EndUserID: Null(endUserID)}, nil
}

// DecisionWebhook is Veriff's decision webhook with every always-sent field.
type DecisionWebhook struct {
	Status        string        `json:"status"`
	Verification  Verification  `json:"verification"`
	TechnicalData TechnicalData `json:"technicalData"`
}

// Verification is a decision's verification object.
type Verification struct {
	ID                     string          `json:"id"`
	AttemptID              string          `json:"attemptId"`
	VendorData             *string         `json:"vendorData"`
	EndUserID              *string         `json:"endUserId"`
	Status                 string          `json:"status"`
	Code                   int             `json:"code"`
	Reason                 *string         `json:"reason"`
	ReasonCode             *int            `json:"reasonCode"`
	DecisionTime           *string         `json:"decisionTime"`
	AcceptanceTime         string          `json:"acceptanceTime"`
	SubmissionTime         *string         `json:"submissionTime"`
	Person                 WebhookPerson   `json:"person"`
	Document               WebhookDocument `json:"document"`
	AdditionalVerifiedData map[string]any  `json:"additionalVerifiedData"`
	Comments               []any           `json:"comments"`
	HighRisk               bool            `json:"highRisk"`
}

// WebhookPerson is the person of a decision, as sent.
type WebhookPerson struct {
	FirstName    *string `json:"firstName"`
	LastName     *string `json:"lastName"`
	DateOfBirth  *string `json:"dateOfBirth"`
	Gender       *string `json:"gender"`
	Nationality  *string `json:"nationality"`
	IDNumber     *string `json:"idNumber"`
	YearOfBirth  *string `json:"yearOfBirth"`
	PlaceOfBirth *string `json:"placeOfBirth"`
}

// WebhookDocument is the document of a decision, as sent.
type WebhookDocument struct {
	Number     *string `json:"number"`
	Type       *string `json:"type"`
	Country    *string `json:"country"`
	State      *string `json:"state"`
	ValidFrom  *string `json:"validFrom"`
	ValidUntil *string `json:"validUntil"`
}

// TechnicalData is where the end-user's IP address is sent.
type TechnicalData struct {
	IP *string `json:"ip"`
}

// UserStatusEvent is the eventType of a user-defined status webhook.
const UserStatusEvent = "user-status.created"

// UserStatusWebhook is Veriff's user-defined status webhook.
type UserStatusWebhook struct {
	Data       UserStatusData `json:"data"`
	Time       string         `json:"time"`
	AttemptID  string         `json:"attemptId"`
	EventType  string         `json:"eventType"`
	SessionID  string         `json:"sessionId"`
	VendorData *string        `json:"vendorData"`
	EndUserID  *string        `json:"endUserId"`
}

// UserStatusData is what a user-defined status webhook's data holds.
type UserStatusData struct {
	Verification struct {
		ID              string `json:"id"`
		UserDefinedData struct {
			Reason     *string `json:"reason"`
			Status     string  `json:"status"`
			CreatedAt  string  `json:"createdAt"`
			ReasonCode *int    `json:"reasonCode"`
			StatusCode string  `json:"statusCode"`
		} `json:"userDefinedData"`
	} `json:"verification"`
}

// Null is s for a field Veriff sends as null when it is empty.
func Null(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
