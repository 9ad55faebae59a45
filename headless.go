package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/sandbox"
	"github.com/kycwatch/kycwatch/ui"
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

func headless(ctx context.Context, c config, ln net.Listener, note string, rc *sessions.Receiver, serveErr chan error,
	first listener.TunnelStatus, changes <-chan listener.TunnelStatus, sb *sandboxParts, o deps) error {
	errw := &lockedWriter{w: o.stderr}
	say := func(format string, args ...any) { fmt.Fprintf(errw, "kycwatch: "+format+"\n", args...) }
	out := bufio.NewWriter(o.stdout)
	// --expect: each expectation is met once; when all are, the run is done.
	met := make(chan struct{})
	pending := slices.Clone(c.expect)
	var expectMu sync.Mutex
	rc.Subscribe(func(r sessions.Record) {
		line := r
		if c.maskPII {
			line.Delivery.Note = decode.MaskText(line.Delivery.Note) // decode's summary names the person
		}
		out.Write(line.MarshalLine())
		out.Flush() // one line per delivery, as it is stored
		if len(c.expect) == 0 {
			return
		}
		expectMu.Lock()
		defer expectMu.Unlock()
		for i, e := range pending {
			if e.Match(r) {
				say("expected %s: arrived (#%d)", e.Text, r.Seq)
				pending = slices.Delete(pending, i, i+1)
				if len(pending) == 0 {
					close(met)
				}
				break
			}
		}
	})
	unmet := func() []string {
		expectMu.Lock()
		defer expectMu.Unlock()
		var left []string
		for _, e := range pending {
			left = append(left, e.Text)
		}
		return left
	}
	var deadline <-chan time.Time
	if len(c.expect) > 0 {
		deadline = time.After(c.expectTimeout)
	}
	if note != "" {
		say("%s", note)
	}
	local := listener.URL(ln)
	say("listening on %s", local)
	for _, p := range listener.Paths {
		say("  %-48s %s", local+p.Path, p.Field)
	}
	say("%s; database %s", secretsLine(c.keys), c.db)
	key := sb.key
	if sb.realKey(c) {
		key = ui.Mask(key)
	}
	say("sandbox API %s%s (API key %s, secret %s)%s", local, sandbox.APIPrefix, key, ui.Mask(sb.secret), c.sandboxWebhooks.describe())

	// Only the public URL line and what follows it may carry https://.
	report := func(st listener.TunnelStatus) {
		switch st.State {
		case listener.TunnelConnecting:
			say("tunnel: connecting to ngrok (token from %s; up to %s)…", c.tokenFrom, c.tunnelWait)
		case listener.TunnelOnline:
			say("public URL %s", st.URL)
			for i, u := range listener.PublicURLs(st.URL) {
				say("  %-48s %s", u, listener.Paths[i].Field)
			}
		case listener.TunnelReconnecting:
			say("tunnel: %s (%s)", st.Reason, st.Hint)
		case listener.TunnelFailed:
			say("%s (%s)", st.Reason, st.Hint)
		}
	}
	switch first.State {
	case listener.TunnelOff:
		say("no tunnel (--no-tunnel): reachable from this machine only")
	case listener.TunnelFailed:
		report(first)
	}
	go func() {
		for st := range changes {
			report(st)
		}
	}()
	select {
	case <-ctx.Done():
		if left := unmet(); len(left) > 0 {
			// A CI run stopped early has not seen what it waited for.
			say("stopped before every expectation was met; missing: %s", strings.Join(left, ", "))
			return errExpectUnmet
		}
		say("stopping")
		return nil
	case err := <-serveErr:
		return err
	case <-met:
		say("every expectation met")
		return nil
	case <-deadline:
		say("timed out after %s waiting for: %s", c.expectTimeout, strings.Join(unmet(), ", "))
		return errExpectUnmet
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
		parts = append(parts, "API key "+ui.Mask(k.VeriffAPIKey))
	}
	if len(k.VerifiMeSecrets) > 0 {
		parts = append(parts, "VerifiMe secret set")
	}
	return strings.Join(parts, ", ")
}
