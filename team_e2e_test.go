package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycwatch/kycwatch/decode"
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
	errs := &syncBuffer{}
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
