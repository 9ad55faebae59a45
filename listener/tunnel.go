package listener

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Endpoint is a public listener: connections that reach URL arrive on Accept.
type Endpoint interface {
	net.Listener
	URL() *url.URL
}

// Tunnel opens a public endpoint. ngrok is the real one (Ngrok); tests use a
// fake behind the same interface.
type Tunnel interface {
	// Open connects and returns the endpoint. ctx bounds the opening only:
	// once returned, the endpoint lives until it is closed. While it lives,
	// changes (reconnecting, back online) are reported through changes.
	// Failures it can explain are *TunnelError.
	Open(ctx context.Context, changes func(TunnelStatus)) (Endpoint, error)
}

// TunnelState is where the public tunnel stands.
type TunnelState string

const (
	TunnelOff          TunnelState = "off"          // --no-tunnel: chosen, not a problem
	TunnelConnecting   TunnelState = "connecting"   // starting, bounded by --tunnel-timeout
	TunnelOnline       TunnelState = "online"       // URL reaches the handler
	TunnelReconnecting TunnelState = "reconnecting" // was online, lost, trying again
	TunnelFailed       TunnelState = "failed"       // no public URL: Reason says why
)

// TunnelStatus is what the header and headless stderr say about the tunnel.
type TunnelStatus struct {
	State  TunnelState
	URL    string // public base URL (online, and while reconnecting)
	Reason string // what went wrong, in plain words
	Hint   string // what to do about it
}

// TunnelError is a failure explained for the user: never a stack trace.
type TunnelError struct {
	Reason, Hint string
	Err          error // the library's error, for the log file
}

func (e *TunnelError) Error() string {
	if e.Hint == "" {
		return e.Reason
	}
	return e.Reason + "; " + e.Hint
}

func (e *TunnelError) Unwrap() error { return e.Err }

// NoTokenStatus is the status when no ngrok authtoken was given.
var NoTokenStatus = TunnelStatus{
	State:  TunnelFailed,
	Reason: "no public URL: no ngrok authtoken",
	Hint:   "set NGROK_AUTHTOKEN (free at dashboard.ngrok.com) or pass --no-tunnel",
}

// Reopen delays, after a tunnel that was online closes for good.
var reopenDelays = []time.Duration{2 * time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second, 60 * time.Second}

// Publish opens t and serves the handler on it as well as on the local
// listener, until ctx ends. It reports every change through report and
// never returns an error: without a tunnel the local listener keeps
// answering. Opening is bounded by timeout. A tunnel that was online and
// then closes is reopened, with growing delays; a tunnel that never opened
// is not retried (a bad token or domain does not fix itself).
func (s *Server) Publish(ctx context.Context, t Tunnel, timeout time.Duration, report func(TunnelStatus)) {
	wasOnline := false
	lastURL := ""
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if wasOnline {
			delay := reopenDelays[min(attempt-1, len(reopenDelays)-1)]
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
		} else {
			report(TunnelStatus{State: TunnelConnecting})
		}
		ep, err := open(ctx, t, timeout, func(st TunnelStatus) {
			if ctx.Err() == nil {
				report(st)
			}
		})
		if ctx.Err() != nil {
			if ep != nil {
				ep.Close()
			}
			return
		}
		if err != nil {
			te := explainOpen(err, timeout)
			s.log.Warn("tunnel: no public URL", "reason", te.Reason, "err", te.Err)
			if !wasOnline {
				report(TunnelStatus{State: TunnelFailed, Reason: te.Reason, Hint: te.Hint})
				return
			}
			report(TunnelStatus{State: TunnelReconnecting, URL: lastURL, Reason: te.Reason, Hint: "retrying; the local listener still answers"})
			continue
		}
		wasOnline, attempt = true, 0
		lastURL = ep.URL().String()
		s.log.Info("tunnel online", "url", lastURL)
		report(TunnelStatus{State: TunnelOnline, URL: lastURL})
		err = s.Serve(ep)
		ep.Close()
		if ctx.Err() != nil || err == nil { // nil: the server was shut down
			return
		}
		reason := "the tunnel closed: " + firstLine(err.Error())
		s.log.Warn("tunnel closed", "err", err)
		report(TunnelStatus{State: TunnelReconnecting, URL: lastURL, Reason: reason, Hint: "reopening it; the local listener still answers"})
	}
}

// open runs t.Open bounded by timeout.
func open(ctx context.Context, t Tunnel, timeout time.Duration, changes func(TunnelStatus)) (Endpoint, error) {
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return t.Open(octx, changes)
}

// explainOpen turns any opening error into one the header can show.
func explainOpen(err error, timeout time.Duration) *TunnelError {
	var te *TunnelError
	if errors.As(err, &te) {
		return te
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &TunnelError{
			Reason: fmt.Sprintf("no public URL: the tunnel did not open within %s", timeout),
			Hint:   "check the network, or wait longer with --tunnel-timeout",
			Err:    err,
		}
	}
	return &TunnelError{Reason: "no public URL: " + firstLine(err.Error()), Err: err}
}

// firstLine is the first non-empty line of s: library errors can run to a
// paragraph, the header has room for one line.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// PublicURLs are the suggested webhook URLs under base.
func PublicURLs(base string) []string {
	out := make([]string, len(Paths))
	for i, p := range Paths {
		out[i] = base + p.Path
	}
	return out
}
