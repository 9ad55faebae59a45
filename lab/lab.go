// Package lab is where kycwatch's test sessions come from: Veriff's API
// when the integration's keys are set, the embedded simulator otherwise
// (and on request). It remembers every session it creates in the store, and
// gives the simulator's keys to the receiver when no keys were configured,
// so that its deliveries are verified like Veriff's.
package lab

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// Lab creates test sessions and acts on them.
type Lab struct {
	Store    *sessions.Store
	Receiver *sessions.Receiver
	Sim      *simulator.Simulator
	// SimSecret and SimAPIKey are what the simulator signs with; Generated
	// tells that kycwatch made them up (none was configured).
	SimSecret, SimAPIKey string
	Generated            bool
	API                  *veriff.Client // nil without Veriff credentials
	// Sandbox plays the sessions created through the sandbox API; the
	// decision keys act on those through it (its keys, its webhook URL).
	Sandbox *simulator.Simulator
	Public  func() string // the public base URL, "" without a tunnel
	Now     func() time.Time

	// VerifiMe: the API client (nil without VERIFIME_ORG_CODE) and the
	// organisation code; the simulator's webhook secret.
	VerifiMe          *verifime.Client
	OrgCode           string
	SimVerifiMeSecret string
	// Tracking polls run on Context, every PollEvery at first; each
	// change goes to OnTracking, lasting failures to Failed.
	Context    context.Context
	PollEvery  time.Duration
	OnTracking func(sessions.TrackingStep)
	// OnCreated hears of each session created here, once it is stored
	// (team mode publishes it); nil for none.
	OnCreated func(sessions.TestSession)
	Failed    func(error)

	once, vmOnce sync.Once
	wg           sync.WaitGroup

	epochMu     sync.Mutex
	epoch       context.Context // the polls since the last Forget
	epochCancel context.CancelFunc
}

// pollContext is what tracking polls run on: Context, until Forget.
func (l *Lab) pollContext() context.Context {
	l.epochMu.Lock()
	defer l.epochMu.Unlock()
	if l.epoch == nil {
		base := l.Context
		if base == nil {
			base = context.Background()
		}
		l.epoch, l.epochCancel = context.WithCancel(base)
	}
	return l.epoch
}

// Forget stops everything in flight for the test sessions (the history
// was cleared): the simulators' lifecycles and the tracking polls, so that
// nothing of a cleared session comes back as a lone row.
func (l *Lab) Forget() {
	l.epochMu.Lock()
	if l.epochCancel != nil {
		l.epochCancel()
	}
	l.epoch, l.epochCancel = nil, nil
	l.epochMu.Unlock()
	for _, s := range []*simulator.Simulator{l.Sim, l.Sandbox} {
		if s != nil {
			s.Forget()
		}
	}
}

func (l *Lab) created(t sessions.TestSession) {
	if l.OnCreated != nil {
		l.OnCreated(t)
	}
}

// Real reports whether n creates sessions with Veriff's API.
func (l *Lab) Real() bool { return l.API != nil }

// Create creates a session with Veriff's API, or with the simulator when
// simulated is set or there are no credentials.
func (l *Lab) Create(ctx context.Context, f sessions.NewSession, simulated bool) (sessions.Created, error) {
	v := veriff.NewVerification{VendorData: f.VendorData, EndUserID: f.EndUserID}
	if f.FirstName != "" || f.LastName != "" {
		v.Person = &veriff.NewPerson{FirstName: f.FirstName, LastName: f.LastName}
	}
	t := sessions.TestSession{VendorData: f.VendorData, EndUserID: f.EndUserID, FirstName: f.FirstName, LastName: f.LastName}
	var out sessions.Created
	if simulated || l.API == nil {
		l.simulatorKeys()
		c, err := l.Sim.CreateSession(ctx, veriff.SessionRequest{Verification: v})
		if err != nil {
			return sessions.Created{}, err
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
		c, err := l.API.CreateSession(ctx, veriff.SessionRequest{Verification: v})
		if err != nil {
			return sessions.Created{}, err
		}
		t.ID, t.URL, t.Source = c.ID, c.URL, sessions.SourceVeriff
	}
	t.CreatedAt = l.Now()
	if err := l.Store.AddTestSession(ctx, t); err != nil {
		return sessions.Created{}, fmt.Errorf("session %s created, but not saved: %w", t.ID, err)
	}
	l.created(t)
	out.Session = t
	return out, nil
}

// Settings that remember, across restarts, that kycwatch checks deliveries
// with its generated keys: the simulator and the sandbox go on signing with
// them, so the receiver goes on enforcing them.
const (
	SettingGeneratedKeys     = "checks_generated_keys"
	SettingGeneratedVerifiMe = "checks_generated_verifime_secret"
)

// simulatorKeys makes the receiver check deliveries with the simulator's
// keys when it had none, the first time the simulator is used: until then
// a fresh kycwatch accepts deliveries unchecked, as documented. It is
// remembered, so a restart goes on checking with them.
func (l *Lab) simulatorKeys() {
	l.takeKeys(&l.once, func(k *decode.Keys) (bool, string) {
		// Only a kycwatch with no secret takes the simulator's keys: one
		// with a secret checks real deliveries, and a made-up API key would
		// turn them away.
		if len(k.VeriffSecrets) > 0 {
			return false, ""
		}
		k.VeriffSecrets = []string{l.SimSecret}
		k.VeriffAPIKey = cmp.Or(k.VeriffAPIKey, l.SimAPIKey)
		if !l.Generated { // the user's own: nothing to remember
			return true, ""
		}
		return true, SettingGeneratedKeys
	})
}

// takeKeys runs take on the receiver's keys, the first time only (once):
// take says whether it changed them, and the setting that remembers it
// for a restart ("" for none).
func (l *Lab) takeKeys(once *sync.Once, take func(k *decode.Keys) (changed bool, setting string)) {
	once.Do(func() {
		// The two takeovers (Veriff's, VerifiMe's) may run at once: the
		// receiver makes each read, change and set one step.
		var setting string
		l.Receiver.UpdateKeys(func(k *decode.Keys) bool {
			var changed bool
			changed, setting = take(k)
			return changed
		})
		if setting != "" {
			l.remember(setting)
		}
	})
}

// Decide sends a simulated decision.
func (l *Lab) Decide(ctx context.Context, t sessions.Target, status string) error {
	if t.Source == sessions.SourceSandbox && l.Sandbox != nil {
		if !l.Sandbox.Open(t.SessionID) {
			return errors.New("this sandbox session is already decided, or its state is gone (cleared with C)")
		}
		return l.Sandbox.Decide(ctx, t.SessionID, status, known(t))
	}
	l.simulatorKeys()
	return l.Sim.Decide(ctx, t.SessionID, status, known(t))
}

// Overrides says, before a simulated decision for t, which decision it
// overrides ("" when the session has none yet): the simulator takes a
// second decision, as a test integration's forced status does.
func (l *Lab) Overrides(t sessions.Target) string {
	if t.Source == sessions.SourceSandbox && l.Sandbox != nil {
		return "" // the sandbox refuses a second decision (Decide says so)
	}
	return simulator.OverrideNote(l.Sim.Decided(t.SessionID))
}

// Forge sends a delivery that must fail one check.
func (l *Lab) Forge(ctx context.Context, t sessions.Target, kind sessions.Forgery) (int, error) {
	l.simulatorKeys()
	if kind == sessions.WrongAPIKey && l.Receiver.Keys().VeriffAPIKey == "" {
		return 0, errors.New("no API key is configured, so a wrong one cannot be caught: set VERIFF_API_KEY (or --api-key)")
	}
	return l.Sim.Forge(ctx, t.SessionID, kind, known(t))
}

func known(t sessions.Target) simulator.Known {
	return simulator.Known{AttemptID: t.AttemptID, VendorData: t.VendorData, EndUserID: t.EndUserID,
		Created: t.Created, Submitted: t.Submitted}
}

func newRef() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Keys picks what the simulator signs with: the configured secret and API
// key, else the kept ones (the sandbox's pair, generated once and kept in
// the database), so a kycwatch with no configuration has one secret and
// one API key, the same from run to run, whichever way a test session is
// made. generated reports whether either is not configured.
func Keys(k decode.Keys, keptSecret, keptAPIKey string) (secret, apiKey string, generated bool) {
	if len(k.VeriffSecrets) > 0 {
		secret = k.VeriffSecrets[0]
	} else {
		secret, generated = keptSecret, true
	}
	if k.VeriffAPIKey != "" {
		apiKey = k.VeriffAPIKey
	} else {
		apiKey, generated = keptAPIKey, true
	}
	if secret == "" {
		secret = simulator.NewSecret()
	}
	if apiKey == "" {
		apiKey = sessions.NewUUID()
	}
	return secret, apiKey, generated
}

// Tracker reads a VerifiMe invite's tracking status: VerifiMe's API, or
// the simulator.
type Tracker interface {
	TrackingStatus(ctx context.Context, ref string) (status, raw string, err error)
}

// RealVerifiMe reports whether i invites with VerifiMe's API.
func (l *Lab) RealVerifiMe() bool { return l.VerifiMe != nil }

// Invite creates a VerifiMe session keyed by a referenceData kycwatch
// chooses (it comes back as the webhook's metadata), and starts polling
// its tracking status.
func (l *Lab) Invite(ctx context.Context, f sessions.InviteForm) (sessions.Created, error) {
	ref := "kw-" + newRef()[:12]
	req := verifime.InviteRequest{Email: f.Email, Code: l.OrgCode, ReferenceData: ref,
		CustomerContext: verifime.CustomerContext{FirstName: f.FirstName, FamilyName: f.FamilyName}}
	t := sessions.TestSession{ID: ref, VendorData: ref, FirstName: f.FirstName, LastName: f.FamilyName, Email: f.Email}
	var out sessions.Created
	var tracker Tracker
	var inv verifime.Invite
	var err error
	if l.VerifiMe != nil {
		inv, err = l.VerifiMe.Invite(ctx, req)
		t.Source, tracker = sessions.SourceVerifiMe, l.VerifiMe
	} else {
		l.verifimeKeys()
		req.Code = "kycwatch-simulator"
		inv, err = l.Sim.Invite(ctx, req)
		t.Source, tracker = sessions.SourceVerifiMeSim, l.Sim
	}
	if err != nil {
		return sessions.Created{}, err
	}
	t.URL, t.Ref, t.CreatedAt = inv.InviteURL, inv.TrackingReference, l.Now()
	if err := l.Store.AddTestSession(ctx, t); err != nil {
		return sessions.Created{}, fmt.Errorf("invite %s created, but not saved: %w", ref, err)
	}
	l.created(t)
	l.track(t, tracker, "")
	out.Session = t
	return out, nil
}

// remember keeps a setting that says the generated keys are enforced.
func (l *Lab) remember(setting string) {
	if l.Store == nil {
		return
	}
	if err := l.Store.SetSetting(context.Background(), setting, time.Now().UTC().Format(time.RFC3339)); err != nil && l.Failed != nil {
		l.Failed(fmt.Errorf("remember the generated keys: %w", err))
	}
}

// verifimeKeys makes the receiver check VerifiMe deliveries with the
// simulator's secret when it had none (the first time only).
func (l *Lab) verifimeKeys() {
	l.takeKeys(&l.vmOnce, func(k *decode.Keys) (bool, string) {
		if len(k.VerifiMeSecrets) > 0 {
			return false, ""
		}
		k.VerifiMeSecrets = []string{l.SimVerifiMeSecret}
		return true, SettingGeneratedVerifiMe
	})
}

// Assess sends a simulated ASSESSED webhook with the risk level.
func (l *Lab) Assess(ctx context.Context, t sessions.Target, level string) error {
	l.verifimeKeys()
	return l.Sim.Assess(ctx, t.SessionID, level, strings.TrimSpace(t.VendorData))
}

// Polling pace: every few seconds, slower while nothing changes, and not
// for ever.
const (
	pollEvery    = 3 * time.Second
	pollSlowest  = 20 * time.Second
	pollLimit    = 30 * time.Minute
	pollFailures = 3 // consecutive failures before the UI hears of it
)

// track polls the tracking status until Completed (or the limit) and
// records each change.
func (l *Lab) track(t sessions.TestSession, tr Tracker, last string) {
	base := l.PollEvery
	if base <= 0 {
		base = pollEvery
	}
	ctx := l.pollContext()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		delay, failures := time.Duration(0), 0
		start := l.Now()
		if !t.CreatedAt.IsZero() && t.CreatedAt.Before(start) {
			start = t.CreatedAt // a resumed invite: the limit counts from its creation
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			if l.Now().Sub(start) > pollLimit {
				l.failed(fmt.Errorf("stopped polling %s's tracking status after %s", t.ID, pollLimit))
				return
			}
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			status, raw, err := tr.TrackingStatus(cctx, t.Ref)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				failures++
				if failures == pollFailures {
					l.failed(fmt.Errorf("tracking %s: %w", t.ID, err))
				}
				delay = min(max(delay*2, base), pollSlowest)
				continue
			}
			failures = 0
			seen := status
			if seen == "" {
				seen = raw // no status field: show the answer, do not guess
			}
			if seen != last {
				last = seen
				step := sessions.TrackingStep{SessionID: t.ID, At: l.Now(), Status: status, Raw: raw}
				if err := l.Store.AddTracking(ctx, step); err != nil && ctx.Err() == nil {
					l.failed(fmt.Errorf("saving %s's tracking status: %w", t.ID, err))
				}
				if l.OnTracking != nil {
					l.OnTracking(step)
				}
				delay = base
			} else if tr != Tracker(l.Sim) { // the simulator is local: no need to go easy on it
				delay = min(delay*3/2, pollSlowest)
			}
			if status == verifime.Completed {
				return
			}
		}
	}()
}

// Resume polls again, after a restart, the invites whose data entry was
// not completed yet: real ones with VerifiMe's API, simulated ones with the
// simulator (its invites are kept across the restart).
func (l *Lab) Resume(tests []sessions.TestSession, tracking []sessions.TrackingStep) {
	done, last := map[string]bool{}, map[string]string{}
	for _, s := range tracking { // oldest first
		if s.Status == verifime.Completed {
			done[s.SessionID] = true
		}
		last[s.SessionID] = cmp.Or(s.Status, s.Raw) // as track compares them
	}
	for _, t := range tests {
		if done[t.ID] || l.Now().Sub(t.CreatedAt) >= pollLimit {
			continue
		}
		switch {
		case t.Source == sessions.SourceVerifiMe && l.VerifiMe != nil:
			l.track(t, l.VerifiMe, last[t.ID])
		case t.Source == sessions.SourceVerifiMeSim && l.Sim != nil:
			if _, held := l.Sim.Invitation(t.Ref); held { // kept across the restart
				l.track(t, l.Sim, last[t.ID])
			}
		}
	}
}

// Wait waits for the pollers (after Context ends, they stop).
func (l *Lab) Wait() { l.wg.Wait() }

func (l *Lab) failed(err error) {
	if l.Failed != nil {
		l.Failed(err)
	}
}
