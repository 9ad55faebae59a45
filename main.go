// Command kycwatch receives identity-verification webhooks (Veriff,
// VerifiMe), verifies their signatures, and shows them live per session.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/sessions/sandbox"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "send":
			os.Exit(send(os.Args[2:], os.Stdout, os.Stderr))
		case "check":
			os.Exit(check(os.Args[2:], os.Stdout, os.Stderr))
		case "export":
			os.Exit(exportCmd(os.Args[2:], os.Stdout, os.Stderr))
		case "sandbox":
			os.Exit(sandboxCmd(os.Args[2:], os.Stdout, os.Stderr))
		}
	}
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kycwatch:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, deps{stdout: os.Stdout, stderr: os.Stderr, tunnel: ngrokTunnel}); errors.Is(err, errExpectUnmet) {
		os.Exit(1)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "kycwatch:", err)
		os.Exit(1)
	}
}

// deps is where run writes and how it opens the tunnel (tests swap both).
type deps struct {
	stdout, stderr io.Writer
	tunnel         func(c config, log *slog.Logger) listener.Tunnel
}

func ngrokTunnel(c config, log *slog.Logger) listener.Tunnel {
	return listener.Ngrok{Authtoken: c.authtoken, Domain: c.domain, Logger: log, Version: version}
}

// version is what kycwatch tells ngrok it is.
const version = "0.3.0"

func run(ctx context.Context, c config, o deps) error {
	store, err := sessions.Open(c.db)
	if err != nil {
		return err
	}
	defer store.Close()

	// The log file takes the library logs (ngrok's) in both modes, and
	// everything in the TUI: nothing may write to the terminal it owns.
	f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	fileLog := slog.New(slog.NewTextHandler(f, nil))
	logger := fileLog
	if c.headless {
		logger = slog.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	slog.SetDefault(logger)

	// Retention: what --keep does not keep goes now, then hourly.
	if c.keep != (sessions.Retention{}) {
		prune := func() {
			n, err := store.Prune(ctx, c.keep, time.Now())
			if err != nil {
				logger.Error("prune", "err", err)
			} else if n > 0 {
				logger.Info("pruned old deliveries", "count", n)
			}
		}
		prune()
		go func() {
			t := time.NewTicker(time.Hour)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					prune()
				}
			}
		}()
	}

	ln, note, err := listener.Listen(c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	limits := listener.DefaultLimits
	limits.MaxBody = c.maxBody
	rc := sessions.NewReceiver(store, c.keys)
	srv := listener.New(rc, limits, logger)

	// Where kycwatch can be reached: the public URL while the tunnel is up,
	// else the local one. The simulators deliver there.
	var public atomic.Value
	public.Store("")
	publicURL := func() string { return public.Load().(string) }
	local := listener.URL(ln)
	recordRunning(ctx, store, local, c) // for kycwatch send and sandbox keys
	target := func() string {
		if u := publicURL(); u != "" {
			return u
		}
		return local
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sb, err := startSandbox(ctx, c, store, rc, target, fileLog)
	if err != nil {
		return err
	}
	srv.Mount("/sandbox/", sandbox.Handler(sb.config))
	defer sb.sim.Wait()
	var fwd *listener.Forwarder
	if len(c.forwardTo) > 0 {
		fwd = listener.NewForwarder(ctx, c.forwardTo, c.forwardTimeout, store, fileLog.With("component", "forward"))
		srv.Forward(fwd, c.answerApp)
		defer func() { fwd.Close(); fwd.Wait() }() // no waiting on a down app to quit
		if n, err := fwd.Resume(ctx); err != nil {
			fileLog.Warn("resume forwards", "err", err)
		} else if n > 0 {
			fileLog.Info("resumed forwards the last run left to try again", "count", n)
		}
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	published := make(chan struct{})
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-published
	}()

	// The tunnel starts in the background: the UI is up at once. Changes
	// come from ngrok's goroutines, which must not block: a buffered
	// channel, read by the UI or by the headless printer.
	first := initialTunnel(c)
	changes := make(chan listener.TunnelStatus, 64)
	go func() {
		defer close(published)
		defer close(changes)
		if first.State != listener.TunnelConnecting {
			return
		}
		srv.Publish(ctx, o.tunnel(c, fileLog.With("component", "ngrok")), c.tunnelWait, func(st listener.TunnelStatus) {
			if st.State == listener.TunnelOnline {
				public.Store(st.URL)
			} else if st.State == listener.TunnelFailed {
				public.Store("")
			}
			select {
			case changes <- st:
			default:
				slog.Warn("tunnel status dropped", "state", st.State)
			}
		})
	}()

	if c.headless {
		return headless(ctx, c, ln, note, rc, serveErr, first, changes, sb, o)
	}
	return tui(ctx, c, ln, note, rc, store, first, changes, publicURL, target, sb, fwd, fileLog)
}

// initialTunnel is the tunnel's state before anything is tried.
func initialTunnel(c config) listener.TunnelStatus {
	switch {
	case c.noTunnel:
		return listener.TunnelStatus{State: listener.TunnelOff}
	case c.authtoken == "":
		return listener.NoTokenStatus
	}
	return listener.TunnelStatus{State: listener.TunnelConnecting}
}
