// Command kycwatch receives identity-verification webhooks (Veriff,
// VerifiMe), verifies their signatures, and shows them live per session.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/ui"
)

// config is everything the flags and environment decide.
type config struct {
	addr       string
	db         string
	logPath    string
	headless   bool
	noTunnel   bool
	maxBody    int64
	keys       decode.Keys
	history    int
	secretsSet bool
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// byteSize is a flag like 10MiB, 512KiB, 1MB or a plain number of bytes.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }
func (b *byteSize) Set(s string) error {
	n, err := parseSize(s)
	*b = byteSize(n)
	return err
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a size such as 10MiB or 65536")
	}
	return n * mult, nil
}

const usage = `kycwatch: receive, verify and watch identity-verification webhooks.

Usage:
  kycwatch [flags]              the terminal UI
  kycwatch --headless [flags]   no UI: one JSON line per delivery on stdout

kycwatch listens on a local address, stores every webhook delivery (raw
bytes and headers) in a SQLite database, verifies its HMAC signature and
shows it in a timeline per verification session. Point Veriff's webhook
URLs at it (through a tunnel, or with curl while developing):

  /veriff/events  /veriff/decisions  /veriff/statuses  /veriff/watchlist

Flags:
`

const envHelp = `
Environment:
  VERIFF_SHARED_SECRET     shared secret key (comma-separated for several), like --secret
  VERIFF_API_KEY           API key (X-AUTH-CLIENT), like --api-key
  VERIFIME_WEBHOOK_SECRET  VerifiMe webhook secret, like --verifime-secret
  KYCWATCH_DB              database path, like --db
  NO_COLOR                 no colours in the UI

Without a secret, signatures are shown as unchecked (·) and every JSON
delivery is accepted. With one, only deliveries signed with it get 200.

Headless output (stdout, one object per line, after the delivery is stored):
  seq received_at method path status kind provider session_id attempt_id
  code state signature api_key duplicate_of reason (and more)
`

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	var secrets, vmSecrets multi
	maxBody := byteSize(listener.DefaultLimits.MaxBody)
	fs := flag.NewFlagSet("kycwatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "local `address` to listen on (a free port is taken if this one is busy)")
	fs.StringVar(&c.db, "db", "", "database `path` (default: the user data directory, e.g. ~/.local/share/kycwatch/kycwatch.db)")
	fs.StringVar(&c.logPath, "log", "", "log file `path` (default: kycwatch.log beside the database; headless logs to stderr)")
	fs.BoolVar(&c.headless, "headless", false, "no UI: print one JSON line per delivery on stdout, logs on stderr")
	fs.BoolVar(&c.noTunnel, "no-tunnel", false, "do not open a public tunnel (the local listener only)")
	fs.Var(&secrets, "secret", "Veriff shared secret `key` to verify X-HMAC-SIGNATURE with (repeat for several)")
	fs.StringVar(&c.keys.VeriffAPIKey, "api-key", "", "Veriff API `key` that X-AUTH-CLIENT must carry")
	fs.Var(&vmSecrets, "verifime-secret", "VerifiMe webhook `secret` for X-VerifiMe-Signature (repeat for several)")
	fs.Var(&maxBody, "max-body", "largest body `size` accepted (e.g. 10MiB); larger ones get 413")
	fs.IntVar(&c.history, "history", 5000, "how many stored deliveries the UI loads at start")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, envHelp)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	c.maxBody = int64(maxBody)
	c.keys.VeriffSecrets = append(splitEnv("VERIFF_SHARED_SECRET"), secrets...)
	c.keys.VerifiMeSecrets = append(splitEnv("VERIFIME_WEBHOOK_SECRET"), vmSecrets...)
	if c.keys.VeriffAPIKey == "" {
		c.keys.VeriffAPIKey = strings.TrimSpace(os.Getenv("VERIFF_API_KEY"))
	}
	if c.db == "" {
		c.db = os.Getenv("KYCWATCH_DB")
	}
	if c.db == "" {
		p, err := sessions.DefaultPath()
		if err != nil {
			return c, fmt.Errorf("no database path: %w (use --db)", err)
		}
		c.db = p
	}
	if c.logPath == "" {
		c.logPath = filepath.Join(filepath.Dir(c.db), "kycwatch.log")
	}
	return c, nil
}

func splitEnv(name string) []string {
	var out []string
	for _, s := range strings.Split(os.Getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func main() {
	c, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kycwatch:", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "kycwatch:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	store, err := sessions.Open(c.db)
	if err != nil {
		return err
	}
	defer store.Close()

	var logger *slog.Logger
	if c.headless {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	} else {
		// The TUI owns the terminal: nothing may write to stderr while it runs.
		f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("open log: %w", err)
		}
		defer f.Close()
		logger = slog.New(slog.NewTextHandler(f, nil))
	}
	slog.SetDefault(logger)

	ln, note, err := listener.Listen(c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	limits := listener.DefaultLimits
	limits.MaxBody = c.maxBody
	rc := sessions.NewReceiver(store, c.keys)
	srv := listener.New(rc, limits, logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()

	if c.headless {
		return headless(ctx, c, ln, note, rc, serveErr)
	}
	return tui(ctx, c, ln, note, rc, store)
}

func headless(ctx context.Context, c config, ln net.Listener, note string, rc *sessions.Receiver, serveErr chan error) error {
	out := bufio.NewWriter(os.Stdout)
	rc.Subscribe(func(r sessions.Record) {
		out.Write(r.MarshalLine())
		out.Flush() // one line per delivery, as it is stored
	})
	if note != "" {
		fmt.Fprintln(os.Stderr, "kycwatch:", note)
	}
	url := listener.URL(ln)
	fmt.Fprintf(os.Stderr, "kycwatch: listening on %s\n", url)
	for _, p := range listener.Paths {
		fmt.Fprintf(os.Stderr, "kycwatch:   %-48s %s\n", url+p.Path, p.Field)
	}
	if c.noTunnel {
		fmt.Fprintln(os.Stderr, "kycwatch: no tunnel (--no-tunnel): reachable from this machine only")
	}
	fmt.Fprintf(os.Stderr, "kycwatch: %s; database %s\n", secretsLine(c.keys), c.db)
	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "kycwatch: stopping")
		return nil
	case err := <-serveErr:
		return err
	}
}

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

func tui(ctx context.Context, c config, ln net.Listener, note string, rc *sessions.Receiver, store *sessions.Store) error {
	history, total, err := store.Recent(ctx, c.history)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	info := ui.Info{
		LocalURL: listener.URL(ln), DBPath: store.Path(),
		Secrets: len(c.keys.VeriffSecrets), VerifiMe: len(c.keys.VerifiMeSecrets),
	}
	for _, p := range listener.Paths {
		info.Paths = append(info.Paths, p.Path)
	}
	if c.keys.VeriffAPIKey != "" {
		info.APIKey = ui.Mask(c.keys.VeriffAPIKey)
	}
	if note != "" {
		info.Notes = append(info.Notes, note)
	}
	if total > len(history) {
		info.Notes = append(info.Notes, fmt.Sprintf("showing the last %d of %d stored deliveries (--history)", len(history), total))
	}
	model := ui.New(info, history, store.Get)
	p := tea.NewProgram(model, tea.WithContext(ctx))

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
	_, err = p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
