package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/listener"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"10MiB": 10 << 20, "512KiB": 512 << 10, "1MB": 1e6, "65536": 65536, "2 GiB": 2 << 30, "100b": 100} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "0", "ten", "1.5MiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

// TestWebhookRoutes: --sandbox-webhook takes one URL for every kind, or
// KIND=URL; a kind with no URL goes to kycwatch itself.
func TestWebhookRoutes(t *testing.T) {
	r, err := parseWebhookRoutes([]string{"https://app.test/hooks", "decisions=http://localhost:3000/veriff/decisions?x=a=b"})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/veriff/events":    "https://app.test/hooks",
		"/veriff/decisions": "http://localhost:3000/veriff/decisions?x=a=b",
		"/verifime":         "https://app.test/hooks",
	} {
		if got := r.url(path); got != want {
			t.Errorf("url(%s) = %q, want %q", path, got, want)
		}
	}
	if !r.allAway() {
		t.Error("every Veriff kind is routed away")
	}
	if d := r.describe(); d != "; webhooks all → app.test/hooks, decisions → localhost:3000/veriff/decisions?x=a=b" {
		t.Errorf("describe %q", d)
	}
	r, _ = parseWebhookRoutes([]string{"Events=https://app.test/e"})
	if r.url("/veriff/events") != "https://app.test/e" || r.url("/veriff/decisions") != "" || r.allAway() {
		t.Errorf("events only: %v", r)
	}
	if r, err := parseWebhookRoutes(nil); r != nil || err != nil || r.url("/veriff/events") != "" || r.describe() != "" {
		t.Errorf("none: %v %v", r, err)
	}
	for _, bad := range [][]string{{"ftp://x"}, {"events=/relative"}, {"status=https://x"}, {"https://a", "https://b"}, {"events=https://a", "events=https://b"}, {""}} {
		if _, err := parseWebhookRoutes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("VERIFF_SHARED_SECRET", "env-a, env-b")
	t.Setenv("VERIFF_API_KEY", "0b6c7ad2-0000-4000-8000-00000000e4f1")
	t.Setenv("VERIFIME_WEBHOOK_SECRET", "vm")
	t.Setenv("KYCWATCH_DB", "")
	os.Unsetenv("KYCWATCH_DB")
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	c, err := parseFlags([]string{"--secret", "flag-a", "--secret", "flag-b", "--max-body", "1MiB", "--headless", "--no-tunnel"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.keys.VeriffSecrets; len(got) != 4 || got[0] != "env-a" || got[1] != "env-b" || got[3] != "flag-b" {
		t.Fatalf("secrets %v", got)
	}
	if c.keys.VeriffAPIKey != "0b6c7ad2-0000-4000-8000-00000000e4f1" || len(c.keys.VerifiMeSecrets) != 1 || c.maxBody != 1<<20 || !c.headless || !c.noTunnel {
		t.Fatalf("%+v", c)
	}
	if c.db == "" || c.logPath == "" {
		t.Fatalf("no default paths: %+v", c)
	}
	c, _ = parseFlags([]string{"--api-key", "0b6c7ad2-0000-4000-8000-0000000f1a61", "--db", "/x/k.db"}, io.Discard)
	if c.keys.VeriffAPIKey != "0b6c7ad2-0000-4000-8000-0000000f1a61" || c.db != "/x/k.db" || c.logPath != "/x/kycwatch.log" {
		t.Fatalf("%+v", c)
	}
	if _, err := parseFlags([]string{"stray"}, io.Discard); err == nil {
		t.Fatal("stray argument accepted")
	}
}

// fakeTunnel stands in for ngrok: a real listener on 127.0.0.1 that claims
// a public https URL.
type fakeTunnel struct{ ln net.Listener }

type fakeEndpoint struct{ net.Listener }

func (fakeEndpoint) URL() *url.URL { u, _ := url.Parse("https://kyc-e2e.ngrok.test"); return u }

func (f fakeTunnel) Open(context.Context, func(listener.TunnelStatus)) (listener.Endpoint, error) {
	return fakeEndpoint{f.ln}, nil
}

// syncBuffer is a bytes.Buffer safe for the writers run starts: written
// through a lockedWriter, read under its lock.
type syncBuffer struct {
	lockedWriter
	b *bytes.Buffer
}

func newSyncBuffer() *syncBuffer {
	b := new(bytes.Buffer)
	return &syncBuffer{lockedWriter{w: b}, b}
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestHeadlessServesTheTunnel runs kycwatch in-process with a fake tunnel:
// the first stderr line with https:// is the public URL, and deliveries
// through the tunnel and to the local address both reach stdout.
func TestHeadlessServesTheTunnel(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := config{addr: "127.0.0.1:0", db: filepath.Join(dir, "k.db"), logPath: filepath.Join(dir, "k.log"), headless: true,
		authtoken: "fake", tokenFrom: "--authtoken", tunnelWait: time.Second, maxBody: 1 << 20}
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, c, deps{stdout: stdout, stderr: stderr, tunnel: func(config, *slog.Logger) listener.Tunnel { return fakeTunnel{ln} }})
	}()
	var local string
	waitUntil(t, func() bool {
		for _, l := range strings.Split(stderr.String(), "\n") {
			if rest, ok := strings.CutPrefix(l, "kycwatch: listening on "); ok {
				local = rest
			}
		}
		return local != "" && strings.Contains(stderr.String(), "public URL")
	})
	var firstHTTPS string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "https://") {
			firstHTTPS = l
			break
		}
	}
	if firstHTTPS != "kycwatch: public URL https://kyc-e2e.ngrok.test" {
		t.Fatalf("first https:// line %q in:\n%s", firstHTTPS, stderr.String())
	}
	if !strings.Contains(stderr.String(), "https://kyc-e2e.ngrok.test/veriff/decisions") {
		t.Errorf("no public decisions URL:\n%s", stderr.String())
	}
	for _, base := range []string{"http://" + ln.Addr().String(), local} {
		resp, err := http.Post(base+"/veriff/events", "application/json", strings.NewReader(`{"id":"s1","code":7001,"action":"started","feature":"selfid"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s answered %d", base, resp.StatusCode)
		}
	}
	waitUntil(t, func() bool { return strings.Count(stdout.String(), "\n") == 2 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("the tunnel is still served after shutdown")
	}
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNgrokConfigToken(t *testing.T) {
	for doc, want := range map[string]string{
		"version: \"3\"\nagent:\n    authtoken: 2abc_DEF\n":      "2abc_DEF",
		"authtoken: 'xyz'  # from ngrok authtoken\nregion: eu\n": "xyz",
		"version: 2\nregion: us\n":                               "",
	} {
		if got := yamlToken(doc); got != want {
			t.Errorf("yamlToken(%q) = %q, want %q", doc, got, want)
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("NGROK_AUTHTOKEN", "")
	os.Unsetenv("NGROK_AUTHTOKEN")
	os.MkdirAll(filepath.Join(home, ".config", "ngrok"), 0o700)
	os.WriteFile(filepath.Join(home, ".config", "ngrok", "ngrok.yml"), []byte("version: \"3\"\nagent:\n  authtoken: from-file\n"), 0o600)
	c, err := parseFlags([]string{"--db", filepath.Join(home, "k.db")}, io.Discard)
	if err != nil || c.authtoken != "from-file" || !strings.HasSuffix(c.tokenFrom, "ngrok.yml") {
		t.Fatalf("token %q from %q (%v)", c.authtoken, c.tokenFrom, err)
	}
	t.Setenv("NGROK_AUTHTOKEN", "from-env")
	if c, _ = parseFlags([]string{"--db", "x.db"}, io.Discard); c.authtoken != "from-env" {
		t.Errorf("env does not win over the file: %q", c.authtoken)
	}
	if c, _ = parseFlags([]string{"--db", "x.db", "--authtoken", "from-flag"}, io.Discard); c.authtoken != "from-flag" || c.tokenFrom != "--authtoken" {
		t.Errorf("flag does not win: %q", c.authtoken)
	}
	if _, err := parseFlags([]string{"--db", "x.db", "--tunnel-timeout", "0s"}, io.Discard); err == nil {
		t.Error("a zero tunnel timeout was accepted")
	}
}

// TestSandboxKeyShownWholeOnlyWhenMadeForIt: the integration's own API key
// (VERIFF_API_KEY, reused by the sandbox) is masked like the header's; a
// key made for the sandbox is shown whole, for a backend's .env.
func TestSandboxKeyShownWholeOnlyWhenMadeForIt(t *testing.T) {
	var c config
	c.keys.VeriffAPIKey = "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"
	if !(&sandboxParts{key: c.keys.VeriffAPIKey}).realKey(c) {
		t.Error("the configured key would be shown whole")
	}
	if (&sandboxParts{key: "78264014-ede2-4f46-bd49-97d32068e519"}).realKey(c) {
		t.Error("a sandbox key would be masked")
	}
	if (&sandboxParts{key: "k"}).realKey(config{}) {
		t.Error("masked with no key configured")
	}
}

// TestHelpFitsEightyColumns: every --help reads in an 80-column terminal,
// flag descriptions wrapped, defaults shown as a person writes them.
func TestHelpFitsEightyColumns(t *testing.T) {
	helps := map[string]string{}
	var b bytes.Buffer
	parseFlags([]string{"--help"}, &b)
	helps["kycwatch"] = b.String()
	for name, cmd := range map[string]func([]string, io.Writer, io.Writer) int{"send": send, "check": check, "export": exportCmd} {
		var out bytes.Buffer
		cmd([]string{"--help"}, &out, &out)
		helps[name] = out.String()
	}
	var sb bytes.Buffer
	sandboxCmd([]string{"keys", "--help"}, &sb, &sb)
	helps["sandbox keys"] = sb.String()
	for name, h := range helps {
		if !strings.Contains(h, "  -") {
			t.Errorf("%s: no flags listed:\n%s", name, h)
		}
		for _, l := range strings.Split(h, "\n") {
			if n := utf8.RuneCountInString(l); n > 80 {
				t.Errorf("%s: %d columns: %q", name, n, l)
			}
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(helps["kycwatch"]), " "), "(default 10MiB)") {
		t.Errorf("--max-body default not in MiB:\n%s", helps["kycwatch"])
	}
}

// TestEmptyKeysRefused: an unset variable in a command line
// (--secret "$VERIFF_SHARED_SECRET") becomes an empty value; kycwatch
// refuses it at start, naming the flag and the variable to look at,
// instead of checking every delivery against "" (every one a 401).
func TestEmptyKeysRefused(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	for _, env := range []string{"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "VERIFIME_WEBHOOK_SECRET", "NGROK_AUTHTOKEN", "VERIFF_API_URL", "VERIFIME_API_URL", "VERIFIME_ORG_CODE"} {
		os.Unsetenv(env)
	}
	for _, tc := range []struct {
		args []string
		env  [2]string
		want string
	}{
		{args: []string{"--secret", ""}, want: "--secret is empty: is VERIFF_SHARED_SECRET set?"},
		{args: []string{"--secret", "  "}, want: "--secret is empty"},
		{args: []string{"--api-key="}, want: "--api-key is empty: is VERIFF_API_KEY set?"},
		{args: []string{"--verifime-secret", ""}, want: "--verifime-secret is empty: is VERIFIME_WEBHOOK_SECRET set?"},
		{args: []string{"--sandbox-secret", ""}, want: "--sandbox-secret is empty"},
		{args: []string{"--sandbox-key", ""}, want: "--sandbox-key is empty"},
		{args: []string{"--authtoken", ""}, want: "--authtoken is empty: is NGROK_AUTHTOKEN set?"},
		{env: [2]string{"VERIFF_SHARED_SECRET", ""}, want: "VERIFF_SHARED_SECRET is set but empty"},
		{env: [2]string{"VERIFF_SHARED_SECRET", "a,,b"}, want: "VERIFF_SHARED_SECRET has an empty secret"},
		{env: [2]string{"VERIFF_API_KEY", " "}, want: "VERIFF_API_KEY is set but empty"},
		{env: [2]string{"VERIFIME_WEBHOOK_SECRET", ""}, want: "VERIFIME_WEBHOOK_SECRET is set but empty"},
		{env: [2]string{"NGROK_AUTHTOKEN", ""}, want: "NGROK_AUTHTOKEN is set but empty"},
	} {
		t.Run(strings.Join(tc.args, " ")+tc.env[0], func(t *testing.T) {
			if tc.env[0] != "" {
				t.Setenv(tc.env[0], tc.env[1])
			}
			_, err := parseFlags(append([]string{"--db", filepath.Join(t.TempDir(), "k.db")}, tc.args...), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// TestBadFlagValuesRefused: values that would silently do nothing useful
// are refused at start with what a right one looks like.
func TestBadFlagValuesRefused(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--history", "-1"}, "--history -1: want a number of deliveries, at least 1"},
		{[]string{"--api-url", "ftp://x"}, `--api-url "ftp://x": want an http:// or https:// URL`},
		{[]string{"--verifime-api-url", "notaurl"}, `--verifime-api-url "notaurl": want an http:// or https:// URL`},
		{[]string{"--addr", "bad"}, `--addr "bad": want host:port, e.g. 127.0.0.1:8080 (or :0 for any free port)`},
		{[]string{"--addr", "127.0.0.1:99999"}, "want host:port"},
		{[]string{"--forward-timeout", "0s"}, "--forward-timeout must be positive"},
		{[]string{"--timeout", "-1s"}, "--timeout must be positive"},
	} {
		_, err := parseFlags(append([]string{"--db", filepath.Join(t.TempDir(), "k.db")}, tc.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.args, err, tc.want)
		}
	}
	t.Setenv("VERIFF_API_URL", "stationapi.veriff.com")
	if _, err := parseFlags([]string{"--db", filepath.Join(t.TempDir(), "k.db")}, io.Discard); err == nil || !strings.Contains(err.Error(), "VERIFF_API_URL") {
		t.Errorf("VERIFF_API_URL without a scheme: %v", err)
	}
}

// TestUnknownFlagHint: a mistyped flag gets one line naming it and where
// help is, not the whole usage.
func TestUnknownFlagHint(t *testing.T) {
	var out bytes.Buffer
	_, err := parseFlags([]string{"--secrte", "x"}, &out)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := out.String() + err.Error()
	if strings.Count(strings.TrimSpace(msg), "\n") > 0 || !strings.Contains(msg, "--secrte") || !strings.Contains(msg, "--help") {
		t.Errorf("want one line naming the flag and --help, got %q", msg)
	}
	if !strings.Contains(msg, "--secret") {
		t.Errorf("no suggestion of --secret: %q", msg)
	}
}

// TestHeadlessStoppedWithExpectationsUnmet: a CI run stopped (SIGTERM)
// before what it expected arrived fails, and says what was missing.
func TestHeadlessStoppedWithExpectationsUnmet(t *testing.T) {
	dir := t.TempDir()
	e1, _ := sessions.ParseExpectation("decision=approved")
	e2, _ := sessions.ParseExpectation("event=submitted")
	c := config{addr: "127.0.0.1:0", db: filepath.Join(dir, "k.db"), logPath: filepath.Join(dir, "k.log"), headless: true,
		noTunnel: true, tunnelWait: time.Second, maxBody: 1 << 20, expect: []sessions.Expectation{e1, e2}, expectTimeout: time.Hour}
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, c, deps{stdout: stdout, stderr: stderr}) }()
	var local string
	waitUntil(t, func() bool {
		for _, l := range strings.Split(stderr.String(), "\n") {
			if rest, ok := strings.CutPrefix(l, "kycwatch: listening on "); ok {
				local = rest
			}
		}
		return local != ""
	})
	resp, err := http.Post(local+"/veriff/events", "application/json", strings.NewReader(`{"id":"s1","attemptId":"a","code":7002,"action":"submitted","feature":"selfid"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitUntil(t, func() bool { return strings.Contains(stderr.String(), "arrived") })
	cancel() // as SIGTERM does
	select {
	case err := <-done:
		if !errors.Is(err, errExpectUnmet) {
			t.Fatalf("run returned %v, want errExpectUnmet (exit 1)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
	if !strings.Contains(stderr.String(), "stopped before every expectation was met; missing: decision=approved") {
		t.Errorf("stderr does not name what was missing:\n%s", stderr.String())
	}
}

// TestExportsGoToTheChosenFolder: X writes into --export-dir (by default
// the data directory, beside the database), never the working directory,
// and names the files by their full path.
func TestExportsGoToTheChosenFolder(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	c, err := parseFlags([]string{"--db", filepath.Join(dir, "data", "k.db")}, io.Discard)
	if err != nil || c.exportDir != filepath.Join(dir, "data") {
		t.Fatalf("default export dir %q (%v)", c.exportDir, err)
	}
	c, _ = parseFlags([]string{"--db", filepath.Join(dir, "k.db"), "--export-dir", "rel/out"}, io.Discard)
	if !filepath.IsAbs(c.exportDir) || !strings.HasSuffix(c.exportDir, filepath.Join("rel", "out")) {
		t.Fatalf("--export-dir %q is not made absolute", c.exportDir)
	}
	store, err := sessions.Open(filepath.Join(dir, "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rc := sessions.NewReceiver(store, decode.Keys{}, nil)
	rc.Receive(context.Background(), sessions.Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events",
		Body: []byte(`{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","code":7001,"action":"started","feature":"selfid"}`), BodySize: 90})
	cwd, _ := os.Getwd()
	before, _ := os.ReadDir(cwd)
	out := filepath.Join(dir, "exports")
	paths, err := fileExporter{store: store, dir: out, local: "http://127.0.0.1:18123"}.ExportSession(context.Background(), "f04bdb47-d3be-4b28-b028-a652feb060b5", true)
	if err != nil || len(paths) != 2 {
		t.Fatalf("%v %v", paths, err)
	}
	for _, p := range paths {
		if b, _ := os.ReadFile(p); strings.HasSuffix(p, ".sh") && !strings.Contains(string(b), "TARGET='http://127.0.0.1:18123'") {
			t.Errorf("the curl script's default TARGET is not this kycwatch:\n%s", b)
		}
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) || filepath.Dir(p) != out {
			t.Errorf("%s is not in %s", p, out)
		}
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if after, _ := os.ReadDir(cwd); len(after) != len(before) {
		t.Errorf("the export wrote into the working directory")
	}
}

// startRun runs kycwatch headless in-process on a free port with c, and
// returns its local URL.
func startRun(t *testing.T, c config) string {
	t.Helper()
	local, _ := runUntil(t, c)
	return local
}

// runUntil runs kycwatch in-process until stop, and returns where it
// listens.
func runUntil(t *testing.T, c config) (local string, stop func()) {
	t.Helper()
	stderr := newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, c, deps{stdout: io.Discard, stderr: stderr}) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop) // also when the wait below fails
	waitUntil(t, func() bool {
		for _, l := range strings.Split(stderr.String(), "\n") {
			if rest, ok := strings.CutPrefix(l, "kycwatch: listening on "); ok {
				local = rest
			}
		}
		return local != ""
	})
	return local, stop
}

// TestSendFindsTheRunningKycwatch: with no --to and no --secret, send
// posts to where the kycwatch using the same database listens (not :8080)
// and signs with the secret it generated and kept there, and says where
// both came from. A kycwatch started with a secret of its own is not
// guessed at: send says to pass the same one.
func TestSendFindsTheRunningKycwatch(t *testing.T) {
	for _, env := range []string{"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"} {
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	local := startRun(t, config{addr: "127.0.0.1:0", db: db, logPath: filepath.Join(dir, "k.log"), headless: true, noTunnel: true,
		tunnelWait: time.Second, maxBody: 1 << 20, forwardTimeout: time.Second})
	var out, errOut bytes.Buffer
	if code := send([]string{"event", "--status", "started", "--db", db}, &out, &errOut); code != 0 {
		t.Fatalf("send exited %d:\n%s%s", code, errOut.String(), out.String())
	}
	msg := errOut.String()
	for _, want := range []string{"→ POST " + local + "/veriff/events", "address: the kycwatch running on " + db, "secret: the one kycwatch generated, kept in " + db} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
	if !strings.Contains(out.String(), "200 OK") {
		t.Errorf("answer: %s", out.String())
	}

	db2 := filepath.Join(dir, "own.db")
	startRun(t, config{addr: "127.0.0.1:0", db: db2, logPath: filepath.Join(dir, "k2.log"), headless: true, noTunnel: true,
		tunnelWait: time.Second, maxBody: 1 << 20, keys: decode.Keys{VeriffSecrets: []string{"its-own"}}})
	errOut.Reset()
	if code := send([]string{"event", "--db", db2}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "pass the same --secret") {
		t.Errorf("send against a kycwatch with its own secret: exit %d\n%s", code, errOut.String())
	}
	errOut.Reset()
	if code := send([]string{"event", "--db", filepath.Join(dir, "none.db")}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "no secret to sign with") {
		t.Errorf("no database, no secret: exit %d\n%s", code, errOut.String())
	}
	errOut.Reset()
	if code := send([]string{"event", "--secret", ""}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--secret is empty") {
		t.Errorf("empty --secret: exit %d\n%s", code, errOut.String())
	}
}

// TestSandboxKeysPrintsThemWhole: kycwatch sandbox keys prints what a CI
// backend needs, whole, as KEY=value lines, the same ones kycwatch uses
// (generated once and kept in the database), and the sandbox's URL.
func TestSandboxKeysPrintsThemWhole(t *testing.T) {
	for _, env := range []string{"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"} {
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	var out, errOut bytes.Buffer
	if code := sandboxCmd([]string{"keys", "--db", db}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	first := out.String()
	local := startRun(t, config{addr: "127.0.0.1:0", db: db, logPath: filepath.Join(dir, "k.log"), headless: true, noTunnel: true,
		tunnelWait: time.Second, maxBody: 1 << 20})
	out.Reset()
	sandboxCmd([]string{"keys", "--db", db}, &out, &errOut)
	st, _ := sessions.Open(db)
	key, secret := st.Setting(context.Background(), "sandbox_api_key"), st.Setting(context.Background(), "sandbox_secret")
	st.Close()
	want := "VERIFF_API_URL=" + local + "/sandbox\nVERIFF_API_KEY=" + key + "\nVERIFF_SHARED_SECRET=" + secret + "\n"
	if key == "" || secret == "" || out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if !strings.Contains(first, "VERIFF_SHARED_SECRET="+secret) {
		t.Errorf("keys printed before the first run are not the ones kycwatch then used:\n%s", first)
	}
}

// TestSendChecksItIsKycwatch: a database naming an address where another
// program now answers (kycwatch stopped, the port reused) is not posted
// to blindly: send says what it found there.
func TestSendChecksItIsKycwatch(t *testing.T) {
	for _, env := range []string{"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"} {
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not implemented", http.StatusNotImplemented)
	}))
	defer other.Close()
	db := filepath.Join(t.TempDir(), "k.db")
	st, err := sessions.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	st.SetSetting(context.Background(), settingLocalURL, other.URL)
	st.SetSetting(context.Background(), settingSandboxSecret, "sim-secret")
	st.Close()
	var out, errOut bytes.Buffer
	code := send([]string{"event", "--db", db}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "does not answer as kycwatch") || strings.Contains(out.String(), "501") {
		t.Errorf("exit %d\n%s%s", code, errOut.String(), out.String())
	}
}

// TestSandboxKeysOfAKycwatchGivenItsSecret: a kycwatch started with
// --secret (which it does not store) has a sandbox that checks with that
// secret: sandbox keys must not print a generated one instead, but say in
// one line to pass the same value.
func TestSandboxKeysOfAKycwatchGivenItsSecret(t *testing.T) {
	for _, env := range []string{"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"} {
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	startRun(t, config{addr: "127.0.0.1:0", db: db, logPath: filepath.Join(dir, "k.log"), headless: true, noTunnel: true,
		tunnelWait: time.Second, maxBody: 1 << 20, keys: decode.Keys{VeriffSecrets: []string{"my-shared-secret"}}})
	var out, errOut bytes.Buffer
	code := sandboxCmd([]string{"keys", "--db", db}, &out, &errOut)
	if code != 2 || strings.Contains(out.String(), "VERIFF_SHARED_SECRET=") {
		t.Errorf("exit %d, printed a secret the sandbox does not use:\n%s", code, out.String())
	}
	if msg := strings.TrimSpace(errOut.String()); strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "--secret") || !strings.Contains(msg, "VERIFF_SHARED_SECRET") {
		t.Errorf("want one line naming --secret and VERIFF_SHARED_SECRET: %q", msg)
	}
	// Given the same value, it prints it.
	t.Setenv("VERIFF_SHARED_SECRET", "my-shared-secret")
	out.Reset()
	errOut.Reset()
	if code := sandboxCmd([]string{"keys", "--db", db}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "VERIFF_SHARED_SECRET=my-shared-secret\n") {
		t.Errorf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	os.Unsetenv("VERIFF_SHARED_SECRET")

	db2 := filepath.Join(dir, "sb.db")
	startRun(t, config{addr: "127.0.0.1:0", db: db2, logPath: filepath.Join(dir, "k2.log"), headless: true, noTunnel: true,
		tunnelWait: time.Second, maxBody: 1 << 20, sandboxSecret: "sb-secret", sandboxKey: "3f1c2e7a-0000-4000-8000-000000000001"})
	out.Reset()
	errOut.Reset()
	if code := sandboxCmd([]string{"keys", "--db", db2}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--sandbox-secret") || out.Len() > 0 {
		t.Errorf("--sandbox-secret: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}

// storeWith makes a database at path holding one event for each session id.
func storeWith(t *testing.T, path string, ids ...string) {
	t.Helper()
	store, err := sessions.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rc := sessions.NewReceiver(store, decode.Keys{}, nil)
	for _, id := range ids {
		body := []byte(`{"id":"` + id + `","attemptId":"a","code":7001,"action":"started","feature":"selfid"}`)
		if _, err := rc.Receive(context.Background(), sessions.Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events",
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body, BodySize: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExportSessionByShortID: --session takes the short id the UI shows
// (a unique prefix); an ambiguous one lists the candidates, an unknown one
// says so and exits 1.
func TestExportSessionByShortID(t *testing.T) {
	t.Setenv("KYCWATCH_DB", "")
	os.Unsetenv("KYCWATCH_DB")
	db := filepath.Join(t.TempDir(), "k.db")
	storeWith(t, db, "f04bdb47-d3be-4b28-b028-a652feb060b5", "f04bdb47-d3be-4b28-b028-a652feb060b5", "a1111111-0000-4000-8000-000000000001", "a1222222-0000-4000-8000-000000000002")
	var out, errOut bytes.Buffer
	if code := exportCmd([]string{"--db", db, "--session", "f04bdb47"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "2 deliveries") {
		t.Errorf("prefix: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	code := exportCmd([]string{"--db", db, "--session", "a1"}, &out, &errOut)
	if msg := errOut.String(); code != 2 || !strings.Contains(msg, "a1111111-0000-4000-8000-000000000001") || !strings.Contains(msg, "a1222222-0000-4000-8000-000000000002") || out.Len() > 0 {
		t.Errorf("ambiguous: exit %d: %s", code, msg)
	}
	errOut.Reset()
	if code := exportCmd([]string{"--db", db, "--session", "ffff"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), `no session "ffff"`) || out.Len() > 0 {
		t.Errorf("unknown: exit %d: %s", code, errOut.String())
	}
}

// TestOneDeliveryMeetsEveryExpectationItMatches: an approved decision for
// S meets decision=approved@S, session=S and kind=decision at once.
func TestOneDeliveryMeetsEveryExpectationItMatches(t *testing.T) {
	var want []sessions.Expectation
	for _, x := range []string{"decision=approved@S", "session=S", "kind=decision", "risk=LOW"} {
		e, err := sessions.ParseExpectation(x)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	exp := newExpectations(want, func(string, ...any) {})
	approved := sessions.Record{Status: 200, Delivery: decode.Delivery{Kind: decode.KindDecision, SessionID: "S", State: "approved", Code: 9001}}
	if exp.match(approved) {
		t.Fatal("met before the risk assessment")
	}
	if left := exp.missing(); left != "risk=LOW" {
		t.Fatalf("missing %q after the approved decision, want risk=LOW", left)
	}
	risk := sessions.Record{Status: 200, Delivery: decode.Delivery{Kind: decode.KindRiskAssessment, SessionID: "kw-1", State: "ASSESSED", Risk: &verifime.RiskAssessment{RiskLevel: "LOW"}}}
	if !exp.match(risk) {
		t.Fatalf("not met; missing %q", exp.missing())
	}
}

// TestCommandTyposGetOneLine: a mistyped flag of check, a mistyped
// subcommand and an extra argument to sandbox keys each get one line.
func TestCommandTyposGetOneLine(t *testing.T) {
	t.Setenv("KYCWATCH_DB", "")
	os.Unsetenv("KYCWATCH_DB")
	oneLine := func(name string, code int, msg string, wants ...string) {
		t.Helper()
		msg = strings.TrimSpace(msg)
		if code != 2 || strings.Count(msg, "\n") > 0 {
			t.Errorf("%s: exit %d, want 2 and one line:\n%s", name, code, msg)
		}
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", name, msg, w)
			}
		}
	}
	var out, errOut bytes.Buffer
	oneLine("check --jsn", check([]string{"http://x", "--jsn"}, &out, &errOut), errOut.String(), "--jsn", "did you mean --json?")
	_, err := parseFlags([]string{"exprt"}, io.Discard)
	oneLine("exprt", 2, err.Error(), `"exprt"`, "did you mean kycwatch export?")
	errOut.Reset()
	oneLine("sandbox keys extra", sandboxCmd([]string{"keys", "--db", filepath.Join(t.TempDir(), "k.db"), "extra"}, &out, &errOut), errOut.String(), `"extra"`)
	if out.Len() > 0 {
		t.Errorf("printed %s", out.String())
	}
}

// TestMoreBadValuesRefused: values that would fail later, or silently do
// nothing, are refused at once, in one line naming the flag with two
// dashes.
func TestMoreBadValuesRefused(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("KYCWATCH_DB", "")
	os.Unsetenv("KYCWATCH_DB")
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	db := filepath.Join(dir, "k.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--history", "0"}, "--history 0: want a number of deliveries, at least 1"},
		{[]string{"--export-dir", file}, "--export-dir " + file + ": not a folder"},
		{[]string{"--db", ""}, "--db is empty: is KYCWATCH_DB set?"},
		{[]string{"--max-body", "0"}, `--max-body "0": want a size such as 10MiB or 65536`},
		{[]string{"--history", "x"}, `--history "x": want a whole number`},
		{[]string{"--timeout", "soon"}, `--timeout "soon": want a duration such as 10s or 5m`},
		{[]string{"--headless=maybe"}, `--headless "maybe": want true or false`},
		{[]string{"--secret"}, "--secret needs a value"},
	} {
		_, err := parseFlags(append([]string{"--db", db}, tc.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), " -"+strings.TrimLeft(tc.args[0], "-")) {
			t.Errorf("%q: err %v, want %q", tc.args, err, tc.want)
		}
	}
	t.Setenv("KYCWATCH_DB", "")
	if _, err := parseFlags(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "KYCWATCH_DB is set but empty") {
		t.Errorf("KYCWATCH_DB empty: %v", err)
	}
	os.Unsetenv("KYCWATCH_DB")
	storeWith(t, db, "s1")
	for _, tc := range []struct {
		name string
		run  func(stdout, stderr io.Writer) int
		want string
	}{
		{"send --timeout 0s", func(o, e io.Writer) int {
			return send([]string{"event", "--to", "http://127.0.0.1:18499/", "--secret", "s", "--timeout", "0s"}, o, e)
		}, "--timeout must be positive"},
		{"send --timeout -1s", func(o, e io.Writer) int {
			return send([]string{"event", "--to", "http://127.0.0.1:18499/", "--secret", "s", "--timeout", "-1s"}, o, e)
		}, "--timeout must be positive"},
		{"check --limit 0", func(o, e io.Writer) int {
			return check([]string{"http://127.0.0.1:18499/", "--secret", "s", "--limit", "0"}, o, e)
		}, "--limit must be positive"},
		{"export --since -1h", func(o, e io.Writer) int { return exportCmd([]string{"--db", db, "--since", "-1h"}, o, e) }, `--since "-1h"`},
		{"export --db ''", func(o, e io.Writer) int { return exportCmd([]string{"--db", ""}, o, e) }, "--db is empty"},
		{"sandbox keys --db ''", func(o, e io.Writer) int { return sandboxCmd([]string{"keys", "--db", ""}, o, e) }, "--db is empty"},
	} {
		var out, errOut bytes.Buffer
		if code := tc.run(&out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) || out.Len() > 0 {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s%s", tc.name, code, tc.want, errOut.String(), out.String())
		}
	}
}

// TestSimulatorDelaysZeroMeansAtOnce: --sim-start-after 0s (and the other
// delays) mean immediately, not the simulator's defaults; left out, the
// defaults apply.
func TestSimulatorDelaysZeroMeansAtOnce(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	db := filepath.Join(t.TempDir(), "k.db")
	c, err := parseFlags([]string{"--db", db, "--sim-start-after", "0s", "--sim-submit-after", "0", "--sim-assess-after", "0s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]time.Duration{"start": c.simStart, "submit": c.simSubmit, "assess": c.simAssess} {
		if w := simWait(d); w != simulator.Immediately {
			t.Errorf("%s: the simulator gets %v, want simulator.Immediately (its 0 is its default)", name, w)
		}
	}

	// Played: both end-user steps come at once (the defaults would take
	// 2 s and 4 s more).
	steps := make(chan struct{}, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		steps <- struct{}{}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	sim := simulator.New(ctx, simulator.Config{Secret: "s", APIKey: sessions.NewUUID(), Target: func() string { return srv.URL },
		StartAfter: simWait(c.simStart), SubmitAfter: simWait(c.simSubmit)})
	defer func() { cancel(); sim.Wait() }()
	if _, err := sim.CreateSession(ctx, veriff.SessionRequest{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(1500 * time.Millisecond)
	for range 2 {
		select {
		case <-steps:
		case <-deadline:
			t.Fatal("the end-user's steps did not come at once with --sim-*-after 0")
		}
	}

	c, _ = parseFlags([]string{"--db", db}, io.Discard)
	if c.simStart != 2*time.Second || c.simSubmit != 4*time.Second || c.simAssess != 8*time.Second {
		t.Errorf("defaults %v %v %v", c.simStart, c.simSubmit, c.simAssess)
	}
}

// TestSendRefusesAnotherKycwatchOnTheOldPort: kycwatch A ran on pa/k.db
// at :P and stopped; kycwatch B (pb/k.db) took :P since. send --db
// pa/k.db must not post into B: it says, in one line, that another
// kycwatch answers there.
func TestSendRefusesAnotherKycwatchOnTheOldPort(t *testing.T) {
	for _, env := range []string{"VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "KYCWATCH_DB"} {
		t.Setenv(env, "")
		os.Unsetenv(env)
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	dir := t.TempDir()
	cfg := func(name string) config {
		os.MkdirAll(filepath.Join(dir, name), 0o700)
		return config{addr: addr, db: filepath.Join(dir, name, "k.db"), logPath: filepath.Join(dir, name, "k.log"), headless: true, noTunnel: true,
			tunnelWait: time.Second, maxBody: 1 << 20, forwardTimeout: time.Second}
	}
	a := cfg("pa")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stderrA := newSyncBuffer()
	go func() { done <- run(ctx, a, deps{stdout: io.Discard, stderr: stderrA}) }()
	waitUntil(t, func() bool { return strings.Contains(stderrA.String(), "listening on http://"+addr) })
	var out, errOut bytes.Buffer
	if code := send([]string{"event", "--db", a.db}, &out, &errOut); code != 0 {
		t.Fatalf("send to A while it runs: exit %d\n%s", code, errOut.String())
	}
	cancel()
	<-done
	b := cfg("pb")
	local := startRun(t, b)
	if local != "http://"+addr {
		t.Fatalf("B listens on %s, not A's %s", local, addr)
	}
	st, _ := sessions.Open(b.db)
	before := st.Last()
	st.Close()
	out.Reset()
	errOut.Reset()
	code := send([]string{"event", "--db", a.db}, &out, &errOut)
	msg := strings.TrimSpace(errOut.String())
	if code != 1 || !strings.Contains(msg, "another kycwatch") || strings.Count(msg, "\n") > 0 {
		t.Errorf("exit %d, want 1 and one line saying another kycwatch answers:\n%s%s", code, msg, out.String())
	}
	st, _ = sessions.Open(b.db)
	defer st.Close()
	if st.Last() != before {
		t.Errorf("send posted into B")
	}
}

type failingTunnel struct{}

func (failingTunnel) Open(context.Context, func(listener.TunnelStatus)) (listener.Endpoint, error) {
	return nil, &listener.TunnelError{Reason: "no public URL: cannot reach ngrok (no such host)", Hint: "check the network",
		Err: errors.New("diagnose tcp: lookup connect.ngrok-agent.com: no such host")}
}

// TestHeadlessStderrHasNoRawLogRecords: headless stderr carries
// kycwatch's own one-line messages, not slog records (time=… level=…).
func TestHeadlessStderrHasNoRawLogRecords(t *testing.T) {
	dir := t.TempDir()
	c := config{addr: "127.0.0.1:0", db: filepath.Join(dir, "k.db"), logPath: filepath.Join(dir, "k.log"), headless: true,
		authtoken: "x", tokenFrom: "--authtoken", tunnelWait: time.Second, maxBody: 1 << 20, forwardTimeout: time.Second}
	stderr := newSyncBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, c, deps{stdout: io.Discard, stderr: stderr, tunnel: func(config, *slog.Logger) listener.Tunnel { return failingTunnel{} }})
	}()
	waitUntil(t, func() bool { return strings.Contains(stderr.String(), "cannot reach ngrok") })
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(l, "kycwatch: ") {
			t.Errorf("not a kycwatch line: %q", l)
		}
	}
	if n := strings.Count(stderr.String(), "cannot reach ngrok"); n != 1 {
		t.Errorf("the tunnel's failure said %d times:\n%s", n, stderr.String())
	}
}

// TestReadmeSaysWhatHeadlessPrints: stdout has a line for every request
// kycwatch stores, the sandbox's GET, PATCH and DELETE calls included;
// the README and --help must not say "every POST".
func TestReadmeSaysWhatHeadlessPrints(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Join(strings.Fields(string(b)), " ")
	if strings.Contains(readme, "for every POST answered") || !strings.Contains(readme, "`PATCH` and `DELETE`") {
		t.Error("README: headless stdout is said to be POSTs only")
	}
}

func TestRecordLine(t *testing.T) {
	for in, want := range map[string]string{
		`time=2026-12-04T10:00:00Z level=WARN msg="sandbox webhook" err="Post \"http://x\": connection refused"` + "\n": "kycwatch: sandbox webhook: Post \"http://x\": connection refused\n",
		`time=2026-12-04T10:00:00Z level=ERROR msg=prune err=busy n=3` + "\n":                                           "kycwatch: prune: busy (n 3)\n",
		`time=2026-12-04T10:00:00Z level=WARN msg="tunnel closed" err=EOF` + "\n":                                       "",
	} {
		if got := recordLine(in); got != want {
			t.Errorf("recordLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNonUUIDAPIKey: Veriff's API keys are UUIDs, and the sandbox refuses
// any other with 1802. An --api-key or VERIFF_API_KEY that is not one is
// still what webhooks are checked against, but the sandbox keeps a key of
// its own rather than take it; a --sandbox-key that is not one is refused
// at start, in one line, without printing it.
func TestNonUUIDAPIKey(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	os.Unsetenv("VERIFF_API_KEY")
	db := filepath.Join(t.TempDir(), "k.db")
	if _, err := parseFlags([]string{"--db", db, "--sandbox-key", "my-api-key-123"}, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "--sandbox-key is not a UUID") || strings.Contains(err.Error(), "my-api-key-123") {
		t.Errorf("--sandbox-key my-api-key-123: err %v", err)
	}
	for _, args := range [][]string{{"--api-key", "my-api-key-123"}, {"--api-key", "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"}} {
		c, err := parseFlags(append([]string{"--db", db}, args...), io.Discard)
		if err != nil || c.keys.VeriffAPIKey != args[1] {
			t.Fatalf("%v: %v, API key %q", args, err, c.keys.VeriffAPIKey)
		}
		store, err := sessions.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		key, _, from, err := sandboxKeys(context.Background(), store, c)
		store.Close()
		if uuid := sessions.IsUUID(args[1]); err != nil || !sessions.IsUUID(key) || (key == args[1]) != uuid || (from[0] == "VERIFF_API_KEY") != uuid {
			t.Errorf("%v: the sandbox's key %q from %q (%v)", args, key, from[0], err)
		}
	}
}

// TestTunnelLineHasNoNestedParentheses: headless says why there is no
// public URL and what to do in one line, without nesting the hint's own
// parentheses in another pair.
func TestTunnelLineHasNoNestedParentheses(t *testing.T) {
	var lines []string
	reportTunnel(config{}, func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }, listener.NoTokenStatus)
	if len(lines) != 1 || strings.Contains(lines[0], "(set NGROK_AUTHTOKEN (") || !strings.Contains(lines[0], "--no-tunnel") {
		t.Errorf("%q", lines)
	}
}

// TestEveryFlagKeepsItsName: the flags scripts and CI jobs pass are all
// still there, under their names (a refactor once renamed --keep and
// --answer), and --help shows no internal name.
func TestEveryFlagKeepsItsName(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	db := filepath.Join(t.TempDir(), "k.db")
	c, err := parseFlags([]string{"--db", db, "--keep", "30d", "--answer", "app", "--forward-to", "http://127.0.0.1:3000/hooks",
		"--forward-timeout", "5s", "--headless", "--expect", "decision=approved", "--timeout", "1m", "--history", "10",
		"--max-body", "1MiB", "--sandbox-key", "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f", "--mask-pii", "--no-tunnel"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.keep.MaxAge != 30*24*time.Hour || !c.answerApp || len(c.expect) != 1 || c.history != 10 || c.maxBody != 1<<20 {
		t.Errorf("parsed %+v", c)
	}
	var help bytes.Buffer
	parseFlags([]string{"--help"}, &help)
	for _, bad := range []string{"r.answer", "r.keep", "r.expects", "-r."} {
		if strings.Contains(help.String(), bad) {
			t.Errorf("--help says %q", bad)
		}
	}
}

// TestSendShowsAHostileStatusLineInert: the answer's status line is the
// other side's words too: its escape sequences never reach the terminal.
func TestSendShowsAHostileStatusLineInert(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				time.Sleep(20 * time.Millisecond)
				io.WriteString(c, "HTTP/1.1 200 OK\x1b]0;pwned\x07\x1b[2J\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			}()
		}
	}()
	var out, errOut bytes.Buffer
	send([]string{"event", "--to", "http://" + ln.Addr().String() + "/hooks", "--secret", "s"}, &out, &errOut)
	if strings.ContainsAny(out.String()+errOut.String(), "\x1b\x07") {
		t.Errorf("an escape sequence reached the terminal: %q", out.String())
	}
}
