package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/export"
	"github.com/kycwatch/kycwatch/forward"
	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/lab/sandbox"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/ui"
)

func tui(ctx context.Context, a *app, o deps) error {
	c := a.c
	// Subscribe before reading the history: whatever is stored after it is
	// read from the store by the feed, so nothing falls between the two.
	sub := a.events.Subscribe()
	defer sub.Close()
	before := a.store.Last()
	history, total, err := a.store.Recent(ctx, c.history)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	after := before
	if n := len(history); n > 0 {
		after = max(after, history[n-1].Seq)
	}
	model, err := a.model(ctx, history, total)
	if err != nil {
		return err
	}
	p := tea.NewProgram(model, tea.WithContext(ctx), tea.WithFPS(120))
	_, stop := a.serve(ctx, o)
	defer stop()
	go a.feed(ctx, sub, after, p.Send)
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// model builds the UI's model from what is stored: the history, the test
// sessions and their tracking, the forwards; and its ports to the services.
func (a *app) model(ctx context.Context, history []sessions.Record, total int) (ui.Model, error) {
	c, sb := a.c, a.sb
	info := ui.Info{LocalURL: listener.URL(a.ln), DBPath: a.store.Path(), ExportDir: c.exportDir, Tunnel: tunnelMsg(a.first)}
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
	if line, join := a.teamHeader(); line != "" {
		info.Team = line
		if join != nil {
			info.Fields = append(info.Fields, *join)
		}
		for _, n := range a.team.early {
			info.Notes = append(info.Notes, "team: "+n)
		}
	}
	info.Keys = a.keysMsg(a.rc.Keys()) // what the receiver enforces
	if a.note != "" {
		info.Notes = append(info.Notes, a.note)
	}
	if total > len(history) {
		info.Notes = append(info.Notes, fmt.Sprintf("%d stored deliveries: the newest %d loaded; older ones load as you scroll past the last session", total, len(history)))
	}
	tests, err := a.store.TestSessions(ctx, c.history)
	if err != nil {
		return ui.Model{}, fmt.Errorf("read test sessions: %w", err)
	}
	ids := make([]string, 0, len(tests))
	for _, t := range tests {
		ids = append(ids, t.ID)
	}
	tracking, err := a.store.Tracking(ctx, ids)
	if err != nil {
		return ui.Model{}, fmt.Errorf("read tracking: %w", err)
	}
	var lb ui.Lab = a.lab
	if len(c.follow) > 0 {
		lb = readOnlyLab{Lab: a.lab, store: a.store} // other instances' sessions: nothing to resume here
	} else {
		a.lab.Resume(tests, tracking)
	}
	model := ui.New(info, history, a.store.Get).WithLab(lb, tests, tracking).WithPaging(a.store.Before, total).
		WithSearch(a.store.Search).WithSearchLag(a.store.SearchLag).WithHistory(c.history)
	if a.fwd != nil {
		seqs := make([]int64, len(history))
		for i, r := range history {
			seqs[i] = r.Seq
		}
		done, err := a.store.Forwards(ctx, seqs...)
		if err != nil {
			return ui.Model{}, fmt.Errorf("read forwards: %w", err)
		}
		model = model.WithForwards(c.forwardTo, done)
	}
	clear := func(ctx context.Context) (int64, error) {
		n, err := a.store.Clear(ctx)
		if err == nil {
			a.lab.Forget() // nothing in flight brings a cleared session back
		}
		return n, err
	}
	return model.WithMaskPII(c.maskPII).WithActions(ui.Actions{
		Replay: &forward.Replayer{Store: a.store, Forward: a.fwd, LocalURL: listener.URL(a.ln), Keys: a.rc.Keys},
		Export: fileExporter{store: a.store, dir: c.exportDir, local: listener.URL(a.ln)},
		Clear:  clear,
	}), nil
}

// frame is the shortest time between two batches of deliveries sent to the
// program. A delivery that comes alone is sent at once; in a flood the
// screen redraws at most ten times a second, however fast they arrive. Each
// such frame costs the TUI a few milliseconds and the terminal more (a
// 160x45 redraw is tens of kilobytes of escape sequences to parse), all of
// it taken from ingest on a small machine; ten a second reads as live.
// Keys are drawn as they come, at the renderer's 120 frames a second.
const frame = time.Second / 10

// uiBatch bounds the deliveries one message carries (a program far behind
// catches up in a few frames).
const uiBatch = 5000

// feed is the TUI's one consumer loop: it takes the bus's events in order,
// reads the deliveries stored since the last batch from the store (in
// batches, at most one message a frame), and turns the other events into
// the program's messages. When the program is slow only this loop waits;
// the events queue (Stored ones collapse into the newest), nothing is lost.
func (a *app) feed(ctx context.Context, sub *bus.Sub, after int64, send func(tea.Msg)) {
	cur := a.store.Follow(after)
	var sent time.Time
	for {
		events, ok := sub.Wait(ctx)
		if !ok {
			return
		}
		for _, e := range events {
			if _, ok := e.(sessions.Stored); !ok {
				if msg := a.uiMsg(e); msg != nil {
					send(msg)
				}
				continue
			}
			for {
				// Wait out the frame before reading, so that the batch
				// holds everything stored meanwhile (and a program far
				// behind catches up a batch a frame).
				if wait := frame - time.Since(sent); wait > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(wait):
					}
				}
				recs, err := cur.Next(ctx, uiBatch)
				if err != nil {
					if ctx.Err() == nil {
						send(ui.ProblemMsg("could not read new deliveries: " + err.Error()))
					}
					break
				}
				if len(recs) == 0 {
					break
				}
				a.whole(ctx, recs)
				send(ui.DeliveriesMsg{Records: recs, Stored: int(a.store.Count())})
				sent = time.Now()
				if len(recs) < uiBatch {
					break
				}
			}
		}
	}
}

// whole reads the newest of a batch in full: following new activity, the
// detail pane shows it next, and a summary would have it say "Loading…"
// for a frame and cost the program a second render to fill in.
func (a *app) whole(ctx context.Context, recs []sessions.Record) {
	last := &recs[len(recs)-1]
	if last.Body != nil || last.Header != nil {
		return
	}
	if r, err := a.store.Get(ctx, last.Seq); err == nil {
		*last = r
	}
}

// uiMsg is the program's message for an event of the bus (nil for none).
func (a *app) uiMsg(e any) tea.Msg {
	switch e := e.(type) {
	case listener.TunnelStatus:
		return tunnelMsg(e)
	case sessions.Forward:
		return ui.ForwardMsg(e)
	case sessions.TestSession:
		return ui.TestSessionMsg(e)
	case sessions.TrackingStep:
		return ui.TrackingMsg(e)
	case sessions.KeysChanged:
		return a.keysMsg(e.Keys)
	case problem:
		return ui.ProblemMsg(e)
	}
	return nil
}

// keysMsg is the header's account of the keys the receiver checks with.
func (a *app) keysMsg(k decode.Keys) ui.KeysMsg {
	m := ui.KeysMsg{Secrets: len(k.VeriffSecrets), VerifiMe: len(k.VerifiMeSecrets)}
	if k.VeriffAPIKey != "" {
		m.APIKey = display.Mask(k.VeriffAPIKey)
	}
	if len(a.c.keys.VeriffSecrets) == 0 && len(k.VeriffSecrets) > 0 {
		m.Generated = display.Mask(k.VeriffSecrets[0]) // none configured: kycwatch's own
	}
	if len(a.c.keys.VerifiMeSecrets) == 0 && len(k.VerifiMeSecrets) > 0 {
		m.VerifiMeSim = display.Mask(k.VerifiMeSecrets[0]) // the simulator's
	}
	return m
}

func tunnelMsg(st listener.TunnelStatus) ui.TunnelMsg {
	return ui.TunnelMsg{State: string(st.State), URL: st.URL, Reason: st.Reason, Hint: st.Hint}
}

// fileExporter writes a session's deliveries, as HAR and as a curl
// script, into the current directory (X in the UI).
type fileExporter struct {
	store *sessions.Store
	dir   string // --export-dir: the data directory unless chosen
	local string // this kycwatch's address: a curl script's default TARGET
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
		w, _ := export.New(f.format, file, mask, export.WithTarget(e.local))
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
