package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/export"
	"github.com/kycwatch/kycwatch/sessions/lab"
	"github.com/kycwatch/kycwatch/sessions/sandbox"
	"github.com/kycwatch/kycwatch/sessions/simulator"
	"github.com/kycwatch/kycwatch/sessions/veriffapi"
	"github.com/kycwatch/kycwatch/sessions/verifimeapi"
	"github.com/kycwatch/kycwatch/ui"
)

func tui(ctx context.Context, c config, ln net.Listener, note string, rc *sessions.Receiver, store *sessions.Store,
	first listener.TunnelStatus, changes <-chan listener.TunnelStatus, publicURL, target func() string, sb *sandboxParts,
	fwd *listener.Forwarder, log *slog.Logger) error {
	history, total, err := store.Recent(ctx, c.history)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	info := ui.Info{
		LocalURL: listener.URL(ln), DBPath: store.Path(), ExportDir: c.exportDir, Tunnel: tunnelMsg(first),
		Secrets: len(c.keys.VeriffSecrets), VerifiMe: len(c.keys.VerifiMeSecrets),
	}
	for _, p := range listener.Paths {
		info.Fields = append(info.Fields, ui.Field{Name: p.Field, Short: path.Base(p.Path), Path: p.Path})
	}
	info.Fields = append(info.Fields,
		ui.Field{Name: "Sandbox API base URL (for your backend)", Short: "sandbox", Path: sandbox.APIPrefix},
		ui.Field{Name: "Sandbox API key (X-AUTH-CLIENT)", Short: "sandbox key", Value: sb.key, Secret: sb.realKey(c)},
		ui.Field{Name: "Sandbox shared secret", Short: "sandbox secret", Value: sb.secret, Secret: true})
	for _, k := range append([]string{""}, webhookKinds...) {
		if u, ok := c.sandboxWebhooks[k]; ok {
			name := map[string]string{"": "Sandbox webhooks go to", "events": "Sandbox event webhooks go to",
				"decisions": "Sandbox decision webhooks go to", "verifime": "Sandbox VerifiMe webhooks go to"}[k]
			short := strings.TrimSpace("sandbox → " + k)
			info.Fields = append(info.Fields, ui.Field{Name: name, Short: short, Value: u})
		}
	}
	if c.keys.VeriffAPIKey != "" {
		info.APIKey = ui.Mask(c.keys.VeriffAPIKey)
	}
	if note != "" {
		info.Notes = append(info.Notes, note)
	}
	if total > len(history) {
		info.Notes = append(info.Notes, fmt.Sprintf("%d stored deliveries: the newest %d loaded; older ones load as you scroll past the last session", total, len(history)))
	}
	// Test sessions: the simulator delivers to target, the public URL when
	// the tunnel is up (a demo then proves the tunnel too), else locally.
	var prog atomic.Pointer[tea.Program] // set once the program exists
	simSecret, simKey, generated := lab.Keys(c.keys, sb.secret, sb.key)
	vmSecret := simulator.NewSecret()
	if len(c.keys.VerifiMeSecrets) > 0 {
		vmSecret = c.keys.VerifiMeSecrets[0]
	}
	simCtx, stopSim := context.WithCancel(ctx)
	sim := simulator.New(simCtx, simulator.Config{Secret: simSecret, APIKey: simKey, Target: target,
		StartAfter: c.simStart, SubmitAfter: c.simSubmit, Log: log.With("component", "simulator"),
		VerifiMeSecret: vmSecret, AssessAfter: c.simAssess,
		Failed: func(err error) {
			log.Warn("simulator", "err", err)
			if p := prog.Load(); p != nil {
				go p.Send(ui.ProblemMsg(err.Error()))
			}
		}})
	l := &lab.Lab{Store: store, Receiver: rc, Sim: sim, Sandbox: sb.sim, SimSecret: simSecret, SimAPIKey: simKey, Generated: generated,
		Public: publicURL, Now: time.Now, OrgCode: c.vmOrg, SimVerifiMeSecret: vmSecret, Context: simCtx,
		PollEvery: 700 * time.Millisecond, // the simulator's statuses move every 2 s
		OnTracking: func(st sessions.TrackingStep) {
			if p := prog.Load(); p != nil {
				go p.Send(ui.TrackingMsg(st))
			}
		},
		Failed: func(err error) {
			log.Warn("lab", "err", err)
			if p := prog.Load(); p != nil {
				go p.Send(ui.ProblemMsg(err.Error()))
			}
		}}
	defer func() { stopSim(); sim.Wait(); l.Wait() }()
	if c.vmOrg != "" {
		l.VerifiMe, l.PollEvery = verifimeapi.NewClient(c.vmAPIURL), 0 // the default pace for a real API
	}
	if c.keys.VeriffAPIKey != "" && len(c.keys.VeriffSecrets) > 0 {
		l.API = veriffapi.NewClient(c.apiURL, c.keys.VeriffAPIKey, c.keys.VeriffSecrets[0])
	}
	tests, err := store.TestSessions(ctx, c.history)
	if err != nil {
		return fmt.Errorf("read test sessions: %w", err)
	}
	ids := make([]string, 0, len(tests))
	for _, t := range tests {
		ids = append(ids, t.ID)
	}
	tracking, err := store.Tracking(ctx, ids)
	if err != nil {
		return fmt.Errorf("read tracking: %w", err)
	}
	l.Resume(tests, tracking)
	model := ui.New(info, history, store.Get).WithLab(l, tests, tracking).WithPaging(store.Before, total).WithSearch(store.Search)
	if fwd != nil {
		seqs := make([]int64, len(history))
		for i, r := range history {
			seqs[i] = r.Seq
		}
		done, err := store.Forwards(ctx, seqs...)
		if err != nil {
			return fmt.Errorf("read forwards: %w", err)
		}
		model = model.WithForwards(c.forwardTo, done)
		fwd.Done = func(f sessions.Forward) {
			if p := prog.Load(); p != nil {
				go p.Send(ui.ForwardMsg(f))
			}
		}
	}
	model = model.WithReplayer(&listener.Replayer{Store: store, Forward: fwd, LocalURL: listener.URL(ln), Keys: rc.Keys}).
		WithExporter(fileExporter{store: store, dir: c.exportDir}).WithMaskPII(c.maskPII).
		WithClearer(func(ctx context.Context) (int64, error) {
			n, err := store.Clear(ctx)
			if err == nil {
				l.Forget() // nothing in flight brings a cleared session back
			}
			return n, err
		})
	p := tea.NewProgram(model, tea.WithContext(ctx))
	prog.Store(p)
	notify := func(t sessions.TestSession) { go p.Send(ui.TestSessionMsg(t)) }
	sb.created.Store(&notify)

	// Deliveries reach the program through a queue, so a busy screen never
	// holds up the answer a provider is waiting for.
	queue := make(chan sessions.Record, 4096)
	rc.Subscribe(func(r sessions.Record) {
		select {
		case queue <- r:
		default:
			slog.Warn("UI queue full; delivery stored but not shown live", "seq", r.Seq)
		}
	})
	go func() {
		for r := range queue {
			p.Send(ui.DeliveryMsg{Record: r})
		}
	}()
	go func() {
		for st := range changes {
			p.Send(tunnelMsg(st))
		}
	}()
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

func tunnelMsg(st listener.TunnelStatus) ui.TunnelMsg {
	return ui.TunnelMsg{State: string(st.State), URL: st.URL, Reason: st.Reason, Hint: st.Hint}
}

// fileExporter writes a session's deliveries, as HAR and as a curl
// script, into the current directory (X in the UI).
type fileExporter struct {
	store *sessions.Store
	dir   string // --export-dir: the data directory unless chosen
}

func (e fileExporter) ExportSession(ctx context.Context, id string, mask bool) ([]string, error) {
	if id == "" {
		return nil, errors.New("the unsorted group is not a session: use kycwatch export for everything")
	}
	short := id
	if len(short) > 8 {
		short = short[:8]
	}
	base := fmt.Sprintf("kycwatch-%s-%s", safeName(short), time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct{ format, ext string }{{"har", ".har"}, {"curl", ".sh"}} {
		path := filepath.Join(e.dir, base+f.ext)
		file, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return paths, err
		}
		w, _ := export.New(f.format, file, mask)
		err = e.store.Each(ctx, sessions.Filter{SessionID: id}, w.Add)
		if err == nil {
			err = w.Close()
		}
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// safeName keeps a session id fit for a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
