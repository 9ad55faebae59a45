package simulator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions/verifimeapi"
)

// VerifiMe's side of the simulator: invites answered in VerifiMe's shape,
// a tracking status that advances Inactive → Active → Completed (phase 1,
// the customer's data entry), then, after a pause, the signed
// RISK_ASSESSMENT_UPDATED webhook (phase 2): first PRELIMINARY, then
// ASSESSED with the risk level the person testing chose (LOW by default).

// Risk levels a VerifiMe assessment can carry.
var RiskLevels = []string{"LOW", "MEDIUM", "HIGH", "EXTREME", "NO RISK DETECTED"}

// VerifiMe pace defaults: a few seconds per tracking status, and the
// assessment a little after the data entry, so a demo shows the gap.
const (
	DefaultTrackingStep = 2 * time.Second
	DefaultAssessAfter  = 8 * time.Second
)

type invite struct {
	ref, referenceData, customer string
	status                       string
	level                        string // chosen outcome
	assessed                     bool   // ASSESSED sent: the automatic one is off
}

// Invite answers as VerifiMe's POST /v1/user/invite, then plays the
// customer and, later, VerifiMe's back office.
func (s *Simulator) Invite(ctx context.Context, req verifimeapi.InviteRequest) (verifimeapi.Invite, error) {
	var problems []verifimeapi.ValidationResult
	if !strings.Contains(req.Email, "@") {
		problems = append(problems, verifimeapi.ValidationResult{Name: "email", ResultName: "InvalidEmail", Message: "Email is not valid"})
	}
	if req.ReferenceData == "" {
		problems = append(problems, verifimeapi.ValidationResult{Name: "referenceData", ResultName: "Required", Message: "Reference data is required"})
	}
	if len(problems) > 0 {
		return verifimeapi.Invite{}, &verifimeapi.Error{HTTPStatus: 400, Results: problems}
	}
	customer := strings.TrimSpace(req.CustomerContext.FirstName + " " + req.CustomerContext.FamilyName)
	if customer == "" {
		id := identityFor(req.ReferenceData, "", "", s.cfg.Now())
		customer = titleCase(id.first + " " + id.last)
	}
	inv := &invite{ref: newUUID(), referenceData: req.ReferenceData, customer: customer, status: verifimeapi.Inactive, level: "LOW"}
	s.mu.Lock()
	if s.invites == nil {
		s.invites = map[string]*invite{}
	}
	s.invites[inv.ref] = inv
	s.invites[inv.referenceData] = inv
	s.mu.Unlock()
	s.playInvite(inv)
	host := strings.TrimRight(s.cfg.Target(), "/")
	return verifimeapi.Invite{TrackingReference: inv.ref, InviteURL: host + "/simulator/verifime/invite/" + inv.ref,
		QRCodeURL: host + "/simulator/verifime/qr/" + inv.ref}, nil
}

func (s *Simulator) playInvite(inv *invite) {
	step, assess := s.cfg.TrackingStep, s.cfg.AssessAfter
	if step <= 0 {
		step = DefaultTrackingStep
	}
	if assess <= 0 {
		assess = DefaultAssessAfter
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		wait := func(d time.Duration) bool {
			select {
			case <-s.ctx.Done():
				return false
			case <-time.After(d):
				return true
			}
		}
		for _, st := range []string{verifimeapi.Active, verifimeapi.Completed} {
			if !wait(step) {
				return
			}
			s.mu.Lock()
			inv.status = st
			s.mu.Unlock()
		}
		// Phase 2: VerifiMe's back office, a while after the data entry.
		if !wait(assess / 2) {
			return
		}
		s.mu.Lock()
		chosen := inv.assessed // the person testing was quicker
		s.mu.Unlock()
		if chosen {
			return
		}
		if err := s.sendAssessment(s.ctx, inv, "PRELIMINARY", ""); err != nil {
			s.failed(fmt.Errorf("simulated PRELIMINARY assessment for %s: %w", inv.referenceData, err))
		}
		if !wait(assess - assess/2) {
			return
		}
		s.mu.Lock()
		done, level := inv.assessed, inv.level
		s.mu.Unlock()
		if done {
			return
		}
		if err := s.sendAssessment(s.ctx, inv, "ASSESSED", level); err != nil {
			s.failed(fmt.Errorf("simulated assessment for %s: %w", inv.referenceData, err))
		}
	}()
}

// TrackingStatus answers as VerifiMe's tracking endpoint, in the same
// {"status": …} shape the client reads.
func (s *Simulator) TrackingStatus(_ context.Context, ref string) (status, raw string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.invites[ref]
	if inv == nil || inv.ref != ref {
		return "", "", &verifimeapi.Error{HTTPStatus: 404, Body: `{"message":"Tracking reference not found"}`}
	}
	return inv.status, `{"status":"` + inv.status + `"}`, nil
}

// Assess sends an ASSESSED RISK_ASSESSMENT_UPDATED with level now, for the
// session keyed by referenceData (the webhook's metadata).
func (s *Simulator) Assess(ctx context.Context, referenceData, level, customer string) error {
	if !validLevel(level) {
		return fmt.Errorf("unknown risk level %q", level)
	}
	s.mu.Lock()
	inv := s.invites[referenceData]
	if inv == nil { // created before a restart: kycwatch knows its key
		inv = &invite{referenceData: referenceData, customer: customer, status: verifimeapi.Completed}
	}
	inv.level, inv.assessed = level, true
	s.mu.Unlock()
	return s.sendAssessment(ctx, inv, "ASSESSED", level)
}

func validLevel(l string) bool {
	for _, x := range RiskLevels {
		if x == l {
			return true
		}
	}
	return false
}

// RiskAssessment is VerifiMe's webhook, fields in the documented order.
type RiskAssessment struct {
	EventID             string  `json:"eventId"`
	EventName           string  `json:"eventName"`
	CustomerName        string  `json:"customerName"`
	AssessmentStatus    string  `json:"assessmentStatus"`
	RiskLevel           *string `json:"riskLevel"`
	AssessmentPortalURL string  `json:"assessmentPortalUrl"`
	EventTimestamp      string  `json:"eventTimestamp"`
	Metadata            string  `json:"metadata"`
}

func (s *Simulator) sendAssessment(ctx context.Context, inv *invite, status, level string) error {
	s.mu.Lock()
	ev := RiskAssessment{EventID: newUUID(), EventName: "RISK_ASSESSMENT_UPDATED", CustomerName: inv.customer,
		AssessmentStatus: status, RiskLevel: str(level), EventTimestamp: s.cfg.Now().UTC().Format(time.RFC3339),
		Metadata: inv.referenceData}
	ev.AssessmentPortalURL = strings.TrimRight(s.cfg.Target(), "/") + "/simulator/verifime/assessments/" + ev.EventID
	s.mu.Unlock()
	if s.cfg.VerifiMeSecret == "" {
		return errors.New("no VerifiMe webhook secret to sign with")
	}
	body, err := marshal(ev)
	if err != nil {
		return err
	}
	status2, err := s.postSigned(ctx, "/verifime", body, map[string]string{
		"X-VerifiMe-Signature": decode.Sign(s.cfg.VerifiMeSecret, body),
		"X-VerifiMe-Version":   "1",
		"User-Agent":           "kycwatch-simulator/1 (VerifiMe webhooks)",
	})
	if err != nil {
		return err
	}
	if status2 < 200 || status2 > 299 { // VerifiMe's rule: any 2xx is delivered
		return fmt.Errorf("answered %d", status2)
	}
	return nil
}

func titleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// InviteReference is the referenceData (the session key) of the invite
// with tracking reference ref, "" when unknown.
func (s *Simulator) InviteReference(ref string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inv := s.invites[ref]; inv != nil && inv.ref == ref {
		return inv.referenceData
	}
	return ""
}
