// Command kycwatch receives identity-verification webhooks (Veriff,
// VerifiMe), verifies their signatures, and shows them live per session.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

	if c.headless {
		// The app logs warnings to stderr as slog records: they become
		// kycwatch's own lines there, whole in the log file.
		o.stderr = &logRecords{out: o.stderr, file: f}
	}
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

// logRecords stands between headless logging and stderr: a slog text
// record (time=… level=… msg=…) goes whole to the log file, and to stderr
// as one "kycwatch: msg: err" line, or not at all for the tunnel's, whose
// states headless reports itself. Other lines pass unchanged.
type logRecords struct {
	mu   sync.Mutex
	out  io.Writer
	file io.Writer
	part []byte // an unfinished line
}

func (l *logRecords) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.part[:i+1])
		l.part = l.part[i+1:]
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, " level=") {
			if _, err := io.WriteString(l.out, line); err != nil {
				return len(p), err
			}
			continue
		}
		io.WriteString(l.file, line)
		if said := recordLine(line); said != "" {
			io.WriteString(l.out, said)
		}
	}
}

// recordLine is a slog text record as kycwatch says it on stderr ("" for
// what headless says itself: the tunnel's states).
func recordLine(rec string) string {
	kv := logfmt(strings.TrimSpace(rec))
	msg := kv["msg"]
	if strings.HasPrefix(msg, "tunnel") {
		return ""
	}
	var rest []string
	for _, k := range strings.Fields(kv[" keys"]) {
		if k != "time" && k != "level" && k != "msg" && k != "err" {
			rest = append(rest, k+" "+kv[k])
		}
	}
	line := "kycwatch: " + msg
	if e := kv["err"]; e != "" {
		line += ": " + e
	}
	if len(rest) > 0 {
		line += " (" + strings.Join(rest, ", ") + ")"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, line) + "\n"
}

// logfmt reads slog's key=value pairs (values bare or Go-quoted); the key
// " keys" lists the keys in order.
func logfmt(s string) map[string]string {
	kv := map[string]string{}
	var keys []string
	for s != "" {
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				v, rest = rest, ""
			} else {
				v, _ = strconv.Unquote(q)
				rest = rest[len(q):]
			}
		} else {
			v, rest, _ = strings.Cut(rest, " ")
			rest = " " + rest
		}
		kv[k] = v
		keys = append(keys, k)
		s = strings.TrimLeft(rest, " ")
	}
	kv[" keys"] = strings.Join(keys, " ")
	return kv
}
