package simulator

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/sessions"
)

// Event is Veriff's event webhook, fields in Veriff's order.
type Event struct {
	ID         string  `json:"id"`
	AttemptID  string  `json:"attemptId"`
	Feature    string  `json:"feature"`
	Code       int     `json:"code"`
	Action     string  `json:"action"`
	VendorData *string `json:"vendorData"`
	EndUserID  *string `json:"endUserId"`
}

// Decision is Veriff's decision webhook with every always-sent field.
type Decision struct {
	Status        string        `json:"status"`
	Verification  Verification  `json:"verification"`
	TechnicalData TechnicalData `json:"technicalData"`
}

type Verification struct {
	ID                     string         `json:"id"`
	AttemptID              string         `json:"attemptId"`
	VendorData             *string        `json:"vendorData"`
	EndUserID              *string        `json:"endUserId"`
	Status                 string         `json:"status"`
	Code                   int            `json:"code"`
	Reason                 *string        `json:"reason"`
	ReasonCode             *int           `json:"reasonCode"`
	DecisionTime           *string        `json:"decisionTime"`
	AcceptanceTime         string         `json:"acceptanceTime"`
	SubmissionTime         *string        `json:"submissionTime"`
	Person                 Person         `json:"person"`
	Document               Document       `json:"document"`
	AdditionalVerifiedData map[string]any `json:"additionalVerifiedData"`
	Comments               []any          `json:"comments"`
	HighRisk               bool           `json:"highRisk"`
}

type Person struct {
	FirstName    *string `json:"firstName"`
	LastName     *string `json:"lastName"`
	DateOfBirth  *string `json:"dateOfBirth"`
	Gender       *string `json:"gender"`
	Nationality  *string `json:"nationality"`
	IDNumber     *string `json:"idNumber"`
	YearOfBirth  *string `json:"yearOfBirth"`
	PlaceOfBirth *string `json:"placeOfBirth"`
}

type Document struct {
	Number     *string `json:"number"`
	Type       *string `json:"type"`
	Country    *string `json:"country"`
	State      *string `json:"state"`
	ValidFrom  *string `json:"validFrom"`
	ValidUntil *string `json:"validUntil"`
}

type TechnicalData struct {
	IP *string `json:"ip"`
}

var statusCodes = map[string]int{sessions.StateApproved: 9001, sessions.StateDeclined: 9102, sessions.StateResubmit: 9103, sessions.StateReview: 9121, sessions.StateExpired: 9104, sessions.StateAbandoned: 9104}

// reasons come with declined and resubmission_requested, as Veriff sends.
var reasons = map[string][]struct {
	code int
	text string
}{
	sessions.StateDeclined: {{102, "Suspected document tampering."}, {103, "Person showing the document does not appear to match document photo."},
		{105, "Suspicious behaviour."}, {108, "Velocity/abuse duplicated user."}},
	sessions.StateResubmit: {{204, "Poor image quality."}, {203, "Full document not visible."}, {202, "Face not clearly visible."},
		{201, "Video and/or photos missing."}},
}

// identity is a plausible person with a document, the same for a session
// every time (seeded by its id), never a real one.
type identity struct {
	first, last, dob, gender, nationality, idNumber, birthplace string
	docType, docNumber, docCountry, validFrom, validUntil       string
	ip                                                          string
}

var people = []struct{ first, last, gender, country, birthplace string }{
	{"JOHN", "SMITH", "M", "GB", "LONDON"},
	{"MARI", "TAMM", "F", "EE", "TALLINN"},
	{"SARAH", "MORGAN", "F", "US", "INDIANAPOLIS"},
	{"CARLOS", "GARCIA LOPEZ", "M", "ES", "MADRID"},
	{"AIKO", "TANAKA", "F", "JP", "OSAKA"},
	{"LUKAS", "MULLER", "M", "DE", "HAMBURG"},
	{"AMARA", "OKAFOR", "F", "NG", "LAGOS"},
	{"OLIVIA", "BROWN", "F", "AU", "MELBOURNE"},
}

var docTypes = []string{"PASSPORT", "ID_CARD", "DRIVERS_LICENSE", "RESIDENCE_PERMIT"}

func seeded(sessionID string) *rand.Rand {
	h := sha256.Sum256([]byte(sessionID))
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16])))
}

func identityFor(sessionID, first, last string, now time.Time) identity {
	r := seeded(sessionID)
	p := people[r.IntN(len(people))]
	if first != "" {
		p.first = first
	}
	if last != "" {
		p.last = last
	}
	born := time.Date(1950+r.IntN(55), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	issued := now.AddDate(-1-r.IntN(8), -r.IntN(12), -r.IntN(28))
	letters := "ABCDEFGHJKLMNPRSTUVWXYZ"
	number := string(letters[r.IntN(len(letters))]) + fmt.Sprintf("%08d", r.IntN(100000000))
	return identity{
		first: p.first, last: p.last, dob: born.Format("2006-01-02"), gender: p.gender, nationality: p.country,
		idNumber: fmt.Sprintf("%d%02d%02d%04d", born.Year()%100, born.Month(), born.Day(), r.IntN(10000)), birthplace: p.birthplace,
		docType: docTypes[r.IntN(len(docTypes))], docNumber: number, docCountry: p.country,
		validFrom: issued.Format("2006-01-02"), validUntil: issued.AddDate(10, 0, 0).Format("2006-01-02"),
		ip: fmt.Sprintf("203.0.113.%d", 1+r.IntN(254)), // documentation range: never a real user
	}
}

// Veriff's timestamp forms: milliseconds, and microseconds for submissionTime.
func millis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
func micros(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// decision builds the decision webhook for a session's attempt.
func decision(s *session, status string, now time.Time) Decision {
	id := identityFor(s.id, s.firstName, s.lastName, s.created)
	v := Verification{
		ID: s.id, AttemptID: s.attempt, VendorData: str(s.vendorData), EndUserID: str(s.endUserID),
		Status: status, Code: statusCodes[status], DecisionTime: str(millis(now)), AcceptanceTime: millis(s.created),
		AdditionalVerifiedData: map[string]any{}, Comments: []any{},
	}
	if !s.submitted.IsZero() {
		v.SubmissionTime = str(micros(s.submitted))
	}
	if rs := reasons[status]; len(rs) > 0 {
		pick := rs[seeded(s.attempt).IntN(len(rs))]
		v.Reason, v.ReasonCode = &pick.text, &pick.code
	}
	// Data read from the document comes with sessions the end-user
	// submitted; an expired or abandoned one has none.
	if status != sessions.StateExpired && status != sessions.StateAbandoned {
		v.Person = Person{FirstName: str(id.first), LastName: str(id.last), DateOfBirth: str(id.dob), Gender: str(id.gender),
			Nationality: str(id.nationality), IDNumber: str(id.idNumber), YearOfBirth: str(id.dob[:4]), PlaceOfBirth: str(id.birthplace)}
		v.Document = Document{Number: str(id.docNumber), Type: str(id.docType), Country: str(id.docCountry),
			ValidFrom: str(id.validFrom), ValidUntil: str(id.validUntil)}
	}
	v.HighRisk = status == sessions.StateDeclined
	return Decision{Status: "success", Verification: v, TechnicalData: TechnicalData{IP: str(id.ip)}}
}

// EventActions are the documented event codes and their actions.
var EventActions = map[string]int{"started": 7001, "submitted": 7002, "waiting_complete": 7007, "waiting_continued": 7008,
	"flow_finished": 7009, "flow_cancelled": 7010, "document_type_other_selected": 7011}

// EventPayload is Veriff's event webhook for a session's attempt.
func EventPayload(sessionID, attemptID, action, vendorData string) (Event, error) {
	code, ok := EventActions[action]
	if !ok {
		return Event{}, fmt.Errorf("unknown event %q (started, submitted, waiting_complete, waiting_continued, flow_finished, flow_cancelled, document_type_other_selected)", action)
	}
	return Event{ID: sessionID, AttemptID: attemptID, Feature: "selfid", Code: code, Action: action, VendorData: str(vendorData)}, nil
}

// DecisionPayload is Veriff's decision webhook, as the simulator sends it.
func DecisionPayload(sessionID, attemptID, vendorData, status string, created, submitted, now time.Time) (Decision, error) {
	if _, ok := statusCodes[status]; !ok {
		return Decision{}, fmt.Errorf("unknown decision %q (approved, declined, resubmission_requested, review, expired, abandoned)", status)
	}
	return decision(&session{id: sessionID, attempt: attemptID, vendorData: vendorData, created: created, submitted: submitted}, status, now), nil
}

// UserStatus is Veriff's user-defined status webhook.
type UserStatus struct {
	Data       UserStatusData `json:"data"`
	Time       string         `json:"time"`
	AttemptID  string         `json:"attemptId"`
	EventType  string         `json:"eventType"`
	SessionID  string         `json:"sessionId"`
	VendorData *string        `json:"vendorData"`
	EndUserID  *string        `json:"endUserId"`
}

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

// UserStatusPayload is a user-defined status set on an attempt in Station.
func UserStatusPayload(sessionID, attemptID, vendorData, status string, now time.Time) UserStatus {
	u := UserStatus{Time: millis(now), AttemptID: attemptID, EventType: "user-status.created", SessionID: sessionID, VendorData: str(vendorData)}
	u.Data.Verification.ID = sessionID
	d := &u.Data.Verification.UserDefinedData
	d.Status, d.CreatedAt = status, micros(now.Add(-2*time.Second))
	d.StatusCode = strings.ReplaceAll(strings.ToLower(status), " ", "_")
	return u
}
