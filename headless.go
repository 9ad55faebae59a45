package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/lab/sandbox"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
)

// lockedWriter serialises lines from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// followBatch is how many deliveries a consumer reads from the store at once.
const followBatch = 1000

// printGrace bounds how long a stopping kycwatch waits for a stdout that
// does not read to take the last lines.
const printGrace = 5 * time.Second

func headless(ctx context.Context, a *app, o deps) error {
	c := a.c
	errw := &lockedWriter{w: o.stderr}
	say := func(format string, args ...any) { fmt.Fprintf(errw, "kycwatch: "+format+"\n", args...) }
	// Three consumers, each with its own subscription, none holding up
	// another or the listener: the NDJSON printer (stdout), the
	// expectations, and the notices (stderr).
	printed, notices := a.events.Subscribe(), a.events.Subscribe()
	defer printed.Close()
	defer notices.Close()
	var exp *expectations
	if len(c.expect) > 0 {
		exp = newExpectations(c.expect, say)
		sub := a.events.Subscribe()
		defer sub.Close()
		go exp.follow(ctx, a.store, sub, a.startSeq)
	}

	a.sayWhereItListens(say)

	serveErr, stopServing := a.serve(ctx, o)
	finish := make(chan struct{})
	printerDone := make(chan error, 1)
	go func() { printerDone <- printLines(a.store, printed, a.startSeq, o.stdout, c.maskPII, finish) }()
	go func() {
		for {
			events, ok := notices.Wait(ctx)
			if !ok {
				return
			}
			for _, e := range events {
				switch e := e.(type) {
				case listener.TunnelStatus:
					reportTunnel(c, say, e)
				case problem:
					say("%s", e)
				}
			}
		}
	}()

	var deadline <-chan time.Time
	var met <-chan struct{}
	if exp != nil {
		deadline, met = time.After(c.expectTimeout), exp.met
	}
	var err error
	select {
	case <-ctx.Done():
		if left := exp.missing(); left != "" {
			// A CI run stopped early has not seen what it waited for.
			say("stopped before every expectation was met; missing: %s", left)
			err = errExpectUnmet
		} else {
			say("stopping")
		}
	case err = <-serveErr:
	case <-met:
		say("every expectation met")
	case <-deadline:
		say("timed out after %s waiting for: %s", c.expectTimeout, exp.missing())
		err = errExpectUnmet
	}
	// Nothing more is answered; then every answered delivery is printed.
	stopServing()
	close(finish)
	select {
	case perr := <-printerDone:
		if perr != nil && err == nil {
			err = perr
		}
	case <-time.After(printGrace):
		say("stdout is not reading: the last lines were not printed")
	}
	return err
}

// sayWhereItListens says on stderr what a headless run needs to know
// before the first delivery: the URLs, the keys checked, the sandbox, team
// mode's join line, and why there is no tunnel.
func (a *app) sayWhereItListens(say func(string, ...any)) {
	c := a.c
	if a.note != "" {
		say("%s", a.note)
	}
	local := listener.URL(a.ln)
	say("listening on %s", local)
	for _, p := range listener.Paths {
		say("  %-48s %s", local+p.Path, p.Field)
	}
	say("%s; database %s", secretsLine(a.rc.Keys()), c.db)
	key := a.sb.key
	if a.sb.realKey(c) {
		key = display.Mask(key)
	}
	say("sandbox API %s%s (API key %s, secret %s)%s", local, sandbox.APIPrefix, key, display.Mask(a.sb.secret), c.sandboxWebhooks.describe())
	if t := a.team; t != nil {
		for _, l := range t.lines {
			say("%s", l)
		}
		if j := a.joinLine(); j != "" {
			say("  %s", j) // whole: the line teammates paste
		}
		for _, n := range t.early {
			say("team: %s", n)
		}
	}
	switch a.first.State {
	case listener.TunnelOff:
		say("no tunnel (--no-tunnel): reachable from this machine only")
	case listener.TunnelFailed:
		reportTunnel(c, say, a.first)
	}

}

// printLines prints one NDJSON line per delivery stored after seq, in seq
// order, reading the store in batches whenever it stored more. Only this
// goroutine waits for a stdout that does not read; it catches up after.
// When finish closes it prints what is left and returns.
func printLines(store *sessions.Store, sub *bus.Sub, after int64, w io.Writer, mask bool, finish <-chan struct{}) error {
	cur := store.Follow(after)
	out := bufio.NewWriterSize(w, 64<<10)
	ctx := context.Background()
	for {
		done := false
		select {
		case <-sub.Ready():
			sub.Take()
		case <-finish:
			done = true
		}
		for {
			recs, err := cur.Next(ctx, followBatch)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if mask {
					r.Delivery.Note = decode.MaskText(r.Delivery.Note) // decode's summary names the person
				}
				out.Write(r.AppendLine(out.AvailableBuffer())) // in place when it fits
			}
			if err := out.Flush(); err != nil {
				return err
			}
			if len(recs) < followBatch {
				break
			}
		}
		if done {
			return nil
		}
	}
}

// expectations are the --expect still waited for. Each is met by a
// delivery stored after the start (one delivery meets every expectation it
// matches); when all are, met closes.
type expectations struct {
	mu      sync.Mutex
	pending []sessions.Expectation
	met     chan struct{}
	say     func(string, ...any)
}

func newExpectations(want []sessions.Expectation, say func(string, ...any)) *expectations {
	return &expectations{pending: slices.Clone(want), met: make(chan struct{}), say: say}
}

// follow matches every delivery stored after seq until all are met.
func (e *expectations) follow(ctx context.Context, store *sessions.Store, sub *bus.Sub, after int64) {
	cur := store.Follow(after)
	for {
		for {
			recs, err := cur.Next(ctx, followBatch)
			if err != nil {
				return
			}
			for _, r := range recs {
				if e.match(r) {
					return
				}
			}
			if len(recs) < followBatch {
				break
			}
		}
		if _, ok := sub.Wait(ctx); !ok {
			return
		}
	}
}

// match takes r into account and reports whether every expectation is met.
func (e *expectations) match(r sessions.Record) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) == 0 {
		return true
	}
	// One delivery meets every expectation it matches.
	e.pending = slices.DeleteFunc(e.pending, func(x sessions.Expectation) bool {
		if x.Match(r) {
			e.say("expected %s: arrived (#%d)", x.Text, r.Seq)
			return true
		}
		return false
	})
	if len(e.pending) == 0 {
		close(e.met)
		return true
	}
	return false
}

// missing lists what has not arrived ("" when nothing; e may be nil).
func (e *expectations) missing() string {
	if e == nil {
		return ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var left []string
	for _, x := range e.pending {
		left = append(left, x.Text)
	}
	return strings.Join(left, ", ")
}

// reportTunnel says what the tunnel is doing. Only the public URL line and
// what follows it may carry https://.
func reportTunnel(c config, say func(string, ...any), st listener.TunnelStatus) {
	switch st.State {
	case listener.TunnelConnecting:
		say("tunnel: connecting to ngrok (token from %s; up to %s)…", c.tokenFrom, c.tunnelWait)
	case listener.TunnelOnline:
		say("public URL %s", st.URL)
		for i, u := range listener.PublicURLs(st.URL) {
			say("  %-48s %s", u, listener.Paths[i].Field)
		}
	case listener.TunnelReconnecting:
		say("tunnel: %s; %s", st.Reason, st.Hint)
	case listener.TunnelFailed:
		say("%s; %s", st.Reason, st.Hint) // the hint has parentheses of its own
	}
}

// errExpectUnmet ends a headless run whose --expect did not come true
// (timed out, or stopped first): exit status 1.
var errExpectUnmet = errors.New("expectations not met")

func secretsLine(k decode.Keys) string {
	var parts []string
	switch n := len(k.VeriffSecrets); n {
	case 0:
		parts = append(parts, "no Veriff secret: signatures unchecked")
	case 1:
		parts = append(parts, "1 Veriff secret")
	default:
		parts = append(parts, fmt.Sprintf("%d Veriff secrets", n))
	}
	if k.VeriffAPIKey != "" {
		parts = append(parts, "API key "+display.Mask(k.VeriffAPIKey))
	}
	if len(k.VerifiMeSecrets) > 0 {
		parts = append(parts, "VerifiMe secret set")
	}
	return strings.Join(parts, ", ")
}
