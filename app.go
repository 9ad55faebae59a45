package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/forward"
	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/lab"
	"github.com/kycwatch/kycwatch/lab/sandbox"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/team"
)

// app is kycwatch's root: every service, built before any consumer runs,
// and the one bus they publish their events to. Consumers (the TUI, the
// headless printer, the expectations) each subscribe to the bus and read
// deliveries from the store at their own pace; nothing is wired in after
// the server serves.
type app struct {
	c       config
	events  *bus.Bus
	store   *sessions.Store
	rc      *sessions.Receiver
	srv     *listener.Server
	ln      net.Listener
	note    string // about the address, e.g. the port was taken
	log     *slog.Logger
	fileLog *slog.Logger
	sb      *sandboxParts
	fwd     *forward.Forwarder // nil without --forward-to
	lab     *lab.Lab
	sim     *simulator.Simulator // the lab's (test sessions)
	// What the simulator signs with (buildSim), for the lab.
	simSecret, simKey, vmSecret string
	simGenerated                bool
	first                       listener.TunnelStatus
	public                      atomic.Value // the public URL while the tunnel is up, else ""
	// startSeq is the newest delivery stored before the server served:
	// consumers that show only what is new start after it.
	startSeq int64
	team     *teamParts // nil without --share, --nats or follow
}

// problem is an event: a background task failed in a way worth showing
// (a simulated delivery that did not get through).
type problem string

// newApp builds every service. Nothing serves yet.
func newApp(ctx context.Context, c config, o deps, events *bus.Bus, store *sessions.Store, logs *os.File) (*app, error) {
	a := &app{c: c, events: events, store: store, first: initialTunnel(c)}
	a.public.Store("")
	a.fileLog = slog.New(slog.NewTextHandler(logs, nil))
	a.log = a.fileLog
	if c.headless {
		a.log = slog.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	slog.SetDefault(a.log)

	var err error
	a.ln, a.note, err = listener.Listen(c.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	recordRunning(ctx, store, listener.URL(a.ln), c) // for kycwatch send and sandbox keys
	sbKey, sbSecret, _, err := sandboxKeys(ctx, store, c)
	if err != nil {
		return nil, err
	}
	a.rc = sessions.NewReceiver(store, checkedKeys(ctx, c, store, sbKey, sbSecret), events)
	limits := listener.DefaultLimits
	limits.MaxBody = c.maxBody
	a.srv = listener.New(a.rc, limits, a.log)
	a.buildSim(ctx, sbKey, sbSecret)
	// The sandbox's end-user pages open the invites of the TUI's simulator too.
	a.sb, err = startSandbox(ctx, c, sbKey, sbSecret, store, a.rc, events, a.target, a.fileLog, a.sim)
	if err != nil {
		return nil, err
	}
	a.srv.Mount("/sandbox/", sandbox.Handler(a.sb.config))
	if len(c.forwardTo) > 0 {
		a.fwd = forward.NewForwarder(ctx, c.forwardTo, c.forwardTimeout, store, a.fileLog.With("component", "forward"), events)
		a.srv.Forward(a.fwd, c.answerApp)
	}
	a.buildLab(ctx)
	if err := a.buildTeam(ctx); err != nil {
		a.waitTeam()
		return nil, err
	}
	a.startSeq = store.Last()
	return a, nil
}

// target is where kycwatch can be reached: the public URL while the tunnel
// is up, else the local one. The simulators deliver there, so a demo
// proves the tunnel too.
func (a *app) target() string {
	if u := a.publicURL(); u != "" {
		return u
	}
	return listener.URL(a.ln)
}

func (a *app) publicURL() string { return a.public.Load().(string) }

// buildSim makes the test sessions' simulator, signing with the
// configured keys, else the sandbox's (kept: they verify after a restart).
func (a *app) buildSim(ctx context.Context, sbKey, sbSecret string) {
	c := a.c
	a.simSecret, a.simKey, a.simGenerated = lab.Keys(c.keys, sbSecret, sbKey)
	a.vmSecret = sbSecret
	if len(c.keys.VerifiMeSecrets) > 0 {
		a.vmSecret = c.keys.VerifiMeSecrets[0]
	}
	a.sim = simulator.New(ctx, simulator.Config{Secret: a.simSecret, APIKey: a.simKey, Target: a.target,
		StartAfter: simWait(c.simStart), SubmitAfter: simWait(c.simSubmit), Log: a.fileLog.With("component", "simulator"),
		VerifiMeSecret: a.vmSecret, AssessAfter: simWait(c.simAssess), Failed: a.failed("simulator"),
		KeepInvite: keepInvites(ctx, a.store, "tui", a.fileLog)})
	restoreInvites(ctx, a.store, "tui", a.sim, a.fileLog)
}

// failed reports a background failure: in the log, and on screen.
func (a *app) failed(what string) func(error) {
	return func(err error) {
		a.fileLog.Warn(what, "err", err)
		a.events.Publish(problem(err.Error()))
	}
}

// buildLab makes the lab that drives the simulator (Veriff's or VerifiMe's
// API when configured). Its news (tracking changes, failures) goes to the
// bus.
func (a *app) buildLab(ctx context.Context) {
	c := a.c
	simSecret, simKey, generated, vmSecret, failed := a.simSecret, a.simKey, a.simGenerated, a.vmSecret, a.failed
	a.lab = &lab.Lab{Store: a.store, Receiver: a.rc, Sim: a.sim, Sandbox: a.sb.sim, SimSecret: simSecret, SimAPIKey: simKey,
		Generated: generated, Public: a.publicURL, Now: time.Now, OrgCode: c.vmOrg, SimVerifiMeSecret: vmSecret, Context: ctx,
		PollEvery:  700 * time.Millisecond, // the simulator's statuses move every 2 s
		OnTracking: func(st sessions.TrackingStep) { a.events.Publish(st) },
		OnCreated:  func(t sessions.TestSession) { a.events.Publish(team.CreatedHere{TestSession: t}) },
		Failed:     failed("lab")}
	if c.vmOrg != "" {
		a.lab.VerifiMe, a.lab.PollEvery = verifime.NewClient(c.vmAPIURL), 0 // the default pace for a real API
	}
	if c.keys.VeriffAPIKey != "" && len(c.keys.VeriffSecrets) > 0 {
		a.lab.API = veriff.NewClient(c.apiURL, c.keys.VeriffAPIKey, c.keys.VeriffSecrets[0])
	}
}

// checkedKeys are the keys the receiver starts with: the configured ones;
// the sandbox's secret beside them, or its own webhooks would show as
// forged; and, with nothing configured, the generated keys once the
// simulator made kycwatch check with them (kept across restarts, as the
// simulator and the sandbox still sign with them).
func checkedKeys(ctx context.Context, c config, store *sessions.Store, sbKey, sbSecret string) decode.Keys {
	k := decode.Keys{VeriffSecrets: slices.Clone(c.keys.VeriffSecrets), VeriffAPIKey: c.keys.VeriffAPIKey,
		VerifiMeSecrets: slices.Clone(c.keys.VerifiMeSecrets)}
	if len(k.VeriffSecrets) > 0 && !slices.Contains(k.VeriffSecrets, sbSecret) && !c.sandboxWebhooks.allAway() {
		k.VeriffSecrets = append(k.VeriffSecrets, sbSecret)
	}
	if len(k.VeriffSecrets) == 0 && store.Setting(ctx, lab.SettingGeneratedKeys) != "" {
		k.VeriffSecrets = []string{sbSecret}
		if k.VeriffAPIKey == "" {
			k.VeriffAPIKey = sbKey
		}
	}
	if len(k.VerifiMeSecrets) == 0 && store.Setting(ctx, lab.SettingGeneratedVerifiMe) != "" {
		k.VerifiMeSecrets = []string{sbSecret}
	}
	return k
}

// serve starts serving locally and opens the tunnel in the background. The
// returned function stops both and waits for them.
func (a *app) serve(ctx context.Context, o deps) (serveErr <-chan error, stop func()) {
	// What the last run left to try again is queued before anything new
	// can arrive: a session's new delivery goes after its older ones, and
	// is not taken for one the last run left.
	if a.fwd != nil {
		if n, err := a.fwd.Resume(ctx); err != nil {
			a.fileLog.Warn("resume forwards", "err", err)
		} else if n > 0 {
			a.fileLog.Info("resumed forwards the last run left to try again", "count", n)
		}
	}
	errs := make(chan error, 1)
	go func() { errs <- a.srv.Serve(a.ln) }()
	a.startTeam(ctx)
	// The tunnel's states come from ngrok's goroutines: they go to the bus,
	// which never blocks.
	opened := make(chan struct{})
	go func() {
		defer close(opened)
		if a.first.State != listener.TunnelConnecting {
			return
		}
		tunnel := o.tunnel(a.c, a.fileLog.With("component", "ngrok"))
		a.srv.Publish(ctx, tunnel, a.c.tunnelWait, func(st listener.TunnelStatus) {
			if st.State == listener.TunnelOnline {
				a.public.Store(st.URL)
			} else if st.State == listener.TunnelFailed {
				a.public.Store("")
			}
			a.events.Publish(st)
		})
	}()
	return errs, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.srv.Shutdown(sctx)
		<-opened
	}
}

// wait waits for the background work of the services to end (after ctx).
func (a *app) wait() {
	a.waitTeam()
	a.sim.Wait()
	a.lab.Wait()
	a.sb.sim.Wait()
	if a.fwd != nil {
		a.fwd.Close() // no waiting on a down app to quit
		a.fwd.Wait()
	}
}
