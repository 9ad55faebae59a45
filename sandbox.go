package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/sandbox"
	"github.com/kycwatch/kycwatch/sessions/simulator"
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

// sandboxKeys are the sandbox's keys: --sandbox-key/--sandbox-secret, else
// the configured Veriff ones, so a backend's .env works unchanged, else
// ones generated once and kept in the database. The simulator signs with
// the same ones when nothing is configured.
func sandboxKeys(ctx context.Context, c config, store *sessions.Store) (key, secret string, err error) {
	key, secret = c.sandboxKey, c.sandboxSecret
	if key == "" {
		key = c.keys.VeriffAPIKey
	}
	if secret == "" && len(c.keys.VeriffSecrets) > 0 {
		secret = c.keys.VeriffSecrets[0]
	}
	for _, k := range []struct {
		v    *string
		name string
		make func() string
	}{{&key, "sandbox_api_key", simulator.NewUUID}, {&secret, "sandbox_secret", simulator.NewSecret}} {
		if *k.v != "" {
			continue
		}
		if *k.v = store.Setting(ctx, k.name); *k.v == "" {
			*k.v = k.make()
			if err := store.SetSetting(ctx, k.name, *k.v); err != nil {
				return "", "", fmt.Errorf("keep the sandbox's keys: %w", err)
			}
		}
	}
	return key, secret, nil
}

// startSandbox builds the sandbox's simulator, which sends webhooks to
// --sandbox-webhook or to kycwatch itself, and restores the sessions it
// kept. Every API call is stored through rc; a session it creates is
// stored and published to events.
func startSandbox(ctx context.Context, c config, key, secret string, store *sessions.Store, rc *sessions.Receiver,
	events sessions.Publisher, target func() string, log *slog.Logger) (*sandboxParts, error) {
	sb := &sandboxParts{key: key, secret: secret}
	vmSecret := sb.secret
	if len(c.keys.VerifiMeSecrets) > 0 {
		vmSecret = c.keys.VerifiMeSecrets[0]
	}
	cfg := simulator.Config{Secret: sb.secret, APIKey: sb.key, Manual: true, Target: target, VerifiMeSecret: vmSecret, AssessAfter: c.simAssess,
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
	sb.sim = simulator.New(ctx, cfg)
	states, err := store.SandboxStates(ctx, maxSandboxSessions)
	if err != nil {
		return nil, fmt.Errorf("read the sandbox's sessions: %w", err)
	}
	snaps := make([]simulator.Snapshot, 0, len(states))
	for _, b := range states {
		var snap simulator.Snapshot
		if err := json.Unmarshal(b, &snap); err != nil {
			log.Warn("a kept sandbox session is unreadable", "err", err)
			continue
		}
		snaps = append(snaps, snap)
	}
	sb.sim.Restore(snaps)
	sb.config = sandbox.Config{Sim: sb.sim, APIKey: sb.key, Secret: sb.secret, MaxBody: c.maxBody,
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
