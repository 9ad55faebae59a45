// Package lab is where kycwatch's test sessions come from: Veriff's API
// when the integration's keys are set, the embedded simulator otherwise
// (and on request). It remembers every session it creates in the store, and
// gives the simulator's keys to the receiver when no keys were configured,
// so that its deliveries are verified like Veriff's.
package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/simulator"
	"github.com/kycwatch/kycwatch/sessions/veriffapi"
)

// NewSession is what the UI's form asks for.
type NewSession struct {
	VendorData, FirstName, LastName, EndUserID string
}

// Created is a new test session and what the header should now say.
type Created struct {
	Session sessions.TestSession
	Note    string // e.g. why no callback URL was sent
	// Keys is set when the simulator's keys started checking deliveries.
	Keys *KeysInfo
}

// KeysInfo is the header's account of the keys deliveries are checked with.
type KeysInfo struct {
	Secrets   int
	APIKey    string // the UI masks it
	Generated string // the simulator's own secret, when it made one (the UI masks it)
}

// Target is the session a decision or a forgery is for, as kycwatch knows
// it (the simulator may have forgotten it across a restart).
type Target struct {
	SessionID, AttemptID, VendorData, EndUserID string
	Created, Submitted                          time.Time
}

// Lab creates test sessions and acts on them.
type Lab struct {
	Store    *sessions.Store
	Receiver *sessions.Receiver
	Sim      *simulator.Simulator
	// SimSecret and SimAPIKey are what the simulator signs with; Generated
	// tells that kycwatch made them up (none was configured).
	SimSecret, SimAPIKey string
	Generated            bool
	API                  *veriffapi.Client // nil without Veriff credentials
	Public               func() string     // the public base URL, "" without a tunnel
	Now                  func() time.Time

	once sync.Once
}

// Real reports whether n creates sessions with Veriff's API.
func (l *Lab) Real() bool { return l.API != nil }

// Create creates a session with Veriff's API, or with the simulator when
// simulated is set or there are no credentials.
func (l *Lab) Create(ctx context.Context, f NewSession, simulated bool) (Created, error) {
	v := veriffapi.NewVerification{VendorData: f.VendorData, EndUserID: f.EndUserID}
	if f.FirstName != "" || f.LastName != "" {
		v.Person = &veriffapi.Person{FirstName: f.FirstName, LastName: f.LastName}
	}
	t := sessions.TestSession{VendorData: f.VendorData, EndUserID: f.EndUserID, FirstName: f.FirstName, LastName: f.LastName}
	var out Created
	if simulated || l.API == nil {
		out.Keys = l.simulatorKeys()
		c, err := l.Sim.CreateSession(ctx, veriffapi.SessionRequest{Verification: v})
		if err != nil {
			return Created{}, err
		}
		t.ID, t.URL, t.Source = c.ID, c.URL, sessions.SourceSimulator
	} else {
		t.Ref = newRef()
		if pub := l.Public(); strings.HasPrefix(pub, "https://") {
			t.Callback = strings.TrimRight(pub, "/") + sessions.CallbackPath + "?ref=" + t.Ref
			v.Callback = t.Callback
		} else {
			out.Note = "no callback URL sent: without the tunnel there is no HTTPS URL for Veriff to send the end-user back to"
		}
		c, err := l.API.CreateSession(ctx, veriffapi.SessionRequest{Verification: v})
		if err != nil {
			return Created{}, err
		}
		t.ID, t.URL, t.Source = c.ID, c.URL, sessions.SourceVeriff
	}
	t.CreatedAt = l.Now()
	if err := l.Store.AddTestSession(ctx, t); err != nil {
		return Created{}, fmt.Errorf("session %s created, but not saved: %w", t.ID, err)
	}
	out.Session = t
	return out, nil
}

// simulatorKeys makes the receiver check deliveries with the simulator's
// keys when it had none, the first time the simulator is used: until then
// a fresh kycwatch accepts deliveries unchecked, as documented.
func (l *Lab) simulatorKeys() *KeysInfo {
	var info *KeysInfo
	l.once.Do(func() {
		// Only a kycwatch with no secret takes the simulator's keys: one
		// with a secret checks real deliveries, and a made-up API key would
		// turn them away.
		k := l.Receiver.Keys()
		if len(k.VeriffSecrets) > 0 {
			return
		}
		k.VeriffSecrets = []string{l.SimSecret}
		if k.VeriffAPIKey == "" {
			k.VeriffAPIKey = l.SimAPIKey
		}
		l.Receiver.SetKeys(k)
		info = &KeysInfo{Secrets: 1, APIKey: k.VeriffAPIKey, Generated: l.SimSecret}
	})
	return info
}

// Decide sends a simulated decision.
func (l *Lab) Decide(ctx context.Context, t Target, status string) error {
	l.simulatorKeys()
	return l.Sim.Decide(ctx, t.SessionID, status, known(t))
}

// Forge sends a delivery that must fail one check.
func (l *Lab) Forge(ctx context.Context, t Target, kind simulator.Forgery) (int, error) {
	l.simulatorKeys()
	if kind == simulator.WrongAPIKey && l.Receiver.Keys().VeriffAPIKey == "" {
		return 0, errors.New("no API key is configured, so a wrong one cannot be caught: set VERIFF_API_KEY (or --api-key)")
	}
	return l.Sim.Forge(ctx, t.SessionID, kind, known(t))
}

func known(t Target) simulator.Known {
	return simulator.Known{AttemptID: t.AttemptID, VendorData: t.VendorData, EndUserID: t.EndUserID,
		Created: t.Created, Submitted: t.Submitted}
}

func newRef() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Keys picks what the simulator signs with: the configured secret and API
// key, or generated ones (generated reports whether any was made up).
func Keys(k decode.Keys) (secret, apiKey string, generated bool) {
	if len(k.VeriffSecrets) > 0 {
		secret = k.VeriffSecrets[0]
	} else {
		secret, generated = simulator.NewSecret(), true
	}
	if k.VeriffAPIKey != "" {
		apiKey = k.VeriffAPIKey
	} else {
		apiKey, generated = simulator.NewUUID(), true
	}
	return secret, apiKey, generated
}
