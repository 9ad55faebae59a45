package simulator

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// reasons come with declined and resubmission_requested, as Veriff sends:
// the codes the simulator picks from (their texts are Veriff's, from
// veriff.ReasonText).
var reasons = map[string][]int{
	veriff.Declined: {102, 103, 105, 108},
	veriff.Resubmit: {204, 203, 202, 201},
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

// decision builds the decision webhook for a session's attempt.
func decision(s *session, status string, now time.Time) veriff.DecisionWebhook {
	id := identityFor(s.id, s.firstName, s.lastName, s.created)
	code, _ := veriff.DecisionCode(status)
	v := veriff.Verification{
		ID: s.id, AttemptID: s.attempt, VendorData: veriff.Null(s.vendorData), EndUserID: veriff.Null(s.endUserID),
		Status: status, Code: code, DecisionTime: veriff.Null(millis(now)), AcceptanceTime: millis(s.created),
		AdditionalVerifiedData: map[string]any{}, Comments: []any{},
	}
	if !s.submitted.IsZero() {
		v.SubmissionTime = veriff.Null(micros(s.submitted))
	}
	if rs := reasons[status]; len(rs) > 0 {
		code := rs[seeded(s.attempt).IntN(len(rs))]
		v.Reason, v.ReasonCode = veriff.Null(veriff.ReasonText(code)), &code
	}
	// Data read from the document comes with sessions the end-user
	// submitted; an expired or abandoned one has none.
	if status != veriff.Expired && status != veriff.Abandoned {
		v.Person = veriff.WebhookPerson{FirstName: veriff.Null(id.first), LastName: veriff.Null(id.last), DateOfBirth: veriff.Null(id.dob), Gender: veriff.Null(id.gender),
			Nationality: veriff.Null(id.nationality), IDNumber: veriff.Null(id.idNumber), YearOfBirth: veriff.Null(id.dob[:4]), PlaceOfBirth: veriff.Null(id.birthplace)}
		v.Document = veriff.WebhookDocument{Number: veriff.Null(id.docNumber), Type: veriff.Null(id.docType), Country: veriff.Null(id.docCountry),
			ValidFrom: veriff.Null(id.validFrom), ValidUntil: veriff.Null(id.validUntil)}
	}
	v.HighRisk = status == veriff.Declined
	return veriff.DecisionWebhook{Status: "success", Verification: v, TechnicalData: veriff.TechnicalData{IP: veriff.Null(id.ip)}}
}

// DecisionPayload is Veriff's decision webhook, as the simulator sends it.
func DecisionPayload(sessionID, attemptID, vendorData, status string, created, submitted, now time.Time) (veriff.DecisionWebhook, error) {
	if _, ok := veriff.DecisionCode(status); !ok {
		return veriff.DecisionWebhook{}, fmt.Errorf("unknown decision %q (%s)", status, strings.Join(sessions.DecisionStatuses, ", "))
	}
	return decision(&session{id: sessionID, attempt: attemptID, vendorData: vendorData, created: created, submitted: submitted}, status, now), nil
}

// UserStatusPayload is a user-defined status set on an attempt in Station.
func UserStatusPayload(sessionID, attemptID, vendorData, status string, now time.Time) veriff.UserStatusWebhook {
	u := veriff.UserStatusWebhook{Time: millis(now), AttemptID: attemptID, EventType: veriff.UserStatusEvent, SessionID: sessionID, VendorData: veriff.Null(vendorData)}
	u.Data.Verification.ID = sessionID
	d := &u.Data.Verification.UserDefinedData
	d.Status, d.CreatedAt = status, micros(now.Add(-2*time.Second))
	d.StatusCode = strings.ReplaceAll(strings.ToLower(status), " ", "_")
	return u
}

// event is the webhook of an event in the session's current attempt
// (called locked). The actions the simulator sends are in Veriff's
// vocabulary, so NewEvent cannot refuse them.
func (s *session) event(action string) veriff.EventWebhook {
	ev, _ := veriff.NewEvent(s.id, s.attempt, action, s.vendorData, s.endUserID)
	return ev
}
