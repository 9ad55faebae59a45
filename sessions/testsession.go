package sessions

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// The words the UI, the lab and the simulator share about test sessions:
// what a form asks for, what creating one returns, which session a
// decision or a forgery is for, and which forgeries there are. They live
// here, in the domain, so that the UI needs neither the lab nor the
// simulator to speak of them.

// NewSession is what the UI's form asks for to create a Veriff session.
type NewSession struct {
	VendorData, FirstName, LastName, EndUserID string
}

// InviteForm is what the UI's VerifiMe form asks for.
type InviteForm struct {
	Email, FirstName, FamilyName string
}

// Created is a new test session. When the simulator's keys start checking
// deliveries, the receiver says so on the bus (KeysChanged).
type Created struct {
	Session TestSession
	Note    string // e.g. why no callback URL was sent
}

// Target is the session a decision or a forgery is for, as kycwatch knows
// it (the simulator may have forgotten it across a restart).
type Target struct {
	SessionID, AttemptID, VendorData, EndUserID string
	Created, Submitted                          time.Time
	Source                                      string // where it came from (Source…)
}

// Forgery is a delivery that must fail kycwatch's checks.
type Forgery string

const (
	BadSignature Forgery = "bad-signature" // signed with another secret
	WrongAPIKey  Forgery = "wrong-api-key" // X-AUTH-CLIENT of another integration
	InvalidJSON  Forgery = "invalid-json"  // cut short, but correctly signed
)

// DecisionStatuses are the statuses a Veriff decision carries, in the
// order of Veriff's test checklist (9104 is expired or abandoned).
var DecisionStatuses = []string{StateApproved, StateDeclined, StateResubmit, StateReview, StateExpired, StateAbandoned}

// NewUUID returns a random (version 4) UUID, as Veriff's ids are.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IsUUID reports whether s is a UUID in its 8-4-4-4-12 hex form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
