// Package simulator is kycwatch's embedded Veriff: it creates test sessions
// in the shapes of Veriff's API (veriff) and plays their lifecycle as
// real, signed webhook deliveries over HTTP to kycwatch's own URL (the
// public one when the tunnel is up), so a demo exercises what a real
// delivery does. It is the source of test sessions when there are no
// Veriff credentials, and keeps Veriff's request and response shapes so
// that it can be served as an HTTP API later.
package simulator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// Config is how the simulator signs and where it delivers.
type Config struct {
	Secret string // signs every delivery (X-HMAC-SIGNATURE)
	APIKey string // sent as X-AUTH-CLIENT
	// Target is the base URL deliveries go to, asked at each delivery:
	// the tunnel may come up or go down while a lifecycle plays.
	Target func() string
	// StartAfter and SubmitAfter are the end-user's pace: from creation to
	// "started", and from "started" to "submitted". In every wait here, 0
	// is "not given" (New puts the default) and Immediately is no wait.
	StartAfter, SubmitAfter time.Duration
	HTTP                    *http.Client
	Now                     func() time.Time
	Log                     *slog.Logger
	// Failed hears about deliveries that did not get a 200 when they
	// should have (kycwatch down, or a secret that does not match).
	Failed func(error)

	// VerifiMe: the webhook secret (X-VerifiMe-Signature), the pace of
	// the tracking status, and how long after the data entry the
	// assessment comes.
	VerifiMeSecret            string
	TrackingStep, AssessAfter time.Duration

	// For the sandbox: where each webhook goes (path is /veriff/events,
	// /veriff/decisions or /verifime; default Target()+path), the URL a session opens,
	// and Manual, for sessions driven by API calls and the end-user page
	// rather than played on their own.
	Webhook    func(path string) string
	SessionURL func(id string) string
	Manual     bool
	// Keep, when set, hears a session's whole state after each change
	// (under the simulator's lock, so the states come in order): the
	// sandbox keeps them, and Restore brings them back after a restart.
	Keep func(Snapshot)
	// KeepInvite is Keep for VerifiMe invites (RestoreInvites brings them
	// back): their pages and tracking status answer after a restart.
	KeepInvite func(InviteSnapshot)
}

// Snapshot is a Veriff session's state as the simulator holds it, for
// keeping between runs.
type Snapshot struct {
	ID         string                  `json:"id"`
	Attempt    string                  `json:"attemptId"`
	VendorData string                  `json:"vendorData,omitempty"`
	EndUserID  string                  `json:"endUserId,omitempty"`
	FirstName  string                  `json:"firstName,omitempty"`
	LastName   string                  `json:"lastName,omitempty"`
	Created    time.Time               `json:"created"`
	Submitted  time.Time               `json:"submitted,omitzero"`
	Status     string                  `json:"status"`
	Attempts   []Attempt               `json:"attempts"`
	Decision   *veriff.DecisionWebhook `json:"decision,omitempty"`
	Media      []Media                 `json:"media,omitempty"`
	Callback   string                  `json:"callback,omitempty"`
	// MediaAttempts names each image's attempt (media id → attempt id),
	// for GET /v1/attempts/{id}/media.
	MediaAttempts map[string]string `json:"mediaAttempts,omitempty"`
}

// kept hands the session's state to Config.Keep (called locked).
func (s *Simulator) kept(ss *session) {
	if s.cfg.Keep == nil {
		return
	}
	snap := Snapshot{ID: ss.id, Attempt: ss.attempt, VendorData: ss.vendorData, EndUserID: ss.endUserID,
		FirstName: ss.firstName, LastName: ss.lastName, Created: ss.created, Submitted: ss.submitted,
		Status: ss.status, Attempts: append([]Attempt{}, ss.attempts...), Media: append([]Media{}, ss.media...),
		Callback: ss.callback}
	for _, m := range ss.media {
		if m.attempt != "" {
			if snap.MediaAttempts == nil {
				snap.MediaAttempts = map[string]string{}
			}
			snap.MediaAttempts[m.ID] = m.attempt
		}
	}
	if ss.decision != nil {
		d := *ss.decision
		snap.Decision = &d
	}
	s.cfg.Keep(snap)
}

// Forget drops every session and invite the simulator holds (the history
// was cleared): the sandbox then answers 404 for them, as for any unknown
// id. Lifecycles still playing stop: a step that came after the clear
// would bring back a lone row with no created step.
func (s *Simulator) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		ss.generation++ // play stops at its next step
	}
	for _, inv := range s.invites {
		inv.assessed = true // no automatic assessment follows
	}
	clear(s.sessions)
	clear(s.invites)
}

// Restore brings back sessions kept by an earlier run (their lifecycles
// are not replayed: a restored session waits for its next API call or
// decision). A session the simulator already holds is left as it is.
func (s *Simulator) Restore(snaps []Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range snaps {
		if p.ID == "" || s.sessions[p.ID] != nil {
			continue
		}
		ss := &session{id: p.ID, attempt: p.Attempt, vendorData: p.VendorData, endUserID: p.EndUserID,
			firstName: p.FirstName, lastName: p.LastName, created: p.Created, submitted: p.Submitted,
			status: p.Status, attempts: p.Attempts, decision: p.Decision, media: p.Media, callback: p.Callback}
		for i := range ss.media {
			ss.media[i].attempt = p.MediaAttempts[ss.media[i].ID]
		}
		if ss.attempt == "" {
			ss.attempt = sessions.NewUUID()
		}
		s.sessions[p.ID] = ss
	}
}

// Defaults make a good demo: a session starts shortly after creation and is
// submitted a few seconds later.
const (
	DefaultStartAfter  = 2 * time.Second
	DefaultSubmitAfter = 4 * time.Second
)

// Immediately, as one of Config's waits, is no wait at all: 0 there is
// "not given", the default.
const Immediately time.Duration = -1

// Simulator creates sessions and sends their webhooks.
type Simulator struct {
	cfg      Config
	ctx      context.Context // ends the lifecycles in flight
	mu       sync.Mutex
	sessions map[string]*session
	invites  map[string]*invite // VerifiMe, by tracking reference and by referenceData
	order    []*invite          // oldest first, to drop beyond MaxInvites
	keeps    []keepReq          // invite states to keep, queued under mu (unlockAndKeep)
	keepMu   sync.Mutex         // the keeping itself, outside mu
	wg       sync.WaitGroup
}

// session is what the simulator remembers of one it created.
type session struct {
	id, attempt, vendorData, endUserID, firstName, lastName string
	created, submitted                                      time.Time
	generation                                              int // bumped when a new attempt starts

	// What Veriff's API tells of it (the sandbox answers from these).
	status   string                  // created, started, submitted, or the decision
	attempts []Attempt               // oldest first
	decision *veriff.DecisionWebhook // the latest decision sent
	media    []Media
	callback string
}

// Attempt is one of a session's attempts, as GET …/attempts lists them.
type Attempt struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	CreatedTime string `json:"createdTime"`
}

// Media is an uploaded image, as GET …/media lists it.
type Media struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Context   string  `json:"context"`
	Mimetype  string  `json:"mimetype"`
	URL       string  `json:"url"`
	Size      int     `json:"size"`
	SessionID string  `json:"sessionId"`
	Timestamp *string `json:"timestamp"`
	attempt   string  // the attempt it was uploaded in
}

// New returns a simulator whose scheduled deliveries stop when ctx ends.
func New(ctx context.Context, cfg Config) *Simulator {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Failed == nil {
		cfg.Failed = func(error) {}
	}
	cfg.StartAfter = pace(cfg.StartAfter, DefaultStartAfter)
	cfg.SubmitAfter = pace(cfg.SubmitAfter, DefaultSubmitAfter)
	cfg.TrackingStep = pace(cfg.TrackingStep, DefaultTrackingStep)
	cfg.AssessAfter = pace(cfg.AssessAfter, DefaultAssessAfter)
	return &Simulator{cfg: cfg, ctx: ctx, sessions: map[string]*session{}}
}

// pace is a Config wait as the simulator plays it: def when not given
// (0), none when Immediately.
func pace(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// failed reports a delivery that did not get through, unless kycwatch is
// stopping (then deliveries in flight are cancelled on purpose).
func (s *Simulator) failed(err error) {
	if s.ctx.Err() == nil {
		s.cfg.Failed(err)
	}
}

// Wait waits for the lifecycles in flight (after ctx ends, they stop).
func (s *Simulator) Wait() { s.wg.Wait() }

// CreateSession answers as Veriff's POST /v1/sessions does, then plays the
// end-user: 7001 started, then 7002 submitted. The decision waits for
// Decide, as a test integration waits for someone in the Customer Portal.
func (s *Simulator) CreateSession(ctx context.Context, req veriff.SessionRequest) (veriff.Created, error) {
	v := req.Verification
	if len(v.VendorData) > 1000 {
		return veriff.Created{}, &veriff.Error{HTTPStatus: 400, Code: "1500", Message: "vendorData is too long"}
	}
	if v.EndUserID != "" && !sessions.IsUUID(v.EndUserID) {
		return veriff.Created{}, &veriff.Error{HTTPStatus: 400, Code: "1104", Message: "endUserId must be a UUID"}
	}
	now := s.cfg.Now()
	ss := &session{id: sessions.NewUUID(), attempt: sessions.NewUUID(), vendorData: v.VendorData, endUserID: v.EndUserID, created: now,
		status: sessions.StateCreated, callback: v.Callback}
	ss.attempts = []Attempt{{ID: ss.attempt, Status: sessions.StateCreated, CreatedTime: millis(now)}}
	if v.Person != nil {
		ss.firstName, ss.lastName = strings.ToUpper(v.Person.FirstName), strings.ToUpper(v.Person.LastName)
	}
	s.mu.Lock()
	s.sessions[ss.id] = ss
	s.kept(ss)
	s.mu.Unlock()
	host := strings.TrimRight(s.cfg.Target(), "/")
	token := s.token(ss.id)
	if !s.cfg.Manual {
		s.play(ss, ss.generation)
	}
	// Veriff's URL carries the token; the simulator's names the session,
	// shorter to read and to scan.
	url := host + "/simulator/v/" + ss.id
	if s.cfg.SessionURL != nil {
		url = s.cfg.SessionURL(ss.id)
	}
	return veriff.Created{ID: ss.id, URL: url, VendorData: v.VendorData, Host: host,
		Status: sessions.StateCreated, SessionToken: token}, nil
}

// play schedules the end-user's steps for the session's current attempt.
func (s *Simulator) play(ss *session, gen int) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for _, step := range []struct {
			after        time.Duration
			action, from string // the event, and the status it moves on from
		}{{s.cfg.StartAfter, veriff.ActionStarted, sessions.StateCreated}, {s.cfg.SubmitAfter, veriff.ActionSubmitted, sessions.StateStarted}} {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(step.after):
			}
			s.mu.Lock()
			if ss.generation != gen { // a newer attempt took over
				s.mu.Unlock()
				return
			}
			// A decision came first (expired, abandoned, or any other the
			// person testing sent): the end-user is gone.
			if ss.status != step.from {
				s.mu.Unlock()
				return
			}
			if step.action == veriff.ActionSubmitted {
				ss.submitted = s.cfg.Now()
			}
			ss.setStatus(step.action)
			s.kept(ss)
			ev := ss.event(step.action)
			s.mu.Unlock()
			if err := s.deliver(s.ctx, "/veriff/events", ev, s.cfg.Secret, s.cfg.APIKey); err != nil {
				s.failed(fmt.Errorf("simulated %d %s for %s: %w", ev.Code, step.action, display.ShortID(ss.id), err))
			}
		}
	}()
}

// Known is what kycwatch knows of a session the simulator has forgotten
// (it was created before a restart): enough to decide it.
type Known struct {
	AttemptID, VendorData, EndUserID string
	Created, Submitted               time.Time
}

// Decide sends the decision webhook for a session: one of sessions.DecisionStatuses. After
// resubmission_requested the end-user goes round again on a new attempt.
func (s *Simulator) Decide(ctx context.Context, sessionID, status string, known Known) error {
	if _, ok := veriff.DecisionCode(status); !ok {
		return fmt.Errorf("unknown decision %q", status)
	}
	ss := s.session(sessionID, known)
	s.mu.Lock()
	d := decision(ss, status, s.cfg.Now())
	ss.decision = &d
	ss.setStatus(status)
	s.kept(ss)
	s.mu.Unlock()
	if err := s.deliver(ctx, "/veriff/decisions", d, s.cfg.Secret, s.cfg.APIKey); err != nil {
		return err
	}
	if status == sessions.StateResubmit {
		s.mu.Lock()
		ss.attempt, ss.submitted = sessions.NewUUID(), time.Time{}
		ss.attempts = append(ss.attempts, Attempt{ID: ss.attempt, Status: sessions.StateCreated, CreatedTime: millis(s.cfg.Now())})
		ss.status = sessions.StateCreated
		ss.generation++
		gen := ss.generation
		s.kept(ss)
		s.mu.Unlock()
		if !s.cfg.Manual {
			s.play(ss, gen)
		}
	}
	return nil
}

// Decided is the decision a session already has ("" when it has none, or
// when it was asked to resubmit and goes round again).
func (s *Simulator) Decided(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[id]
	if ss == nil || ss.decision == nil {
		return ""
	}
	switch ss.status {
	case sessions.StateCreated, sessions.StateStarted, sessions.StateSubmitted:
		return ""
	}
	return ss.status
}

// OverrideNote says that a new decision overrides prev, as a status forced
// in the Customer Portal of a test integration does ("" when prev is "").
func OverrideNote(prev string) string {
	if prev == "" {
		return ""
	}
	return "overrides the earlier " + prev + ", as a status forced in Veriff's Customer Portal does"
}

// setStatus moves the session and its current attempt (called locked).
func (ss *session) setStatus(st string) {
	ss.status = st
	if n := len(ss.attempts); n > 0 {
		ss.attempts[n-1].Status = st
	}
}

func (s *Simulator) session(id string, known Known) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sessions[id]; ss != nil {
		return ss
	}
	ss := &session{id: id, attempt: known.AttemptID, vendorData: known.VendorData, endUserID: known.EndUserID,
		created: known.Created, submitted: known.Submitted}
	if ss.attempt == "" {
		ss.attempt = sessions.NewUUID()
	}
	if ss.created.IsZero() {
		ss.created = s.cfg.Now()
	}
	s.sessions[id] = ss
	return ss
}
