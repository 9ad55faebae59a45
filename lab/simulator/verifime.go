package simulator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// VerifiMe's side of the simulator: invites answered in VerifiMe's shape,
// a tracking status that advances Inactive → Active → Completed (phase 1,
// the customer's data entry), then, after a pause, the signed
// RISK_ASSESSMENT_UPDATED webhook (phase 2): first PRELIMINARY, then
// ASSESSED with the risk level the person testing chose (LOW by default).

// VerifiMe pace defaults: a few seconds per tracking status, and the
// assessment a little after the data entry, so a demo shows the gap.
const (
	DefaultTrackingStep = 2 * time.Second
	DefaultAssessAfter  = 8 * time.Second
)

type invite struct {
	ref, referenceData, customer, email string
	status                              string
	level                               string // chosen outcome
	assessed                            bool   // ASSESSED sent: the automatic one is off
	// byPage: the customer opened the invite page, so the tracking status
	// moves with them, not on a timer.
	byPage      bool
	phase2      bool // the back office's turn has begun
	assessments []verifime.RiskAssessmentWebhook
	// pending holds the event ids of assessments posted and not answered
	// yet: if kycwatch stops meanwhile, they go again after a restart.
	pending []string
	// version counts the changes kept (under mu); keptVersion is the
	// newest handed to KeepInvite (under keepMu).
	version, keptVersion int64
}

// Invite answers as VerifiMe's POST /v1/user/invite, then plays the
// customer and, later, VerifiMe's back office.
func (s *Simulator) Invite(ctx context.Context, req verifime.InviteRequest) (verifime.Invite, error) {
	var problems []verifime.ValidationResult
	if !strings.Contains(req.Email, "@") {
		problems = append(problems, verifime.ValidationResult{Name: "email", ResultName: "InvalidEmail", Message: "Email is not valid"})
	}
	if req.ReferenceData == "" {
		problems = append(problems, verifime.ValidationResult{Name: "referenceData", ResultName: "Required", Message: "Reference data is required"})
	}
	if len(problems) > 0 {
		return verifime.Invite{}, &verifime.Error{HTTPStatus: 400, Results: problems}
	}
	customer := strings.TrimSpace(req.CustomerContext.FirstName + " " + req.CustomerContext.FamilyName)
	if customer == "" {
		id := identityFor(req.ReferenceData, "", "", s.cfg.Now())
		customer = titleCase(id.first + " " + id.last)
	}
	inv := &invite{ref: sessions.NewUUID(), referenceData: req.ReferenceData, customer: customer, email: req.Email, status: verifime.Inactive, level: verifime.Low}
	s.mu.Lock()
	if s.invites == nil {
		s.invites = map[string]*invite{}
	}
	s.invites[inv.ref] = inv
	s.invites[inv.referenceData] = inv
	s.order = append(s.order, inv)
	s.keptInvite(inv)
	for len(s.order) > MaxInvites { // the sandbox's invite needs no key: bound what anyone can add
		old := s.order[0]
		s.order = s.order[1:]
		if s.invites[old.ref] == old {
			delete(s.invites, old.ref)
		}
		if s.invites[old.referenceData] == old {
			delete(s.invites, old.referenceData)
		}
	}
	s.unlockAndKeep()
	s.playInvite(inv)
	host := strings.TrimRight(s.cfg.Target(), "/")
	return verifime.Invite{TrackingReference: inv.ref, InviteURL: host + InvitePage + inv.ref,
		QRCodeURL: host + InviteQR + inv.ref}, nil
}

// MaxInvites bounds the invites a simulator holds; the oldest go first.
const MaxInvites = 10000

// Where the sandbox serves a simulated invite's pages: the customer's data
// entry, its QR code, and an assessment as VerifiMe's portal would show it.
const (
	InvitePage     = "/sandbox/verifime/invite/"
	InviteQR       = "/sandbox/verifime/qr/"
	AssessmentPage = "/sandbox/verifime/assessments/"
)

func (s *Simulator) playInvite(inv *invite) {
	step := s.cfg.TrackingStep
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, st := range []string{verifime.Active, verifime.Completed} {
			if !s.wait(step) {
				return
			}
			s.mu.Lock()
			if inv.byPage { // the customer drives it now
				s.unlockAndKeep()
				return
			}
			if order(inv.status) < order(st) {
				inv.status = st
				s.keptInvite(inv)
			}
			s.unlockAndKeep()
		}
		s.phase2(inv)
	}()
}

func (s *Simulator) wait(d time.Duration) bool {
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// phase2 is VerifiMe's back office, a while after the data entry:
// PRELIMINARY, then ASSESSED with the chosen level, unless the person
// testing chose first. It runs once per invite.
func (s *Simulator) phase2(inv *invite) {
	assess := s.cfg.AssessAfter
	s.mu.Lock()
	if inv.phase2 {
		s.unlockAndKeep()
		return
	}
	inv.phase2 = true
	s.keptInvite(inv)
	s.unlockAndKeep()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if !s.wait(assess / 2) {
			return
		}
		s.mu.Lock()
		chosen := inv.assessed // the person testing was quicker
		s.unlockAndKeep()
		if chosen {
			return
		}
		s.mu.Lock()
		again := inv.sent(verifime.Preliminary) // before a restart
		s.unlockAndKeep()
		if !again {
			if err := s.sendAssessment(s.ctx, inv, verifime.Preliminary, ""); err != nil {
				s.failed(fmt.Errorf("simulated PRELIMINARY assessment for %s: %w", inv.referenceData, err))
			}
		}
		if !s.wait(assess - assess/2) {
			return
		}
		s.mu.Lock()
		done, level := inv.assessed, inv.level
		s.unlockAndKeep()
		if done {
			return
		}
		if err := s.sendAssessment(s.ctx, inv, verifime.Assessed, level); err != nil {
			s.failed(fmt.Errorf("simulated assessment for %s: %w", inv.referenceData, err))
		}
	}()
}

// InviteState is what the invite's page shows.
type InviteState struct {
	Ref, ReferenceData, Customer, Email, Status string
	Assessments                                 []verifime.RiskAssessmentWebhook // sent so far, oldest first
}

func (inv *invite) state() InviteState {
	return InviteState{Ref: inv.ref, ReferenceData: inv.referenceData, Customer: inv.customer, Email: inv.email,
		Status: inv.status, Assessments: append([]verifime.RiskAssessmentWebhook(nil), inv.assessments...)}
}

// Invitation reads an invite for its page, by tracking reference.
func (s *Simulator) Invitation(ref string) (InviteState, bool) {
	s.mu.Lock()
	defer s.unlockAndKeep()
	inv := s.invites[ref]
	if inv == nil || inv.ref != ref {
		return InviteState{}, false
	}
	return inv.state(), true
}

// OpenInvite is the customer opening the invite: the tracking status
// becomes Active (from Inactive), and from now on it moves with them.
func (s *Simulator) OpenInvite(ref string) (InviteState, error) {
	s.mu.Lock()
	defer s.unlockAndKeep()
	inv := s.invites[ref]
	if inv == nil || inv.ref != ref {
		return InviteState{}, &verifime.Error{HTTPStatus: 404, Body: "Tracking reference not found"}
	}
	if inv.status != verifime.Completed {
		inv.byPage = true
		inv.status = verifime.Active
		s.keptInvite(inv)
	}
	return inv.state(), nil
}

// EnterData is the customer finishing data entry (phase 1): the tracking
// status becomes Completed, and phase 2 follows. Completed is one way:
// entering the data again is refused.
func (s *Simulator) EnterData(ref, name string) error {
	s.mu.Lock()
	inv := s.invites[ref]
	if inv == nil || inv.ref != ref {
		s.unlockAndKeep()
		return &verifime.Error{HTTPStatus: 404, Body: "Tracking reference not found"}
	}
	if inv.status == verifime.Completed {
		s.unlockAndKeep()
		return &verifime.Error{HTTPStatus: 409, Body: "The data entry is already completed"}
	}
	inv.byPage = true
	inv.status = verifime.Completed
	if name = strings.TrimSpace(name); name != "" && len(name) <= 200 {
		inv.customer = name
	}
	s.keptInvite(inv)
	s.unlockAndKeep()
	s.phase2(inv)
	return nil
}

// Assessment finds a sent assessment by its event id, with its invite.
func (s *Simulator) Assessment(eventID string) (verifime.RiskAssessmentWebhook, InviteState, bool) {
	s.mu.Lock()
	defer s.unlockAndKeep()
	for key, inv := range s.invites {
		if key != inv.ref {
			continue
		}
		for _, a := range inv.assessments {
			if a.EventID == eventID {
				return a, inv.state(), true
			}
		}
	}
	return verifime.RiskAssessmentWebhook{}, InviteState{}, false
}

// TrackingStatus answers as VerifiMe's tracking endpoint, in the same
// {"status": …} shape the client reads.
func (s *Simulator) TrackingStatus(_ context.Context, ref string) (status, raw string, err error) {
	s.mu.Lock()
	defer s.unlockAndKeep()
	inv := s.invites[ref]
	if inv == nil || inv.ref != ref {
		return "", "", &verifime.Error{HTTPStatus: 404, Body: `{"message":"Tracking reference not found"}`}
	}
	return inv.status, `{"status":"` + inv.status + `"}`, nil
}

// Assess sends an ASSESSED RISK_ASSESSMENT_UPDATED with level now, for the
// session keyed by referenceData (the webhook's metadata).
func (s *Simulator) Assess(ctx context.Context, referenceData, level, customer string) error {
	if !verifime.ValidRiskLevel(level) {
		return fmt.Errorf("unknown risk level %q", level)
	}
	s.mu.Lock()
	inv := s.invites[referenceData]
	if inv == nil { // created before a restart: kycwatch knows its key
		inv = &invite{referenceData: referenceData, customer: customer, status: verifime.Completed}
	}
	inv.level, inv.assessed = level, true
	if inv.ref != "" {
		s.keptInvite(inv)
	}
	s.unlockAndKeep()
	return s.sendAssessment(ctx, inv, verifime.Assessed, level)
}

func (s *Simulator) sendAssessment(ctx context.Context, inv *invite, status, level string) error {
	s.mu.Lock()
	ev := verifime.RiskAssessmentWebhook{EventID: sessions.NewUUID(), EventName: verifime.RiskAssessmentUpdated, CustomerName: inv.customer,
		AssessmentStatus: status, RiskLevel: veriff.Null(level), EventTimestamp: s.cfg.Now().UTC().Format(time.RFC3339),
		Metadata: inv.referenceData}
	ev.AssessmentPortalURL = strings.TrimRight(s.cfg.Target(), "/") + AssessmentPage + ev.EventID
	inv.assessments = append(inv.assessments, ev)
	inv.pending = append(inv.pending, ev.EventID)
	if inv.ref != "" {
		s.keptInvite(inv)
	}
	s.unlockAndKeep()
	return s.postAssessment(ctx, inv, ev)
}

// postAssessment posts ev. Once it is answered, whatever the answer (the
// receiver stores every request it answers), it is no longer pending;
// unanswered (kycwatch stopped or killed meanwhile, or not listening) it
// stays pending, and RestoreInvites sends it again, with the same event id.
func (s *Simulator) postAssessment(ctx context.Context, inv *invite, ev verifime.RiskAssessmentWebhook) error {
	if s.cfg.VerifiMeSecret == "" {
		return errors.New("no VerifiMe webhook secret to sign with")
	}
	body, err := webhook.Marshal(ev)
	if err != nil {
		return err
	}
	status2, err := s.postSigned(ctx, "/verifime", body, map[string]string{
		verifime.SignatureHeader: verifime.Sign(s.cfg.VerifiMeSecret, body),
		verifime.VersionHeader:   "1",
		"User-Agent":             "kycwatch-simulator/1 (VerifiMe webhooks)",
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	inv.pending = slices.DeleteFunc(inv.pending, func(id string) bool { return id == ev.EventID })
	if inv.ref != "" {
		s.keptInvite(inv)
	}
	s.unlockAndKeep()
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
	defer s.unlockAndKeep()
	if inv := s.invites[ref]; inv != nil && inv.ref == ref {
		return inv.referenceData
	}
	return ""
}

// InviteSnapshot is a VerifiMe invite's state as the simulator holds it,
// for keeping between runs.
type InviteSnapshot struct {
	Ref           string                           `json:"ref"`
	ReferenceData string                           `json:"referenceData"`
	Customer      string                           `json:"customer"`
	Email         string                           `json:"email"`
	Status        string                           `json:"status"`
	Level         string                           `json:"level"`
	Assessed      bool                             `json:"assessed,omitempty"`
	ByPage        bool                             `json:"byPage,omitempty"`
	Phase2        bool                             `json:"phase2,omitempty"`
	Assessments   []verifime.RiskAssessmentWebhook `json:"assessments,omitempty"`
	// Pending: the event ids of assessments posted and not answered yet.
	Pending []string `json:"pending,omitempty"`
}

// keptInvite queues the invite's state for Config.KeepInvite (called
// locked; unlockAndKeep hands it over).
func (s *Simulator) keptInvite(inv *invite) {
	if s.cfg.KeepInvite == nil {
		return
	}
	inv.version++
	s.keeps = append(s.keeps, keepReq{inv: inv, version: inv.version, snap: InviteSnapshot{Ref: inv.ref, ReferenceData: inv.referenceData,
		Customer: inv.customer, Email: inv.email, Status: inv.status, Level: inv.level, Assessed: inv.assessed, ByPage: inv.byPage,
		Phase2: inv.phase2, Assessments: append([]verifime.RiskAssessmentWebhook(nil), inv.assessments...), Pending: slices.Clone(inv.pending)}})
}

// keepReq is an invite's state to keep, and how many changes it counts.
type keepReq struct {
	inv     *invite
	version int64
	snap    InviteSnapshot
}

// unlockAndKeep unlocks s.mu, then hands the states queued meanwhile to
// Config.KeepInvite: outside the simulator's lock, since a database write
// waits for the delivery writer's commits and must not stall the sandbox's
// handlers; one at a time; and never an invite's older state after a newer
// one. It returns once they are kept (or a newer state of the invite is),
// so an assessment marked pending is kept before it is posted.
func (s *Simulator) unlockAndKeep() {
	q := s.keeps
	s.keeps = nil
	s.mu.Unlock()
	if len(q) == 0 {
		return
	}
	s.keepMu.Lock()
	defer s.keepMu.Unlock()
	for _, k := range q {
		if k.version <= k.inv.keptVersion {
			continue // a newer state of it is kept already
		}
		k.inv.keptVersion = k.version
		s.cfg.KeepInvite(k.snap)
	}
}

// RestoreInvites brings back invites kept by an earlier run, oldest first,
// and carries on where each stood: a tracking status still moving on its
// own moves on, and a back office that had begun (phase 2) sends what it
// had not sent. An assessment posted and never answered (kycwatch stopped
// meanwhile) goes again, as it was. An invite the simulator already holds
// is left as it is.
func (s *Simulator) RestoreInvites(snaps []InviteSnapshot) {
	type restored struct {
		inv    *invite
		again  []verifime.RiskAssessmentWebhook // posted, never answered: in order
		resume bool                             // phase 2 or the tracking status goes on
		done   bool                             // Completed: phase 2 is what goes on
	}
	var todo []restored
	s.mu.Lock()
	if s.invites == nil {
		s.invites = map[string]*invite{}
	}
	for _, p := range snaps {
		if p.Ref == "" || s.invites[p.Ref] != nil {
			continue
		}
		inv := &invite{ref: p.Ref, referenceData: p.ReferenceData, customer: p.Customer, email: p.Email, status: p.Status,
			level: p.Level, assessed: p.Assessed, byPage: p.ByPage, assessments: p.Assessments, pending: p.Pending}
		r := restored{inv: inv, done: inv.status == verifime.Completed}
		for _, ev := range inv.assessments {
			if slices.Contains(inv.pending, ev.EventID) {
				r.again = append(r.again, ev)
			}
		}
		s.invites[inv.ref] = inv
		if inv.referenceData != "" {
			s.invites[inv.referenceData] = inv
		}
		s.order = append(s.order, inv)
		r.resume = p.Status == verifime.Completed && !p.Assessed && !inv.sent(verifime.Assessed) || // phase 2 goes on
			p.Status != verifime.Completed && !p.ByPage // the tracking status goes on
		if r.resume || len(r.again) > 0 {
			todo = append(todo, r)
		}
	}
	for len(s.order) > MaxInvites {
		old := s.order[0]
		s.order = s.order[1:]
		delete(s.invites, old.ref)
		if s.invites[old.referenceData] == old {
			delete(s.invites, old.referenceData)
		}
	}
	s.unlockAndKeep()
	for _, r := range todo {
		s.wg.Add(1)
		go func() { // an invite's webhooks go in order: the unanswered first
			defer s.wg.Done()
			for _, ev := range r.again {
				if err := s.postAssessment(s.ctx, r.inv, ev); err != nil {
					s.failed(fmt.Errorf("simulated %s assessment for %s, again after a restart: %w", ev.AssessmentStatus, r.inv.referenceData, err))
				}
			}
			switch {
			case !r.resume:
			case r.done:
				s.phase2(r.inv)
			default:
				s.playInvite(r.inv)
			}
		}()
	}
}

// sent says an assessment with this status went out (called locked, or
// before the invite is shared).
func (inv *invite) sent(status string) bool {
	for _, a := range inv.assessments {
		if a.AssessmentStatus == status {
			return true
		}
	}
	return false
}

// order ranks tracking statuses: a restored invite never goes back.
func order(status string) int {
	switch status {
	case verifime.Active:
		return 1
	case verifime.Completed:
		return 2
	}
	return 0
}
