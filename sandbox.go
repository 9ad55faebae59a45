package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kycwatch/kycwatch/lab/sandbox"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
)

// sandboxParts is the sandbox as the rest of the wiring needs it.
type sandboxParts struct {
	sim         *simulator.Simulator
	config      sandbox.Config
	key, secret string
}

// realKey reports whether the sandbox's API key is the integration's own
// (VERIFF_API_KEY): that one is shown masked, like the configured key in
// the header. A key made for the sandbox is shown whole, for a backend's
// .env.
func (sb *sandboxParts) realKey(c config) bool {
	return sb.key != "" && sb.key == c.keys.VeriffAPIKey
}

// maxSandboxSessions bounds how many kept sandbox sessions a start brings
// back (the newest).
const maxSandboxSessions = 10000

// Settings kept in the database for the sandbox and for kycwatch send.
const (
	settingSandboxKey    = "sandbox_api_key"
	settingSandboxSecret = "sandbox_secret"
	settingLocalURL      = "local_url" // where the running kycwatch listens
	settingInstance      = "instance"  // the id its local listener answers GET / with
	settingOwnKeys       = "own_keys"  // "secret", "api-key", "sandbox-secret", "sandbox-key": what it checks that send cannot know
)

// sandboxKeys are the sandbox's API key and secret: --sandbox-key and
// --sandbox-secret, else the configured Veriff ones (so a backend's .env
// works unchanged), else ones generated once and kept in the database.
// from says where each came from.
func sandboxKeys(ctx context.Context, store *sessions.Store, c config) (key, secret string, from [2]string, err error) {
	key, secret, from = c.sandboxKey, c.sandboxSecret, [2]string{"--sandbox-key", "--sandbox-secret"}
	if key == "" && sessions.IsUUID(c.keys.VeriffAPIKey) { // as Veriff's are: the sandbox refuses others (1802)
		key, from[0] = c.keys.VeriffAPIKey, "VERIFF_API_KEY"
	}
	if secret == "" && len(c.keys.VeriffSecrets) > 0 {
		secret, from[1] = c.keys.VeriffSecrets[0], "VERIFF_SHARED_SECRET"
	}
	for i, k := range []struct {
		v    *string
		name string
		make func() string
	}{{&key, settingSandboxKey, sessions.NewUUID}, {&secret, settingSandboxSecret, simulator.NewSecret}} {
		if *k.v != "" {
			continue
		}
		from[i] = "kept in " + store.Path()
		if *k.v = store.Setting(ctx, k.name); *k.v == "" {
			*k.v, from[i] = k.make(), "generated now, kept in "+store.Path()
			if err := store.SetSetting(ctx, k.name, *k.v); err != nil {
				return "", "", from, fmt.Errorf("keep the sandbox's keys: %w", err)
			}
		}
	}
	return key, secret, from, nil
}

// recordRunning keeps where this kycwatch listens and which checks it was
// given keys for, so that kycwatch send on the same database can find it
// and sign as it checks.
func recordRunning(ctx context.Context, store *sessions.Store, local string, c config) {
	var own []string
	if len(c.keys.VeriffSecrets) > 0 {
		own = append(own, "secret")
	}
	if c.keys.VeriffAPIKey != "" {
		own = append(own, "api-key")
	}
	if c.sandboxSecret != "" {
		own = append(own, "sandbox-secret")
	}
	if c.sandboxKey != "" {
		own = append(own, "sandbox-key")
	}
	store.SetSetting(ctx, settingLocalURL, local)
	store.SetSetting(ctx, settingInstance, listener.InstanceAt(local))
	store.SetSetting(ctx, settingOwnKeys, strings.Join(own, ","))
}

// startSandbox builds the sandbox's simulator, which sends webhooks to
// --sandbox-webhook or to kycwatch itself, and restores the sessions it
// kept. Every API call is stored through rc; a session it creates is
// stored and published to events.
func startSandbox(ctx context.Context, c config, key, secret string, store *sessions.Store, rc *sessions.Receiver,
	events sessions.Publisher, target func() string, log *slog.Logger, others ...*simulator.Simulator) (*sandboxParts, error) {
	sb := &sandboxParts{key: key, secret: secret}
	vmSecret := sb.secret
	if len(c.keys.VerifiMeSecrets) > 0 {
		vmSecret = c.keys.VerifiMeSecrets[0]
	}
	cfg := simulator.Config{Secret: sb.secret, APIKey: sb.key, Manual: true, Target: target, VerifiMeSecret: vmSecret, AssessAfter: simWait(c.simAssess),
		SessionURL: func(id string) string { return strings.TrimRight(target(), "/") + sandbox.FlowPrefix + id },
		Log:        log.With("component", "sandbox"),
		Failed:     func(err error) { log.Warn("sandbox webhook", "err", err) }}
	if len(c.sandboxWebhooks) > 0 {
		cfg.Webhook = func(path string) string {
			if u := c.sandboxWebhooks.url(path); u != "" {
				return u
			}
			return strings.TrimRight(target(), "/") + path
		}
	}
	// The sandbox's sessions outlive a restart: a backend that created one
	// yesterday can still read its decision, and its end-user page works.
	keepCtx := context.WithoutCancel(ctx)
	cfg.Keep = func(snap simulator.Snapshot) {
		b, err := json.Marshal(snap)
		if err == nil {
			err = store.KeepSandboxState(keepCtx, snap.ID, time.Now(), b)
		}
		if err != nil {
			log.Error("keep sandbox session", "session", snap.ID, "err", err)
		}
	}
	cfg.KeepInvite = keepInvites(ctx, store, "sandbox", log)
	sb.sim = simulator.New(ctx, cfg)
	restoreInvites(ctx, store, "sandbox", sb.sim, log)
	states, err := store.SandboxStates(ctx, maxSandboxSessions)
	if err != nil {
		return nil, fmt.Errorf("read the sandbox's sessions: %w", err)
	}
	sb.sim.Restore(decodeKept[simulator.Snapshot](states, log, "a kept sandbox session is unreadable"))
	sb.config = sandbox.Config{Sim: sb.sim, Others: others, APIKey: sb.key, Secret: sb.secret, MaxBody: c.maxBody,
		Record: func(ctx context.Context, r sessions.Record) {
			if _, err := rc.Keep(ctx, r); err != nil {
				log.Error("store sandbox call", "err", err)
			}
		},
		Created: func(ctx context.Context, t sessions.TestSession) {
			if err := store.AddTestSession(ctx, t); err != nil {
				log.Error("store sandbox session", "err", err)
			}
			events.Publish(t)
		}}
	return sb, nil
}

// keepInvites makes a simulator's VerifiMe invites outlive a restart: each
// change is kept in the database as owner's (sandbox, tui).
func keepInvites(ctx context.Context, store *sessions.Store, owner string, log *slog.Logger) func(simulator.InviteSnapshot) {
	keepCtx := context.WithoutCancel(ctx)
	var kept atomic.Int64
	return func(p simulator.InviteSnapshot) {
		b, err := json.Marshal(p)
		if err == nil {
			err = store.KeepInvite(keepCtx, owner, p.Ref, time.Now(), b)
		}
		// Anyone may invite through the sandbox: the table keeps no more
		// than the simulator holds.
		if err == nil && kept.Add(1)%inviteTrimEvery == 0 {
			err = store.TrimInvites(keepCtx, owner, simulator.MaxInvites)
		}
		if err != nil {
			log.Error("keep invite", "ref", p.Ref, "err", err)
		}
	}
}

// inviteTrimEvery is how many invite changes go between two trims of the
// invites table.
const inviteTrimEvery = 1000

// restoreInvites brings back owner's invites kept by an earlier run.
func restoreInvites(ctx context.Context, store *sessions.Store, owner string, sim *simulator.Simulator, log *slog.Logger) {
	states, err := store.Invites(ctx, owner, simulator.MaxInvites)
	if err != nil {
		log.Error("read kept invites", "err", err)
		return
	}
	sim.RestoreInvites(decodeKept[simulator.InviteSnapshot](states, log, "a kept invite is unreadable"))
}

// decodeKept reads kept JSON snapshots, passing over (with the warning
// unreadable) one that does not decode.
func decodeKept[T any](states [][]byte, log *slog.Logger, unreadable string) []T {
	out := make([]T, 0, len(states))
	for _, b := range states {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			log.Warn(unreadable, "err", err)
			continue
		}
		out = append(out, v)
	}
	return out
}

// unstoredSandboxKeys says, in one line, why sandbox keys cannot print
// what the kycwatch on the database checks its sandbox with: it was given
// them (--sandbox-secret/--sandbox-key, or --secret/--api-key and the
// variables) and keeps none of them. envSecret and envKey say whether this
// process has VERIFF_SHARED_SECRET and VERIFF_API_KEY, taken as the same
// values. "" when everything printed is what the sandbox uses.
func unstoredSandboxKeys(db string, own map[string]bool, envSecret, envKey bool) string {
	switch {
	case own["sandbox-secret"]:
		return fmt.Sprintf("the kycwatch on %s was started with --sandbox-secret, which it does not store: its sandbox checks with that value; give your backend the same one as VERIFF_SHARED_SECRET", db)
	case own["secret"] && !envSecret:
		return fmt.Sprintf("the kycwatch on %s was started with a secret of its own (--secret or VERIFF_SHARED_SECRET), which it does not store and its sandbox checks with: set VERIFF_SHARED_SECRET to the same value and run sandbox keys again", db)
	case own["sandbox-key"]:
		return fmt.Sprintf("the kycwatch on %s was started with --sandbox-key, which it does not store: its sandbox expects that key; give your backend the same one as VERIFF_API_KEY", db)
	case own["api-key"] && !envKey:
		return fmt.Sprintf("the kycwatch on %s was started with an API key of its own (--api-key or VERIFF_API_KEY), which it does not store and its sandbox expects: set VERIFF_API_KEY to the same value and run sandbox keys again", db)
	}
	return ""
}
