// What kycwatch keeps beside the deliveries: the test sessions it created,
// VerifiMe's tracking steps, settings (generated keys, the running address),
// the sandbox's sessions and the simulated invites.

package sessions

import (
	"context"
	"database/sql"
	"time"

	"github.com/kycwatch/kycwatch/decode"
)

// TestSession is a session created from kycwatch, by Veriff's API or the
// simulator.
type TestSession struct {
	ID                  string
	CreatedAt           time.Time
	Source              string // one of the Source constants
	VendorData          string // Veriff's vendorData; VerifiMe's referenceData (the session key)
	EndUserID           string
	FirstName, LastName string
	URL                 string // the verification (invite) URL, for the end-user
	Callback            string // where the end-user returns ("" if none)
	// Ref ties later traffic to the session: the reference in the callback
	// URL (Veriff), or the tracking reference (VerifiMe).
	Ref   string
	Email string // VerifiMe invites
}

// Where test sessions come from.
const (
	SourceSimulator   = "simulator"          // Veriff, simulated
	SourceVeriff      = "veriff"             // Veriff's API
	SourceVerifiMe    = "verifime"           // VerifiMe's API
	SourceVerifiMeSim = "verifime-simulator" // VerifiMe, simulated
	SourceSandbox     = "sandbox"            // created through kycwatch's sandbox API
	SourceSandboxVM   = "verifime-sandbox"   // a VerifiMe invite through the sandbox API
)

// Simulated reports whether the simulator plays this session.
func (t TestSession) Simulated() bool {
	return t.Source == SourceSimulator || t.Source == SourceVerifiMeSim || t.Source == SourceSandbox || t.Source == SourceSandboxVM
}

// SourceLabel says where the session came from, for people.
func (t TestSession) SourceLabel() string {
	switch t.Source {
	case SourceVeriff:
		return "Veriff API"
	case SourceVerifiMe:
		return "VerifiMe API"
	case SourceVerifiMeSim:
		return "VerifiMe simulator"
	case SourceSandbox:
		return "sandbox API"
	case SourceSandboxVM:
		return "VerifiMe sandbox API"
	}
	return "simulator"
}

// Provider is whose session it is.
func (t TestSession) Provider() decode.Provider {
	if t.Source == SourceVerifiMe || t.Source == SourceVerifiMeSim || t.Source == SourceSandboxVM {
		return decode.VerifiMe
	}
	return decode.Veriff
}

// AddTestSession remembers a session created from kycwatch.
func (s *Store) AddTestSession(ctx context.Context, t TestSession) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO test_sessions
		(id, created_at, source, vendor_data, end_user_id, first_name, last_name, url, callback, ref, email)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.CreatedAt.UnixNano(), t.Source, t.VendorData, t.EndUserID, t.FirstName, t.LastName, t.URL, t.Callback, t.Ref, t.Email)
	return err
}

// TestSessions returns the newest limit sessions created from kycwatch,
// oldest first.
func (s *Store) TestSessions(ctx context.Context, limit int) ([]TestSession, error) {
	return queryAll(ctx, s.db, func(rows *sql.Rows) (TestSession, error) {
		var t TestSession
		var at int64
		err := rows.Scan(&t.ID, &at, &t.Source, &t.VendorData, &t.EndUserID, &t.FirstName, &t.LastName, &t.URL, &t.Callback, &t.Ref, &t.Email)
		t.CreatedAt = time.Unix(0, at).UTC()
		return t, err
	}, `SELECT id, created_at, source, vendor_data, end_user_id, first_name, last_name, url, callback, ref, email
		FROM (SELECT * FROM test_sessions ORDER BY created_at DESC LIMIT ?) ORDER BY created_at`, limit)
}

// TestSessionByRef finds the session whose callback carries ref.
func (s *Store) TestSessionByRef(ctx context.Context, ref string) (TestSession, bool) {
	if ref == "" {
		return TestSession{}, false
	}
	var t TestSession
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT id, created_at, source, vendor_data, end_user_id, url, callback, ref
		FROM test_sessions WHERE ref = ?`, ref).Scan(&t.ID, &at, &t.Source, &t.VendorData, &t.EndUserID, &t.URL, &t.Callback, &t.Ref)
	if err != nil {
		return TestSession{}, false
	}
	t.CreatedAt = time.Unix(0, at).UTC()
	return t, true
}

// Setting reads a value kycwatch keeps between runs ("" when unset).
func (s *Store) Setting(ctx context.Context, key string) string {
	var v string
	s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v
}

// SetSetting keeps a value between runs.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)`, key, value)
	return err
}

// KeepSandboxState remembers one sandbox session's state (the simulator's
// JSON snapshot), replacing what was kept of it.
func (s *Store) KeepSandboxState(ctx context.Context, id string, at time.Time, state []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO sandbox_state (id, updated_at, state) VALUES (?, ?, ?)`,
		id, at.UnixNano(), string(state))
	return err
}

// SandboxStates returns the newest limit sandbox sessions' states, oldest
// first.
func (s *Store) SandboxStates(ctx context.Context, limit int) ([][]byte, error) {
	return s.states(ctx, `SELECT state FROM
		(SELECT state, updated_at FROM sandbox_state ORDER BY updated_at DESC LIMIT ?) ORDER BY updated_at`, limit)
}

// states reads a column of JSON states.
func (s *Store) states(ctx context.Context, query string, args ...any) ([][]byte, error) {
	return QueryColumn[[]byte](ctx, s.db, query, args...)
}

// KeepInvite keeps a simulated VerifiMe invite's state, as owner's.
func (s *Store) KeepInvite(ctx context.Context, owner, ref string, at time.Time, state []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO invites (owner, ref, updated_at, state) VALUES (?, ?, ?, ?)`,
		owner, ref, at.UnixNano(), string(state))
	return err
}

// TrimInvites deletes owner's invites but the newest keep (the simulator
// holds no more: an older one's page answers 404 anyway).
func (s *Store) TrimInvites(ctx context.Context, owner string, keep int) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, `DELETE FROM invites WHERE owner = ? AND updated_at <
		(SELECT min(updated_at) FROM (SELECT updated_at FROM invites WHERE owner = ? ORDER BY updated_at DESC LIMIT ?))`, owner, owner, keep)
	return err
}

// Invites returns owner's newest limit invites' states, oldest first.
func (s *Store) Invites(ctx context.Context, owner string, limit int) ([][]byte, error) {
	return s.states(ctx, `SELECT state FROM
		(SELECT state, updated_at FROM invites WHERE owner = ? ORDER BY updated_at DESC LIMIT ?) ORDER BY updated_at`, owner, limit)
}

// TrackingStep is one change of a VerifiMe invite's tracking status.
type TrackingStep struct {
	SessionID string
	At        time.Time
	Status    string // Inactive | Active | Completed; "" when the answer had none
	Raw       string // the answer, shown when Status is ""
}

// AddTracking remembers a tracking status change.
func (s *Store) AddTracking(ctx context.Context, t TrackingStep) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, `INSERT INTO tracking (session_id, at, status, raw) VALUES (?, ?, ?, ?)`,
		t.SessionID, t.At.UnixNano(), t.Status, t.Raw)
	return err
}

// Tracking returns the tracking changes of the given sessions, oldest first.
func (s *Store) Tracking(ctx context.Context, sessionIDs []string) ([]TrackingStep, error) {
	var out []TrackingStep
	for _, id := range sessionIDs {
		rows, err := s.db.QueryContext(ctx, `SELECT session_id, at, status, raw FROM tracking WHERE session_id = ? ORDER BY at`, id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var t TrackingStep
			var at int64
			if err := rows.Scan(&t.SessionID, &at, &t.Status, &t.Raw); err != nil {
				rows.Close()
				return nil, err
			}
			t.At = time.Unix(0, at).UTC()
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
