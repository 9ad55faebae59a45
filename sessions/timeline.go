package sessions

import (
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
)

// Session states, in the words of Veriff's documentation (its event
// actions and decision statuses, defined in providers/veriff).
const (
	StateCreated   = veriff.SessionCreated
	StateStarted   = veriff.ActionStarted
	StateSubmitted = veriff.ActionSubmitted
	StateApproved  = veriff.Approved
	StateDeclined  = veriff.Declined
	StateResubmit  = veriff.Resubmit
	StateReview    = veriff.Review
	StateExpired   = veriff.Expired
	StateAbandoned = veriff.Abandoned
	// VerifiMe's phase 1 (its tracking status), then phase 2 (the
	// assessment's status: pending, preliminary, assessed).
	StateInvited     = "invited"  // Inactive: the invite is not opened yet
	StateEntering    = "entering" // Active: the customer is entering data
	StateEntered     = "entered"  // Completed: data entry done, not verified
	StatePending     = verifime.PendingState
	StatePreliminary = verifime.PreliminaryState
	StateAssessed    = verifime.AssessedState
	UnsortedKey      = "" // the group of deliveries with no session id
)

// Step is one delivery on a session's timeline, or another step: its
// creation from kycwatch (Created) or a VerifiMe tracking change
// (Tracking). Those have a negative Seq and no delivery.
type Step struct {
	Record
	Created  *TestSession
	Tracking *TrackingStep // a VerifiMe tracking status change
	// Delta is the time since the session's previous step (0 for the first).
	Delta time.Duration
}

// Session is a verification session as its deliveries tell it.
type Session struct {
	ID         string // session id; UnsortedKey for the unsorted group
	Provider   decode.Provider
	VendorData string
	EndUserID  string
	State      string // see the State constants; "" until a delivery tells
	RiskLevel  string // VerifiMe's risk level, when assessed
	Attempts   []string
	Steps      []Step
	First      time.Time
	Last       time.Time
	Failed     int          // deliveries that failed verification
	Test       *TestSession // set when kycwatch created it
}

// Ref is the session's reference at its provider, when kycwatch made it
// (the tracking reference of a VerifiMe invite).
func (s *Session) Ref() string {
	if s.Test == nil {
		return ""
	}
	return s.Test.Ref
}

// Unsorted reports whether this is the group of deliveries with no session.
func (s *Session) Unsorted() bool { return s.ID == UnsortedKey }

// Book holds every session, newest activity first. It is a plain value
// folded by Add; the UI owns one and changes it only inside Update.
type Book struct {
	byID map[string]*Session
	// order is oldest activity first, so that news (the usual case: a new
	// session, or the newest one again) lands at the end in O(1); view is
	// the newest-first list Sessions returns, made again after a change.
	order     []*Session
	view      []*Session
	Total     int    // deliveries folded in
	synthetic int64  // the last id given to a step that is not a delivery
	gen       uint64 // changes (Gen)
}

// Gen counts the book's changes: what was derived from it at one Gen holds
// while Gen does not move.
func (b *Book) Gen() uint64 { return b.gen }

// nextSynthetic numbers steps that are not deliveries (created, tracking)
// with negative ids, so that every step can be selected by its Seq.
func (b *Book) nextSynthetic() int64 {
	b.synthetic--
	return b.synthetic
}

// NewBook returns an empty book.
func NewBook() *Book { return &Book{byID: map[string]*Session{}} }

// Sessions returns the sessions, most recent activity first, the unsorted
// group among them by its own last activity. The slice is the book's: it
// holds until the next change.
func (b *Book) Sessions() []*Session {
	if len(b.view) != len(b.order) {
		b.view = make([]*Session, len(b.order))
		for i, s := range b.order {
			b.view[len(b.order)-1-i] = s
		}
	}
	return b.view
}

// add puts a new session in the book, at its place by last activity
// (usually the newest: the end).
func (b *Book) add(s *Session) {
	b.byID[s.ID] = s
	b.order = append(b.order, s)
	b.view = nil
	for i := len(b.order) - 1; i > 0 && b.order[i-1].Last.After(s.Last); i-- {
		b.order[i-1], b.order[i] = b.order[i], b.order[i-1]
	}
}

// Get returns the session with id, or nil.
func (b *Book) Get(id string) *Session { return b.byID[id] }

// Add folds one delivery into its session and returns that session.
func (b *Book) Add(r Record) *Session {
	b.gen++
	id := r.Delivery.SessionID
	s := b.byID[id]
	if s == nil {
		s = &Session{ID: id, First: r.ReceivedAt, Last: r.ReceivedAt}
		b.add(s)
	}
	b.Total++
	step := Step{Record: r}
	if n := len(s.Steps); n > 0 {
		step.Delta = r.ReceivedAt.Sub(s.Steps[n-1].ReceivedAt)
	}
	s.Steps = append(s.Steps, step)
	if r.ReceivedAt.After(s.Last) {
		s.Last = r.ReceivedAt
	}
	if r.Failed() {
		s.Failed++
	}
	d := r.Delivery
	if s.Provider == decode.Unknown {
		s.Provider = d.Provider
	}
	if a := d.AttemptID; a != "" && !contains(s.Attempts, a) && r.Accepted() {
		s.Attempts = append(s.Attempts, a)
	}
	if r.Accepted() && !s.Unsorted() {
		if d.VendorData != "" {
			s.VendorData = d.VendorData
		}
		if d.EndUserID != "" {
			s.EndUserID = d.EndUserID
		}
		s.State = NextState(s.State, d)
		if d.Kind == decode.KindRiskAssessment && d.Risk != nil && d.Risk.RiskLevel != "" {
			s.RiskLevel = d.Risk.RiskLevel
		}
	}
	b.reorder(s)
	return s
}

// AddOlder folds in a delivery older than those already in the book (a
// page of history loaded later): it goes to its place in time, and it does
// not move a session's state, which newer deliveries already decided.
func (b *Book) AddOlder(r Record) *Session {
	b.gen++
	id := r.Delivery.SessionID
	s := b.byID[id]
	if s == nil {
		s = &Session{ID: id, First: r.ReceivedAt, Last: r.ReceivedAt, Provider: r.Delivery.Provider}
		b.byID[id] = s
		b.order = append([]*Session{s}, b.order...) // older than everything: first
		b.view = nil
		if r.Accepted() && !s.Unsorted() {
			s.State = NextState("", r.Delivery)
			s.VendorData, s.EndUserID = r.Delivery.VendorData, r.Delivery.EndUserID
		}
	}
	b.Total++
	i := len(s.Steps)
	for i > 0 && s.Steps[i-1].ReceivedAt.After(r.ReceivedAt) {
		i--
	}
	s.Steps = append(s.Steps, Step{})
	copy(s.Steps[i+1:], s.Steps[i:])
	s.Steps[i] = Step{Record: r}
	for j := max(i, 1); j <= min(i+1, len(s.Steps)-1); j++ {
		s.Steps[j].Delta = s.Steps[j].ReceivedAt.Sub(s.Steps[j-1].ReceivedAt)
	}
	s.Steps[0].Delta = 0
	if r.ReceivedAt.Before(s.First) {
		s.First = r.ReceivedAt
	}
	if r.Failed() {
		s.Failed++
	}
	if a := r.Delivery.AttemptID; a != "" && !contains(s.Attempts, a) && r.Accepted() {
		s.Attempts = append([]string{a}, s.Attempts...)
	}
	return s
}

// AddCreated puts a session created from kycwatch in the book, with a
// "created" step before anything it receives.
func (b *Book) AddCreated(t TestSession) *Session {
	b.gen++
	s := b.byID[t.ID]
	if s == nil {
		s = &Session{ID: t.ID, First: t.CreatedAt, Last: t.CreatedAt, Provider: t.Provider()}
		b.add(s)
	}
	if s.Test != nil {
		return s
	}
	tc := t
	s.Test = &tc
	step := Step{Record: Record{Incoming: Incoming{ReceivedAt: t.CreatedAt}, Seq: b.nextSynthetic()}, Created: &tc}
	s.Steps = append([]Step{step}, s.Steps...)
	if len(s.Steps) > 1 {
		s.Steps[1].Delta = s.Steps[1].ReceivedAt.Sub(t.CreatedAt)
	}
	if s.State == "" {
		s.State = StateCreated
	}
	if s.VendorData == "" {
		s.VendorData = t.VendorData
	}
	if s.EndUserID == "" {
		s.EndUserID = t.EndUserID
	}
	if t.CreatedAt.Before(s.First) || s.First.IsZero() {
		s.First = t.CreatedAt
	}
	if t.CreatedAt.After(s.Last) {
		s.Last = t.CreatedAt
	}
	b.reorder(s)
	return s
}

// AddTracking puts a VerifiMe tracking status change on its session's
// timeline, in time order (it may be loaded after the deliveries).
func (b *Book) AddTracking(t TrackingStep) *Session {
	b.gen++
	s := b.byID[t.SessionID]
	if s == nil {
		s = &Session{ID: t.SessionID, First: t.At, Last: t.At, Provider: decode.VerifiMe}
		b.add(s)
	}
	tc := t
	step := Step{Record: Record{Incoming: Incoming{ReceivedAt: t.At}, Seq: b.nextSynthetic()}, Tracking: &tc}
	i := len(s.Steps)
	for i > 0 && s.Steps[i-1].ReceivedAt.After(t.At) {
		i--
	}
	s.Steps = append(s.Steps, Step{})
	copy(s.Steps[i+1:], s.Steps[i:])
	s.Steps[i] = step
	for j := max(i, 1); j <= min(i+1, len(s.Steps)-1); j++ {
		s.Steps[j].Delta = s.Steps[j].ReceivedAt.Sub(s.Steps[j-1].ReceivedAt)
	}
	if i == 0 {
		s.Steps[0].Delta = 0
	}
	s.State = trackingState(s.State, t.Status)
	if t.At.After(s.Last) {
		s.Last = t.At
	}
	b.reorder(s)
	return s
}

// trackingState moves a VerifiMe session through phase 1; it never goes
// back, and never undoes phase 2.
func trackingState(cur, status string) string {
	rank := map[string]int{"": 0, StateCreated: 0, StateInvited: 1, StateEntering: 2, StateEntered: 3}
	next := map[string]string{verifime.Inactive: StateInvited, verifime.Active: StateEntering, verifime.Completed: StateEntered}[status]
	r, inPhase1 := rank[cur]
	if next == "" || !inPhase1 || rank[next] <= r {
		return cur
	}
	return next
}

// reorder moves s to its place by last activity (it only ever moves
// towards the newest).
func (b *Book) reorder(s *Session) {
	i := indexOf(b.order, s)
	for i >= 0 && i+1 < len(b.order) && b.order[i+1].Last.Before(s.Last) {
		b.order[i+1], b.order[i] = b.order[i], b.order[i+1]
		b.view = nil
		i++
	}
}

// Evict drops the deliveries older than seq below from the book (they stay
// stored: paging back brings them again), and the sessions left with no
// step. It returns how many deliveries went. Steps that are not deliveries
// (created, tracking) stay with their sessions.
func (b *Book) Evict(below int64) int {
	b.gen++
	n := 0
	kept := b.order[:0]
	for _, s := range b.order {
		steps := s.Steps[:0]
		for _, st := range s.Steps {
			if st.Seq > 0 && st.Seq < below {
				n++
				if st.Failed() {
					s.Failed--
				}
				continue
			}
			steps = append(steps, st)
		}
		clear(s.Steps[len(steps):])
		s.Steps = steps
		if len(steps) == 0 {
			delete(b.byID, s.ID)
			continue
		}
		steps[0].Delta = 0
		kept = append(kept, s)
	}
	clear(b.order[len(kept):])
	b.order, b.view = kept, nil
	b.Total -= n
	return n
}

// NextState is the session state after an accepted delivery. Events move a
// session forward only before a decision (or after a resubmission request,
// when the end-user goes round again); decisions always set it.
func NextState(cur string, d decode.Delivery) string {
	switch d.Kind {
	case decode.KindEvent:
		open := cur == "" || cur == StateCreated || cur == StateStarted || cur == StateResubmit
		switch d.Code {
		case veriff.CodeStarted:
			if open {
				return StateStarted
			}
		case veriff.CodeSubmitted:
			if open || cur == StateSubmitted {
				return StateSubmitted
			}
		}
	case decode.KindDecision:
		if d.Decision != nil && d.Decision.Null {
			return cur
		}
		if st := strings.ToLower(d.State); st != "" {
			return st
		}
		if st, ok := veriff.DecisionStatuses[d.Code]; ok {
			return st
		}
	case decode.KindRiskAssessment:
		if d.State != "" {
			return d.State
		}
	}
	return cur
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func indexOf(ss []*Session, s *Session) int {
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i] == s {
			return i
		}
	}
	return -1
}
