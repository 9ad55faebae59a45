package team

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// natsServer builds the nats-server binary at the version go.mod pins
// (from the module proxy, through the module cache), once per test run.
func natsServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nats-server")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// node is one nats-server process of the cluster.
type node struct {
	name string
	port int
	cmd  *exec.Cmd
}

// A real 3-node JetStream cluster on loopback, a stream with 3 replicas:
// two instances publish while a durable follower reads; the stream's
// leader is killed (SIGKILL) mid-stream. Every delivery of both reaches the
// follower exactly once, and the stream holds each once.
func TestThreeNodeClusterLosesNothingDoublesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server and runs a cluster")
	}
	bin := natsServer(t)
	dir := t.TempDir()
	token := NewToken()
	nodes := make([]*node, 3)
	cports := make([]int, 3)
	for i := range nodes {
		nodes[i] = &node{name: fmt.Sprintf("n%d", i+1), port: freePort(t)}
		cports[i] = freePort(t)
	}
	var urls []string
	for i, n := range nodes {
		var routes []string
		for j, p := range cports {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
			}
		}
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
authorization { token: "%s" }
jetstream { store_dir: "%s" }
cluster { name: kycwatch-test, listen: 127.0.0.1:%d, routes: [%s] }
`, n.name, n.port, token, filepath.Join(dir, n.name), cports[i], strings.Join(routes, ", "))
		path := filepath.Join(dir, n.name+".conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		n.cmd = exec.Command(bin, "-c", path)
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmd := n.cmd
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		urls = append(urls, fmt.Sprintf("nats://%s@127.0.0.1:%d", token, n.port))
	}
	d := Dial{URLs: urls, Name: "cluster-test"}
	waitFor(t, "JetStream in the cluster", func() bool {
		nc, js, err := d.jetStream()
		if err != nil {
			return false
		}
		defer nc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = js.AccountInfo(ctx)
		return err == nil
	})

	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	b := newInstance(t, "beta", filepath.Join(dir, "b.db"))
	pa, _ := a.publish(t, d, 3)
	pb, _ := b.publish(t, d, 3)
	f := newInstance(t, "", filepath.Join(dir, "f.db"))
	f.follow(t, d, "cluster-follower")

	const rounds, each = 60, 5
	killed := ""
	for i := range rounds {
		a.receive(t, each)
		b.receive(t, each)
		if i == rounds/3 {
			waitFor(t, "some deliveries acknowledged", func() bool { return pa.Acked() > 0 && pb.Acked() > 0 })
			killed = killLeader(t, d, nodes)
		}
		time.Sleep(5 * time.Millisecond) // a stream, not one burst
	}
	t.Logf("killed %s mid-stream", killed)

	const want = 2 * rounds * each
	waitFor(t, "both publishers acknowledged", func() bool { return pa.Acked() == want/2 && pb.Acked() == want/2 })
	waitFor(t, "the follower to store every delivery", func() bool { return f.store.Count() >= want })
	waitFor(t, "the consumer to have nothing pending", func() bool { return drained(t, d, "cluster-follower") })
	checkExactly(t, f.store, want)
	if n := streamMsgs(t, d); n != want {
		t.Fatalf("the stream holds %d messages, want %d", n, want)
	}
	info := streamInfo(t, d)
	if info.Config.Replicas != 3 {
		t.Fatalf("stream replicas %d, want 3", info.Config.Replicas)
	}
}

func streamInfo(t *testing.T, d Dial) *jetstream.StreamInfo {
	t.Helper()
	js, done := jsOf(t, d)
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// killLeader kills the stream's leader with SIGKILL and returns its name.
func killLeader(t *testing.T, d Dial, nodes []*node) string {
	t.Helper()
	leader := streamInfo(t, d).Cluster.Leader
	for _, n := range nodes {
		if n.name == leader {
			n.cmd.Process.Kill()
			n.cmd.Wait()
			return leader
		}
	}
	t.Fatalf("stream leader %q is none of the nodes", leader)
	return ""
}
