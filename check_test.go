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

// TestCheckRefusesEmptyKeys: an empty --secret or --api-key (an unset
// variable in a script) is refused, naming the flag, even when the
// environment holds a value it would otherwise fall back to silently.
func TestCheckRefusesEmptyKeys(t *testing.T) {
	t.Setenv("VERIFF_SHARED_SECRET", "from-env")
	t.Setenv("VERIFF_API_KEY", "key-from-env")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"http://127.0.0.1:1/", "--secret", ""}, "--secret is empty: is VERIFF_SHARED_SECRET set?"},
		{[]string{"http://127.0.0.1:1/", "--api-key="}, "--api-key is empty: is VERIFF_API_KEY set?"},
	} {
		var out, errOut bytes.Buffer
		if code := check(tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("check %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
	t.Setenv("VERIFF_SHARED_SECRET", " ")
	var out, errOut bytes.Buffer
	if code := check([]string{"http://127.0.0.1:1/"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "VERIFF_SHARED_SECRET is set but empty") {
		t.Errorf("check with an empty VERIFF_SHARED_SECRET: exit %d, stderr %q", code, errOut.String())
	}
}
