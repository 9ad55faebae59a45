package main

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"
)

// TestCheckAClosedPort: nothing listening gives one line and exit 1, from
// the first connection (not eleven refusals and a table).
func TestCheckAClosedPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/webhooks/veriff"
	l.Close()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := check([]string{url, "--secret", "s"}, &stdout, &stderr)
	took := time.Since(start)
	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	if code != 1 || stdout.Len() != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0], "kycwatch check: nothing is listening at "+url) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if took > 2*time.Second { // a generous bound: it stops at the first refusal
		t.Errorf("took %s", took)
	}
}
