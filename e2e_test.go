package main

// End-to-end tests: they build the kycwatch binary and drive it as a user
// would, headless through its NDJSON contract and the TUI through tmux.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kycwatch-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kycwatch")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func post(t *testing.T, url string, body []byte, h map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cleanEnv is the environment for a run: no credentials from the
// developer's shell, and no ngrok.yml from their home.
func cleanEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "VERIFF_SHARED_SECRET", "VERIFF_API_KEY", "VERIFF_API_URL", "VERIFIME_WEBHOOK_SECRET", "VERIFIME_ORG_CODE",
			"VERIFIME_API_URL", "NGROK_AUTHTOKEN", "KYCWATCH_DB":
			continue // unset, not empty: kycwatch refuses an empty one
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	return append(env, extra...)
}

// headlessRun starts the binary headless without a tunnel and returns its
// base URL and a channel of the NDJSON lines it prints.
func headlessRun(t *testing.T, db string, extra ...string) (string, <-chan map[string]any, *exec.Cmd) {
	t.Helper()
	r := startHeadless(t, cleanEnv(t), append([]string{"--no-tunnel", "--db", db}, extra...)...)
	return r.url, r.lines, r.cmd
}

type headlessProc struct {
	url    string
	lines  <-chan map[string]any // stdout, parsed
	stderr <-chan string         // every stderr line
	cmd    *exec.Cmd
}

func startHeadless(t *testing.T, env []string, args ...string) headlessProc {
	t.Helper()
	args = append([]string{"--headless", "--addr", freeAddr(t)}, args...)
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urlc := make(chan string, 1)
	errLines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
			errLines <- sc.Text()
		}
		close(errLines)
	}()
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"_bad_line": sc.Text()}
			}
			lines <- m
		}
		close(lines)
	}()
	select {
	case u := <-urlc:
		return headlessProc{u, lines, errLines, cmd}
	case <-time.After(15 * time.Second):
		t.Fatal("kycwatch did not say where it listens")
	}
	return headlessProc{}
}

func next(t *testing.T, lines <-chan map[string]any) map[string]any {
	t.Helper()
	select {
	case m, ok := <-lines:
		if !ok {
			t.Fatal("stdout closed")
		}
		if bad, ok := m["_bad_line"]; ok {
			t.Fatalf("stdout line is not JSON: %q", bad)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no NDJSON line")
	}
	return nil
}

func TestHeadlessNDJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	secret, apiKey := "e2e-secret", "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"
	url, lines, cmd := headlessRun(t, db, "--secret", "old-secret", "--secret", secret, "--api-key", apiKey)

	started := fixture(t, "veriff-event-7001-started.json")
	decision := fixture(t, "veriff-decision-approved.json")
	vm := fixture(t, "verifime-risk-assessed.json")
	sign := func(b []byte, s string) map[string]string {
		return map[string]string{"X-HMAC-SIGNATURE": decode.Sign(s, b), "X-AUTH-CLIENT": apiKey}
	}
	type want struct {
		status               int
		kind, state, sig, ak string
		code                 float64
		dup                  float64
	}
	steps := []struct {
		path string
		body []byte
		h    map[string]string
		want want
	}{
		{"/veriff/events", started, sign(started, secret), want{200, "event", "started", "valid", "match", 7001, 0}},
		{"/veriff/decisions", decision, sign(decision, "old-secret"), want{200, "decision", "approved", "valid", "match", 9001, 0}},
		{"/veriff/events", started, sign(started, secret), want{200, "event", "started", "valid", "match", 7001, 1}},
		{"/veriff/decisions", decision, sign(decision, "nope"), want{401, "decision", "approved", "invalid", "match", 9001, 2}},
		{"/veriff/events", started, map[string]string{"X-HMAC-SIGNATURE": decode.Sign(secret, started), "X-AUTH-CLIENT": "wrong"}, want{401, "event", "started", "valid", "mismatch", 7001, 1}},
		{"/veriff/events", []byte("{bad"), sign([]byte("{bad"), secret), want{400, "invalid", "", "valid", "match", 0, 0}},
		{"/verifime", vm, map[string]string{"X-VerifiMe-Signature": decode.Sign("vm-secret", vm)}, want{200, "risk_assessment", "assessed", "unchecked", "unchecked", 0, 0}},
	}
	for i, s := range steps {
		code := post(t, url+s.path, s.body, s.h)
		m := next(t, lines)
		w := s.want
		if code != w.status || m["status"] != float64(w.status) || m["seq"] != float64(i+1) || m["kind"] != w.kind ||
			m["state"] != w.state || m["signature"] != w.sig || m["api_key"] != w.ak || m["code"] != w.code ||
			m["duplicate_of"] != w.dup || m["path"] != s.path || m["method"] != "POST" {
			t.Fatalf("step %d: answered %d, line %v", i+1, code, m)
		}
		if _, err := time.Parse(time.RFC3339, m["received_at"].(string)); err != nil {
			t.Fatalf("received_at: %v", err)
		}
	}

	// Restart on the same database: seq goes on, duplicates still found.
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	url, lines, _ = headlessRun(t, db, "--secret", secret)
	post(t, url+"/veriff/events", started, sign(started, secret))
	if m := next(t, lines); m["seq"] != float64(len(steps)+1) || m["duplicate_of"] != float64(1) || m["provider"] != "veriff" {
		t.Fatalf("after restart: %v", m)
	}
	// GET is not a delivery and prints nothing.
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case m := <-lines:
		t.Fatalf("GET printed %v", m)
	case <-time.After(300 * time.Millisecond):
	}
}

// tmuxRun is the built binary running in a private tmux server: keys go in
// with send-keys, the screen comes out with capture-pane.
type tmuxRun struct {
	t       *testing.T
	sock    string
	session string
}

// startTmux runs cmdline in a w×h tmux pane. It skips without tmux, except
// in CI, where .ci/run installs it.
func startTmux(t *testing.T, name string, w, h int, cmdline string) *tmuxRun {
	t.Helper()
	r := &tmuxRun{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock"), session: name}
	r.tmux("new-session", "-d", "-s", name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), cmdline)
	t.Cleanup(func() { r.tmux("kill-server") })
	return r
}

func (r *tmuxRun) tmux(args ...string) string {
	r.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", r.sock}, args...)...).CombinedOutput()
	if err != nil && args[0] != "kill-server" {
		r.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (r *tmuxRun) keys(k string) { r.tmux("send-keys", "-t", r.session, k) }

func (r *tmuxRun) capture() string { return r.tmux("capture-pane", "-p", "-t", r.session) }

// waitFor waits until one screen shows what and all of also, and returns
// that screen. Ask for text no random value on screen (a generated key, an
// id) can contain by chance.
func (r *tmuxRun) waitFor(what string, also ...string) string {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := r.capture()
		if containsAll(s, append([]string{what}, also...)) {
			return s
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("screen never showed %q:\n%s", append([]string{what}, also...), s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestTUIInTmux runs the real binary in a tmux pane, sends a signed
// delivery with curl-like HTTP, reads the screen, and quits with q.
func TestTUIInTmux(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	session := "kycwatch-e2e"
	cmdline := fmt.Sprintf("env -u NGROK_AUTHTOKEN HOME=%s TERM=xterm-256color %s --addr %s --db %s --secret tmux-secret; echo EXITED $?; sleep 30",
		dir, bin, addr, filepath.Join(dir, "k.db"))
	tm := startTmux(t, session, 100, 30, cmdline)

	tm.waitFor("Waiting for deliveries")

	body := fixture(t, "veriff-event-7002-submitted.json")
	if code := post(t, "http://"+addr+"/veriff/events", body, map[string]string{"X-HMAC-SIGNATURE": decode.Sign("tmux-secret", body)}); code != 200 {
		t.Fatalf("answered %d", code)
	}
	tm.waitFor("f04bdb47", "✓ event    7002 submitted", "✓ signature valid")
	// A forged delivery shows ✗ and its reason.
	forged := fixture(t, "veriff-decision-declined.json")
	post(t, "http://"+addr+"/veriff/decisions", forged, map[string]string{"X-HMAC-SIGNATURE": decode.Sign("wrong", forged)})
	tm.waitFor("no configured secret matches", "✗ signature invalid", "/veriff/decisions → 401")
	tm.keys("q")
	tm.waitFor("EXITED 0")
}

// TestHeadlessBogusToken runs the real ngrok agent with a made-up token:
// here there is no network, elsewhere ngrok refuses the token. Either way
// stderr says why within the timeout, never shows the token or an https://
// URL, and the local listener answers.
func TestHeadlessBogusToken(t *testing.T) {
	const token = "bogus-e2e-token-42"
	start := time.Now()
	p := startHeadless(t, cleanEnv(t, "NGROK_AUTHTOKEN="+token), "--db", filepath.Join(t.TempDir(), "k.db"), "--tunnel-timeout", "5s")
	var seen []string
	deadline := time.After(10 * time.Second)
	for reason := ""; reason == ""; {
		select {
		case l := <-p.stderr:
			seen = append(seen, l)
			if strings.HasPrefix(l, "kycwatch: no public URL") {
				reason = l
			}
		case <-deadline:
			t.Fatalf("no reason on stderr after 10s:\n%s", strings.Join(seen, "\n"))
		}
	}
	t.Logf("after %s:\n%s", time.Since(start).Round(time.Millisecond), strings.Join(seen, "\n"))
	for _, l := range seen {
		if strings.Contains(l, token) || strings.Contains(l, "https://") {
			t.Errorf("stderr line shows the token or a public URL: %q", l)
		}
	}
	if !strings.Contains(strings.Join(seen, "\n"), "tunnel: connecting to ngrok (token from NGROK_AUTHTOKEN") {
		t.Errorf("no connecting line:\n%s", strings.Join(seen, "\n"))
	}
	body := fixture(t, "veriff-event-7001-started.json")
	if code := post(t, p.url+"/veriff/events", body, nil); code != 200 {
		t.Fatalf("local listener answered %d", code)
	}
	if m := next(t, p.lines); m["state"] != "started" {
		t.Fatalf("line %v", m)
	}
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("kycwatch did not stop on interrupt")
	}
}

// TestTUIBogusTokenInTmux: the header says why there is no public URL, the
// local listener answers, c copies through OSC 52 (tmux keeps it as a
// buffer), p explains the missing QR code, and nothing is written to the
// terminal outside the UI.
func TestTUIBogusTokenInTmux(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	session := "kycwatch-bogus"
	cmdline := fmt.Sprintf("env NGROK_AUTHTOKEN=bogus-tmux-token HOME=%s TERM=xterm-256color %s --addr %s --db %s --tunnel-timeout 5s; echo EXITED $?; sleep 30",
		dir, bin, addr, filepath.Join(dir, "k.db"))
	tm := startTmux(t, session, 80, 24, cmdline)
	tm.tmux("set-option", "-g", "set-clipboard", "on")

	s := tm.waitFor("no public URL:")
	if strings.Contains(s, "bogus-tmux-token") {
		t.Fatalf("the token is on screen:\n%s", s)
	}
	t.Logf("screen:\n%s", s)

	body := fixture(t, "veriff-event-7001-started.json")
	if code := post(t, "http://"+addr+"/veriff/events", body, nil); code != 200 {
		t.Fatalf("local listener answered %d", code)
	}
	tm.waitFor("started")

	tm.keys("u")
	tm.keys("c")
	tm.waitFor("copied decisions URL")
	want := "http://" + addr + "/veriff/decisions"
	deadline := time.Now().Add(5 * time.Second)
	for got := ""; got != want; {
		got = strings.TrimSpace(string(must(exec.Command("tmux", "-S", tm.sock, "show-buffer").CombinedOutput())))
		if time.Now().After(deadline) {
			t.Fatalf("clipboard (tmux buffer) = %q, want %q", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}

	tm.keys("p")
	tm.waitFor("No public URL to show")
	tm.keys("Escape")
	tm.waitFor("Sessions 1") // apart, or ESC q reads as alt+q
	tm.keys("q")
	s = tm.waitFor("EXITED 0")
	// After the alternate screen is gone, only our echo is left: any stray
	// write (a log line, a library warning) would show here.
	if rest := strings.TrimSpace(strings.Replace(s, "EXITED 0", "", 1)); rest != "" {
		t.Fatalf("written to the terminal outside the UI:\n%s", rest)
	}
}

func must(b []byte, _ error) []byte { return b }

// TestSimulatorInTmux is the demo a user gives: kycwatch with no
// credentials, n, enter, and the simulated session goes started →
// submitted over real HTTP with real signatures; a approves it (✓); ! asks
// which forgery, and h sends a mismatched HMAC (✗).
func TestSimulatorInTmux(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	session := "kycwatch-sim"
	cmdline := fmt.Sprintf("env -u NGROK_AUTHTOKEN -u VERIFF_SHARED_SECRET -u VERIFF_API_KEY HOME=%s TERM=xterm-256color %s --addr %s --db %s --sim-start-after 500ms --sim-submit-after 1s; echo EXITED $?; sleep 30",
		dir, bin, freeAddr(t), filepath.Join(dir, "k.db"))
	tm := startTmux(t, session, 120, 34, cmdline)

	tm.waitFor("Waiting for deliveries")
	tm.keys("n")
	tm.waitFor("New test session · simulator")
	tm.keys("Enter")
	// One generated secret, the sandbox's: the header (told by an event,
	// a moment after the session is created) and the sandbox's row show the
	// same one (masked alike).
	s := tm.waitFor("created simulated session", "(generated)")
	gen := regexp.MustCompile(`secret (sim-…[0-9a-f]{4}) \(generated\)`).FindStringSubmatch(s)
	if gen == nil || !regexp.MustCompile(`Sandbox shared secret +`+regexp.QuoteMeta(gen[1])).MatchString(s) {
		t.Errorf("the generated secret is not the sandbox's:\n%s", s)
	}
	tm.waitFor("7001 started")
	s = tm.waitFor("7002 submitted")
	if strings.Count(s, "✓ event") != 2 {
		t.Fatalf("events not verified:\n%s", s)
	}
	tm.waitFor("decision pending")
	tm.keys("a")
	tm.waitFor("✓ decision 9001 approved", "Verdict    ✓ signature valid")
	tm.keys("!")
	tm.waitFor("Forge a delivery: h bad HMAC")
	tm.keys("h")
	s = tm.waitFor("kycwatch answered 401", "✗ signature invalid")
	t.Logf("screen:\n%s", s)
	tm.keys("q")
	tm.waitFor("EXITED 0")
}

// TestVerifiMeInTmux: with no configuration, i invites through the
// simulator; the tracking statuses arrive (phase 1), the gap is shown, then
// the signed risk assessment (phase 2), and a key picks another level.
func TestVerifiMeInTmux(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	session := "kycwatch-vm"
	cmdline := fmt.Sprintf("env -u NGROK_AUTHTOKEN -u VERIFIME_ORG_CODE -u VERIFIME_WEBHOOK_SECRET HOME=%s TERM=xterm-256color %s --addr %s --db %s --no-tunnel --sim-assess-after 3s; echo EXITED $?; sleep 30",
		dir, bin, freeAddr(t), filepath.Join(dir, "k.db"))
	tm := startTmux(t, session, 120, 34, cmdline)
	tm.waitFor("Waiting for deliveries")
	tm.keys("i")
	tm.waitFor("New VerifiMe session · simulator")
	tm.keys("Enter")
	tm.waitFor("created simulated VerifiMe session")
	// Follow mode selects the first tracking change: the invite URL stays.
	tm.waitFor("tracking Inactive", "Invite URL http://", "c copies · p QR code")
	tm.waitFor("tracking Active")
	tm.waitFor("phase 1 done (data entry) · risk assessment pending", "Completed data entry done")
	tm.waitFor("preliminary not final")
	tm.waitFor("assessed LOW", "✓ risk")
	tm.keys("4")
	s := tm.waitFor("assessed EXTREME")
	t.Logf("screen:\n%s", s)
	tm.keys("q")
	tm.waitFor("EXITED 0")
}

// TestSendAndCheck: kycwatch send fires a signed webhook at a running
// kycwatch (headless), and kycwatch check passes kycwatch itself, case by
// case; with the wrong secret it fails and says why.
func TestSendAndCheck(t *testing.T) {
	bin := binary(t)
	const secret, key = "e2e-check-secret", "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"
	p := startHeadless(t, cleanEnv(t), "--no-tunnel", "--db", filepath.Join(t.TempDir(), "k.db"), "--secret", secret, "--api-key", key)
	out, err := exec.Command(bin, "send", "decision", "--status", "declined", "--secret", secret, "--api-key", key,
		"--to", p.url+"/veriff/decisions", "--session", "f04bdb47-d3be-4b28-b028-a652feb060b5").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "← 200 OK") {
		t.Fatalf("send: %v\n%s", err, out)
	}
	if m := next(t, p.lines); m["kind"] != "decision" || m["state"] != "declined" || m["signature"] != "valid" ||
		m["session_id"] != "f04bdb47-d3be-4b28-b028-a652feb060b5" {
		t.Fatalf("line %v", m)
	}
	out, err = exec.Command(bin, "check", p.url+"/veriff", "--secret", secret, "--api-key", key).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "15 of 15 cases passed") {
		t.Fatalf("check kycwatch: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "check", p.url+"/veriff", "--secret", "not-the-secret", "--api-key", key, "--json")
	out, err = cmd.Output()
	var report struct {
		Pass    bool
		Results []struct {
			Case string
			Pass bool
			Why  string
		}
	}
	if json.Unmarshal(out, &report) != nil || report.Pass || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("check with a wrong secret: %v\n%s", err, out)
	}
	if !strings.Contains(report.Results[0].Why, "answered 401 to a correctly signed delivery") {
		t.Errorf("why %q", report.Results[0].Why)
	}
}

// TestSandboxHeadless is a backend written for Veriff pointed at kycwatch:
// only the base URL changes. Its calls and the sandbox's webhooks (sent to
// kycwatch itself by default) come out as NDJSON.
func TestSandboxHeadless(t *testing.T) {
	const key, secret = "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f", "sandbox-e2e-secret"
	db := filepath.Join(t.TempDir(), "k.db")
	start := func() headlessProc {
		return startHeadless(t, cleanEnv(t), "--no-tunnel", "--db", db,
			"--sandbox-key", key, "--sandbox-secret", secret, "--secret", secret)
	}
	p := start()
	api := func(method, path, body, signed string) (int, map[string]any) {
		req, _ := http.NewRequest(method, p.url+"/sandbox/v1"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-AUTH-CLIENT", key)
		req.Header.Set("X-HMAC-SIGNATURE", decode.Sign(secret, []byte(signed)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	body := `{"verification":{"vendorData":"backend-1"}}`
	status, out := api("POST", "/sessions", body, body)
	if status != 201 {
		t.Fatalf("create %d %v", status, out)
	}
	id := out["verification"].(map[string]any)["id"].(string)
	if u := out["verification"].(map[string]any)["url"].(string); u != p.url+"/sandbox/flow/"+id {
		t.Errorf("session URL %q", u)
	}
	if m := next(t, p.lines); m["kind"] != "api" || m["status"] != float64(201) || m["session_id"] != id || m["signature"] != "valid" {
		t.Fatalf("line %v", m)
	}
	patch := `{"verification":{"status":"submitted"}}`
	if status, out = api("PATCH", "/sessions/"+id, patch, patch); status != 200 {
		t.Fatalf("patch %d %v", status, out)
	}
	ev, call := next(t, p.lines), next(t, p.lines)
	if ev["kind"] != "event" || ev["code"] != float64(7002) || ev["signature"] != "valid" || ev["session_id"] != id || call["kind"] != "api" {
		t.Fatalf("lines %v / %v", ev, call)
	}
	// kycwatch restarts: the submitted session is still there, and is
	// decided from its end-user page.
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	p = start()
	if status, out = api("GET", "/sessions/"+id+"/attempts", "", id); status != 200 {
		t.Fatalf("after a restart, GET attempts %d %v", status, out)
	}
	if m := next(t, p.lines); m["kind"] != "api" || m["session_id"] != id {
		t.Fatalf("line %v", m)
	}
	resp, err := http.PostForm(p.url+"/sandbox/flow/"+id+"/decide", map[string][]string{"status": {"approved"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("decide %v %v", resp, err)
	}
	resp.Body.Close()
	if d := next(t, p.lines); d["kind"] != "decision" || d["state"] != "approved" || d["signature"] != "valid" {
		t.Fatalf("decision line %v", d)
	}
	if status, out = api("GET", "/sessions/"+id+"/decision", "", id); status != 200 || out["verification"].(map[string]any)["status"] != "approved" {
		t.Fatalf("GET decision %d %v", status, out)
	}
}

// TestSandboxWebhookRoutes: with --sandbox-webhook events=URL the events
// go to the user's backend, signed, and the decisions still come to
// kycwatch itself.
func TestSandboxWebhookRoutes(t *testing.T) {
	const key, secret = "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f", "sandbox-route-secret"
	backend := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		backend <- r
		bodies <- b
	}))
	defer srv.Close()
	p := startHeadless(t, cleanEnv(t), "--no-tunnel", "--db", filepath.Join(t.TempDir(), "k.db"),
		"--sandbox-key", key, "--sandbox-secret", secret, "--secret", secret, "--sandbox-webhook", "events="+srv.URL+"/hooks/veriff")
	for l := range p.stderr {
		if strings.Contains(l, "sandbox API") {
			if !strings.Contains(l, "webhooks events → "+strings.TrimPrefix(srv.URL, "http://")+"/hooks/veriff") || !strings.Contains(l, "API key "+key) {
				t.Errorf("stderr does not say where events go: %s", l)
			}
			break
		}
	}
	body := `{"verification":{"vendorData":"routed"}}`
	req, _ := http.NewRequest("POST", p.url+"/sandbox/v1/sessions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-AUTH-CLIENT", key)
	req.Header.Set("X-HMAC-SIGNATURE", decode.Sign(secret, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %v %v", resp, err)
	}
	var out struct{ Verification struct{ ID string } }
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	id := out.Verification.ID
	next(t, p.lines) // the API call
	if resp, err = http.PostForm(p.url+"/sandbox/flow/"+id+"/start", nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("start: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case r := <-backend:
		b := <-bodies
		if r.URL.Path != "/hooks/veriff" || r.Header.Get("X-HMAC-SIGNATURE") != decode.Sign(secret, b) || !strings.Contains(string(b), `"code":7001`) {
			t.Fatalf("backend got %s %s %s", r.URL.Path, r.Header, b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the backend got no event")
	}
	for m := next(t, p.lines); ; m = next(t, p.lines) {
		if m["kind"] == "event" {
			t.Fatalf("an event came to kycwatch too: %v", m)
		}
		if m["kind"] == "api" { // the page's start step
			break
		}
	}
	if resp, err = http.PostForm(p.url+"/sandbox/flow/"+id+"/decide", map[string][]string{"status": {"declined"}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("decide: %v %v", resp, err)
	}
	resp.Body.Close()
	m := next(t, p.lines)
	for ; m["kind"] == "api"; m = next(t, p.lines) {
	}
	if m["kind"] != "decision" || m["state"] != "declined" || m["signature"] != "valid" {
		t.Fatalf("decision line %v", m)
	}
}

// TestExpectInCI: --expect ends a headless run with 0 when the delivery
// arrives, and with 1 at --timeout when it does not.
func TestExpectInCI(t *testing.T) {
	bin := binary(t)
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--headless", "--no-tunnel", "--addr", addr, "--db", filepath.Join(t.TempDir(), "k.db"),
		"--secret", "ci", "--expect", "event=submitted", "--expect", "decision=approved", "--timeout", "20s")
	cmd.Env = cleanEnv(t)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitListening(t, addr)
	sendTo := func(args ...string) {
		out, err := exec.Command(bin, append([]string{"send"}, append(args, "--secret", "ci", "--to", "http://"+addr+"/veriff/x")...)...).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "401") {
			t.Fatalf("send: %v %s", err, out)
		}
	}
	sendTo("decision", "--status", "declined")
	exec.Command(bin, "send", "decision", "--secret", "wrong", "--to", "http://"+addr+"/veriff/x").Run() // forged: counts for nothing
	sendTo("event", "--status", "submitted")
	sendTo("decision", "--status", "approved")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "every expectation met") {
		t.Errorf("stderr:\n%s", stderr.String())
	}

	cmd = exec.Command(bin, "--headless", "--no-tunnel", "--addr", freeAddr(t), "--db", filepath.Join(t.TempDir(), "k.db"),
		"--expect", "decision=approved", "--timeout", "1s")
	cmd.Env = cleanEnv(t)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "timed out after 1s waiting for: decision=approved") {
		t.Fatalf("timeout run: %v\n%s", err, out)
	}
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestForwardAndExportThroughTheBinary: headless kycwatch forwards to an
// app; kycwatch export writes a curl script that sends the same bytes.
func TestForwardAndExportThroughTheBinary(t *testing.T) {
	bin := binary(t)
	var mu sync.Mutex
	var got [][]byte
	appSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
		if r.Header.Get("X-Kycwatch-Verified") != "valid" {
			w.WriteHeader(400)
		}
	}))
	defer appSrv.Close()
	db := filepath.Join(t.TempDir(), "k.db")
	p := startHeadless(t, cleanEnv(t), "--no-tunnel", "--db", db, "--secret", "fw", "--forward-to", appSrv.URL+"/app")
	body := fixture(t, "veriff-event-7002-submitted.json")
	if code := post(t, p.url+"/veriff/events", body, map[string]string{"X-HMAC-SIGNATURE": decode.Sign("fw", body)}); code != 200 {
		t.Fatalf("answered %d", code)
	}
	next(t, p.lines)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the app got nothing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if string(got[0]) != string(body) {
		t.Fatalf("forwarded body changed")
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	out, err := exec.Command(bin, "export", "--db", db, "--format", "curl").Output()
	if err != nil || !strings.Contains(string(out), "curl -sS") {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	script := filepath.Join(t.TempDir(), "d.sh")
	os.WriteFile(script, out, 0o600)
	run := exec.Command("sh", script)
	run.Env = append(os.Environ(), "TARGET="+appSrv.URL)
	if res, err := run.CombinedOutput(); err != nil || strings.TrimSpace(string(res)) != "#1 400" { // no verdict header from curl: the app says 400
		t.Fatalf("script: %v %s", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || string(got[1]) != string(body) {
		t.Fatalf("the script's bytes differ")
	}
}

// TestFormMistakeInTmux: in the real binary, n with an endUserId that is
// not a UUID keeps the form and what was typed, with the error beside the
// field; fixed, enter creates the session.
func TestFormMistakeInTmux(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	cmdline := fmt.Sprintf("env -u NGROK_AUTHTOKEN -u VERIFF_SHARED_SECRET -u VERIFF_API_KEY HOME=%s TERM=xterm-256color %s --addr %s --db %s --no-tunnel; echo EXITED $?; sleep 30",
		dir, bin, freeAddr(t), filepath.Join(dir, "k.db"))
	tm := startTmux(t, "kycwatch-form", 80, 24, cmdline)
	tm.waitFor("Waiting for deliveries")
	tm.keys("n")
	tm.waitFor("New test session · simulator")
	for _, k := range []string{"demo-e2e", "Tab", "Ada", "Tab", "Lovelace", "Tab", "not-a-uuid", "Enter"} {
		tm.keys(k)
	}
	tm.waitFor("✗ endUserId must be a UUID", "demo-e2e", "Lovelace", "not-a-uuid")
	for range len("not-a-uuid") {
		tm.keys("BSpace")
	}
	tm.keys("3f2a5c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b")
	tm.keys("Enter")
	tm.waitFor("created simulated session")
	tm.keys("q")
	tm.waitFor("EXITED 0")
}

// TestEmptySecretRefusedByTheBinary: --secret "$UNSET" stops kycwatch at
// once, exit 2, naming the variable to check; nothing listens.
func TestEmptySecretRefusedByTheBinary(t *testing.T) {
	bin := binary(t)
	cmd := exec.Command(bin, "--headless", "--no-tunnel", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "k.db"), "--secret", "")
	cmd.Env = cleanEnv(t)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || strings.TrimSpace(string(out)) != "kycwatch: --secret is empty: is VERIFF_SHARED_SECRET set? (leave the flag out for none)" {
		t.Fatalf("exit %v:\n%s", err, out)
	}
}
