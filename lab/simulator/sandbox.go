package simulator

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// The session operations Veriff's API offers, for the sandbox: the
// end-user's steps (start, upload, submit) and what the API reads back.
// Errors are *veriff.Error, in Veriff's codes where it documents them.

func notFound(id string) error {
	return &veriff.Error{HTTPStatus: http.StatusNotFound, Code: "404", Message: "Session " + id + " not found"}
}

func conflict(code, msg string) error {
	return &veriff.Error{HTTPStatus: http.StatusConflict, Code: code, Message: msg}
}

// lookup returns the session, locked by the caller.
func (s *Simulator) lookup(id string) *session { return s.sessions[id] }

// withSession runs read on the session, locked; Veriff's 404 when there is
// none.
func withSession[T any](s *Simulator, id string, read func(*session) (T, error)) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.lookup(id)
	if ss == nil {
		var none T
		return none, notFound(id)
	}
	return read(ss)
}

// Start is the end-user opening the flow: 7001 started.
func (s *Simulator) Start(ctx context.Context, id string) error {
	return s.step(ctx, id, veriff.ActionStarted, func(st string) string {
		if st != sessions.StateCreated {
			return "Cannot start a session that is " + st
		}
		return ""
	})
}

// Submit is PATCH {"verification":{"status":"submitted"}}, or the end-user
// pressing submit: 7002 submitted.
func (s *Simulator) Submit(ctx context.Context, id string) error {
	return s.step(ctx, id, veriff.ActionSubmitted, func(st string) string {
		if st != sessions.StateCreated && st != sessions.StateStarted {
			return "Cannot transition a session that is " + st + " to submitted"
		}
		return ""
	})
}

// step is one of the end-user's steps: the session's status becomes the
// event's action and the event is delivered, unless refuse, given the
// status now, says why not (409, Veriff's 1304).
func (s *Simulator) step(ctx context.Context, id, action string, refuse func(status string) string) error {
	s.mu.Lock()
	ss := s.lookup(id)
	if ss == nil {
		s.mu.Unlock()
		return notFound(id)
	}
	if why := refuse(ss.status); why != "" {
		s.mu.Unlock()
		return conflict("1304", why)
	}
	if action == veriff.ActionSubmitted {
		ss.submitted = s.cfg.Now()
	}
	ss.setStatus(action)
	s.kept(ss)
	ev := ss.event(action)
	s.mu.Unlock()
	return s.deliver(ctx, "/veriff/events", ev, s.cfg.Secret, s.cfg.APIKey)
}

// MaxMedia bounds a session's images (the sandbox is reachable from the
// internet, and every image is kept with the session).
const MaxMedia = 50

// AddMedia stores an uploaded image's description (not its bytes: the
// sandbox only needs to answer for it). After submit Veriff answers 409.
func (s *Simulator) AddMedia(id, context, mimetype string, size int, timestamp string) (Media, error) {
	return withSession(s, id, func(ss *session) (Media, error) {
		if ss.status != sessions.StateCreated && ss.status != sessions.StateStarted {
			return Media{}, conflict("1304", "Session is "+ss.status+": no more media")
		}
		if len(ss.media) >= MaxMedia {
			return Media{}, &veriff.Error{HTTPStatus: http.StatusBadRequest, Code: "1104",
				Message: fmt.Sprintf("Too many images: the sandbox keeps %d per session", MaxMedia)}
		}
		m := Media{ID: sessions.NewUUID(), Name: context, Context: context, Mimetype: mimetype, Size: size, SessionID: id, Timestamp: veriff.Null(timestamp), attempt: ss.attempt}
		m.URL = s.mediaURL(m.ID)
		ss.media = append(ss.media, m)
		s.kept(ss)
		return m, nil
	})
}

// MediaOf lists the session's images.
func (s *Simulator) MediaOf(id string) ([]Media, error) {
	return withSession(s, id, func(ss *session) ([]Media, error) {
		out := append([]Media{}, ss.media...)
		for i := range out { // the address of now: a restored session may come from another port
			out[i].URL = s.mediaURL(out[i].ID)
		}
		return out, nil
	})
}

// MediaByID finds an image by its id: its description and its session.
func (s *Simulator) MediaByID(mediaID string) (Media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		for _, m := range ss.media {
			if m.ID == mediaID {
				m.URL = s.mediaURL(m.ID)
				return m, true
			}
		}
	}
	return Media{}, false
}

// AttemptMedia lists the images of one attempt (GET /v1/attempts/{id}/media)
// and names its session.
func (s *Simulator) AttemptMedia(attemptID string) ([]Media, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		found := false
		for _, a := range ss.attempts {
			found = found || a.ID == attemptID
		}
		if !found {
			continue
		}
		out := []Media{}
		for _, m := range ss.media {
			if m.attempt == attemptID {
				m.URL = s.mediaURL(m.ID)
				out = append(out, m)
			}
		}
		return out, ss.id, nil
	}
	return nil, "", &veriff.Error{HTTPStatus: http.StatusNotFound, Code: "404", Message: "Attempt " + attemptID + " not found"}
}

// PersonOf is what GET /v1/sessions/{id}/person tells: the person of the
// latest decision, else the names the session was created with.
func (s *Simulator) PersonOf(id string) (map[string]any, error) {
	return withSession(s, id, func(ss *session) (map[string]any, error) {
		p := map[string]any{"id": ss.id, "firstName": veriff.Null(ss.firstName), "lastName": veriff.Null(ss.lastName), "idCode": nil,
			"dateOfBirth": nil, "gender": nil, "nationality": nil, "placeOfBirth": nil,
			"citizenships": []any{}, "pepSanctionMatches": []any{}}
		if d := ss.decision; d != nil {
			vp := d.Verification.Person
			for k, v := range map[string]*string{"firstName": vp.FirstName, "lastName": vp.LastName, "idCode": vp.IDNumber,
				"dateOfBirth": vp.DateOfBirth, "gender": vp.Gender, "nationality": vp.Nationality, "placeOfBirth": vp.PlaceOfBirth} {
				if v != nil { // an expired or abandoned session's decision has no person
					p[k] = v
				}
			}
			if vp.Nationality != nil {
				p["citizenships"] = []any{map[string]any{"kind": "nationality", "value": *vp.Nationality}}
			}
		}
		return p, nil
	})
}

// WatchlistOf is what GET /v1/sessions/{id}/watchlist-screening tells: the
// sandbox screens no one, so a no_match for the latest attempt, searched
// by the person's name.
func (s *Simulator) WatchlistOf(id string) (map[string]any, error) {
	return withSession(s, id, func(ss *session) (map[string]any, error) {
		first, last, year := ss.firstName, ss.lastName, ""
		if d := ss.decision; d != nil {
			if p := d.Verification.Person; p.FirstName != nil && p.LastName != nil {
				first, last = *p.FirstName, *p.LastName
			}
			if y := d.Verification.Person.YearOfBirth; y != nil {
				year = *y
			}
		}
		return map[string]any{"attemptId": ss.attempt, "vendorData": veriff.Null(ss.vendorData), "checkType": "initial_result",
			"matchStatus": "no_match", "searchTerm": map[string]any{"name": strings.TrimSpace(first + " " + last), "year": veriff.Null(year)},
			"totalHits": 0, "createdAt": millis(ss.created), "hits": []any{}}, nil
	})
}

// DecisionOf is the latest decision's verification object, nil before one.
func (s *Simulator) DecisionOf(id string) (*veriff.Verification, error) {
	return withSession(s, id, func(ss *session) (*veriff.Verification, error) {
		if ss.decision == nil {
			return nil, nil
		}
		v := ss.decision.Verification
		return &v, nil
	})
}

// Attempts lists the session's attempts.
func (s *Simulator) Attempts(id string) ([]Attempt, error) {
	return withSession(s, id, func(ss *session) ([]Attempt, error) {
		return append([]Attempt{}, ss.attempts...), nil
	})
}

// SessionState is what the end-user page shows.
type SessionState struct {
	ID, Status, VendorData, Callback string
	Media                            int
}

// State reads a session for the end-user page.
func (s *Simulator) State(id string) (SessionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.lookup(id)
	if ss == nil {
		return SessionState{}, false
	}
	return SessionState{ID: ss.id, Status: ss.status, VendorData: ss.vendorData, Callback: ss.callback, Media: len(ss.media)}, true
}

// Cancel is DELETE /sessions/{id}: an unfinished session ends with an
// expired decision (never started) or abandoned (started).
func (s *Simulator) Cancel(ctx context.Context, id string) error {
	s.mu.Lock()
	ss := s.lookup(id)
	if ss == nil {
		s.mu.Unlock()
		return notFound(id)
	}
	st := ss.status
	s.mu.Unlock()
	switch st {
	case sessions.StateCreated:
		return s.Decide(ctx, id, sessions.StateExpired, Known{})
	case sessions.StateStarted, sessions.StateSubmitted:
		return s.Decide(ctx, id, sessions.StateAbandoned, Known{})
	}
	return conflict("1304", "Session is already "+st)
}

// Open reports whether a decision may be made now (submitted, or any
// unfinished state for expired/abandoned).
func (s *Simulator) Open(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.lookup(id)
	return ss != nil && (ss.status == sessions.StateCreated || ss.status == sessions.StateStarted || ss.status == sessions.StateSubmitted)
}

// mediaURL is where the sandbox serves an image now (a restored session
// may come from another port).
func (s *Simulator) mediaURL(mediaID string) string {
	return trimSlash(s.cfg.Target()) + "/sandbox/v1/media/" + mediaID
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
