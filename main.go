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
	"path/filepath"
	"syscall"
	"time"

	"github.com/kycwatch/kycwatch/internal/bus"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
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
	if c.followTemp {
		// A follower without --name reads the stream from the start (or
		// --since) on each run: into a database of that run's only.
		dir, err := os.MkdirTemp("", "kycwatch-follow-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.db = filepath.Join(dir, "follow.db")
		if c.logPath == "" {
			c.logPath = filepath.Join(dir, "kycwatch.log")
		}
		if c.exportDir == "" {
			c.exportDir = "."
			if p, err := sessions.DefaultPath(); err == nil {
				c.exportDir = filepath.Dir(p)
			}
		}
	}
	events := bus.New()
	store, err := sessions.Open(c.db, sessions.WithEvents(events))
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

	ctx, cancel := context.WithCancel(ctx)
	a, err := newApp(ctx, c, o, events, store, f)
	if err != nil {
		cancel()
		return err
	}
	defer func() { cancel(); a.wait() }()
	if c.keep != (sessions.Retention{}) {
		pruneOnce(ctx, store, c.keep, a.log) // at start, then hourly
		go prune(ctx, store, c.keep, a.log)
	}
	if c.headless {
		return headless(ctx, a, o)
	}
	return tui(ctx, a, o)
}

// prune deletes what --keep does not keep, hourly.
func prune(ctx context.Context, store *sessions.Store, keep sessions.Retention, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pruneOnce(ctx, store, keep, log)
		}
	}
}

func pruneOnce(ctx context.Context, store *sessions.Store, keep sessions.Retention, log *slog.Logger) {
	n, err := store.Prune(ctx, keep, time.Now())
	if err != nil {
		log.Error("prune", "err", err)
	} else if n > 0 {
		log.Info("pruned old deliveries", "count", n)
	}
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
