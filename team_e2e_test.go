package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab"
	"github.com/kycwatch/kycwatch/sessions"
	"github.com/kycwatch/kycwatch/team"
)

// joinLine waits for the join line a sharing kycwatch prints on stderr.
func joinLine(t *testing.T, r headlessProc) string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-r.stderr:
			if !ok {
				t.Fatal("kycwatch ended before printing the join line")
			}
			if i := strings.Index(l, "kycwatch follow nats://"); i >= 0 {
				return strings.TrimPrefix(l[i:], "kycwatch follow ")
			}
		case <-deadline:
			t.Fatal("no join line on stderr")
		}
	}
}

// streamCount is how many messages the stream KYCWATCH holds.
func streamCount(t *testing.T, url string) uint64 {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err != nil {
		return 0 // not up yet
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, team.Stream)
	if err != nil {
		return 0
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.Msgs
}

func postSigned(t *testing.T, base, secret string, i int) {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"id":"team-%d","attemptId":"a","feature":"selfid","code":7001,"action":"started","vendorData":"v%d","endUserId":null}`, i, i))
	if code := post(t, base+"/veriff/events", body, map[string]string{"X-HMAC-SIGNATURE": decode.Sign(secret, body)}); code != 200 {
		t.Fatalf("delivery %d answered %d", i, code)
	}
}

// followLines runs kycwatch follow headless and returns its stdout lines,
// parsed, and its stderr.
func followLines(t *testing.T, args ...string) (<-chan map[string]any, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"follow"}, args...)...)
	cmd.Env = cleanEnv(t)
	errs := newSyncBuffer()
	cmd.Stderr = errs
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			json.Unmarshal(sc.Bytes(), &m)
			lines <- m
		}
		close(lines)
	}()
	return lines, cmd, errs
}

// --share, then kill -9, then a restart on the same database: the same
// join line (the token is kept), the stream kept (nothing republished
// twice), and a follower reads every delivery of both runs with its
// origin and stream sequence. A wrong token is refused with one line and
// exit status 1.
func TestShareSurvivesKillNine(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "share.db")
	natsAddr := freeAddr(t)
	args := []string{"--no-tunnel", "--db", db, "--secret", "team-secret", "--share", "--nats-listen", natsAddr, "--name", "alpha"}
	r := startHeadless(t, cleanEnv(t), args...)
	join := joinLine(t, r)
	if !strings.HasPrefix(join, "nats://") || !strings.HasSuffix(join, "@"+natsAddr) {
		t.Fatalf("join URL %q", join)
	}
	for i := range 20 {
		postSigned(t, r.url, "team-secret", i)
	}
	waitUntil(t, func() bool { return streamCount(t, join) == 20 })
	r.cmd.Process.Signal(syscall.SIGKILL)
	r.cmd.Wait()

	r = startHeadless(t, cleanEnv(t), args...)
	if again := joinLine(t, r); again != join {
		t.Fatalf("the join line changed after a restart: %q, then %q", team.Redact(join), team.Redact(again))
	}
	for i := 20; i < 25; i++ {
		postSigned(t, r.url, "team-secret", i)
	}
	waitUntil(t, func() bool { return streamCount(t, join) >= 25 })
	if n := streamCount(t, join); n != 25 {
		t.Fatalf("the stream holds %d after the restart, want 25", n)
	}

	lines, _, _ := followLines(t, join, "--headless")
	for i := range 25 {
		select {
		case m := <-lines:
			if m["origin"] != "alpha" || m["stream_seq"] != float64(i+1) || m["signature"] != "valid" || m["status"] != float64(200) {
				t.Fatalf("followed line %d: %v", i+1, m)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the follower printed %d lines of 25", i)
		}
	}

	_, port, _ := strings.Cut(natsAddr, ":")
	for _, bad := range []string{"nats://wrong@127.0.0.1:" + port, "nats://127.0.0.1:" + port} {
		_, cmd, errs := followLines(t, bad, "--headless")
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("%s: exit %v, want 1", bad, err)
		}
		out := strings.TrimSpace(errs.String())
		last := out[strings.LastIndex(out, "\n")+1:]
		if !strings.Contains(last, "NATS refused") || strings.Contains(out, "wrong") {
			t.Fatalf("%s: stderr %q", bad, out)
		}
	}
}

// The TUI with --share: the header's team line shows where it shares with
// the token masked; u reaches the join line and c copies it whole. A
// follower's TUI shows a delivery the sharing one received.
func TestShareAndFollowInTmux(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	addr, natsAddr := freeAddr(t), freeAddr(t)
	cmdline := fmt.Sprintf("env -u NGROK_AUTHTOKEN HOME=%s TERM=xterm-256color %s --addr %s --db %s --secret tmux-secret --no-tunnel --share --nats-listen %s --name desk; echo EXITED $?; sleep 30",
		dir, bin, addr, filepath.Join(dir, "k.db"), natsAddr)
	tm := startTmux(t, "kycwatch-share", 120, 40, cmdline)
	tm.tmux("set-option", "-g", "set-clipboard", "on")
	s := tm.waitFor("sharing on nats://"+natsAddr+" as desk", "Teammates run")
	for range 7 { // the four webhook fields, the sandbox's three, then the join line
		tm.keys("u")
	}
	tm.keys("c")
	tm.waitFor("copied join")
	var join string
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(join, "kycwatch follow nats://") {
		join = strings.TrimSpace(string(must(exec.Command("tmux", "-S", tm.sock, "show-buffer").CombinedOutput())))
		if time.Now().After(deadline) {
			t.Fatalf("clipboard (tmux buffer) = %q, want the join line", join)
		}
		time.Sleep(100 * time.Millisecond)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(join, "kycwatch follow nats://"), "@"+natsAddr)
	if len(token) != 48 || strings.Contains(s, token) || strings.Contains(tm.capture(), token) {
		t.Fatalf("join line %q: the token must be copied whole and never shown whole", team.Redact(join))
	}

	fdir := t.TempDir()
	fcmd := fmt.Sprintf("env -u NGROK_AUTHTOKEN HOME=%s TERM=xterm-256color %s follow nats://%s@%s --name tmux --db %s; echo EXITED $?; sleep 30",
		fdir, bin, token, natsAddr, filepath.Join(fdir, "f.db"))
	ft := startTmux(t, "kycwatch-follow", 120, 40, fcmd)
	ft.waitFor("following nats://***@"+natsAddr+" as tmux", "read-only")
	body := fixture(t, "veriff-event-7002-submitted.json")
	if code := post(t, "http://"+addr+"/veriff/events", body, map[string]string{"X-HMAC-SIGNATURE": decode.Sign("tmux-secret", body)}); code != 200 {
		t.Fatalf("answered %d", code)
	}
	ft.waitFor("f04bdb47", "✓ event    7002 submitted", "✓ signature valid")
	ft.keys("q")
	ft.waitFor("EXITED 0")
	tm.keys("q")
	tm.waitFor("EXITED 0")
}

// A follower's decision and lab keys say whose session it is.
func TestFollowerLabIsReadOnly(t *testing.T) {
	st, err := sessions.Open(filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	rec := sessions.Record{Incoming: sessions.Incoming{ReceivedAt: time.Now(), Method: "POST", Path: "/veriff/events", Header: map[string][]string{}},
		Status: 200, Delivery: decode.Delivery{Kind: decode.KindEvent, Provider: decode.Veriff, SessionID: "s-1"},
		Origin: "staging-a", OriginRef: "staging-a/x/1", StreamSeq: 1}
	if _, err := st.Append(ctx, rec); err != nil {
		t.Fatal(err)
	}
	l := readOnlyLab{Lab: &lab.Lab{}, store: st}
	if err := l.Decide(ctx, sessions.Target{SessionID: "s-1"}, "approved"); err == nil || !strings.Contains(err.Error(), "belongs to staging-a") {
		t.Fatalf("Decide: %v", err)
	}
	if _, err := l.Forge(ctx, sessions.Target{SessionID: "other"}, sessions.BadSignature); err == nil || !strings.Contains(err.Error(), "the instance that created it") {
		t.Fatalf("Forge: %v", err)
	}
	if err := l.Assess(ctx, sessions.Target{SessionID: "s-1"}, "LOW"); err == nil {
		t.Fatal("Assess on a follower")
	}
	if _, err := l.Create(ctx, sessions.NewSession{}, true); err == nil || !strings.Contains(err.Error(), "only watches") {
		t.Fatalf("Create: %v", err)
	}
	if _, err := l.Invite(ctx, sessions.InviteForm{}); err == nil {
		t.Fatal("Invite on a follower")
	}
}

// Team mode's flag mistakes: one line each (kycwatch exits 2 on them).
func TestTeamFlagsRefused(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	creds := filepath.Join(t.TempDir(), "none.creds")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--share", "--nats", "nats://h:4222"}, "pick one"},
		{[]string{"--nats", "http://h:4222"}, "--nats http://h:4222: want nats://[TOKEN@]host:port"},
		{[]string{"--nats", "ftp://secret-token@h:4222"}, "--nats ftp://***@h:4222: want"},
		{[]string{"--nats-replicas", "3"}, "--nats-replicas is for --nats"},
		{[]string{"--nats", "nats://h:4222", "--nats-replicas", "7"}, "want 1 to 5"},
		{[]string{"--nats-listen", "127.0.0.1:5222"}, "--nats-listen is for --share"},
		{[]string{"--share", "--nats-listen", "nohost"}, `--nats-listen "nohost": want host:port`},
		{[]string{"--name", "x"}, "use it with --share or --nats"},
		{[]string{"--share", "--name", " "}, "--name is empty"},
		{[]string{"--nats", "nats://h:4222", "--nats-creds", creds}, "--nats-creds"},
		{[]string{"--since", "1h"}, "unknown flag --since"},
		{[]string{"follow"}, "follow: want the URL to follow"},
		{[]string{"follow", "nats://h:4222", "--share"}, "follow reads the stream"},
		{[]string{"follow", "nats://h:4222", "--since", "yesterday"}, `--since "yesterday"`},
		{[]string{"follow", "nats://h:4222", "--since", "1h", "--name", "n"}, "--since is for a follower without --name"},
	} {
		args := tc.args
		if len(args) > 0 && args[0] == "follow" {
			args = append(slices.Clone(args), "--db", filepath.Join(t.TempDir(), "k.db"))
		} else {
			args = append([]string{"--db", filepath.Join(t.TempDir(), "k.db")}, args...)
		}
		_, err := parseFlags(args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret-token") {
			t.Errorf("%q: err %v, want %q", tc.args, err, tc.want)
		}
	}
	c, err := parseFlags([]string{"follow", "nats://t@a:1,nats://t@b:2", "--headless", "--name", "ops"}, io.Discard)
	if err != nil || len(c.follow) != 2 || !c.noTunnel || c.addr != "127.0.0.1:0" || filepath.Base(c.db) != "follow-ops.db" {
		t.Fatalf("follow flags: %+v, %v", c, err)
	}
	if c, err := parseFlags([]string{"follow", "nats://t@a:1"}, io.Discard); err != nil || !c.followTemp {
		t.Fatalf("follow without --name: %+v, %v", c, err)
	}
}
