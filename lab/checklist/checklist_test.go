package checklist

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
)

const (
	secret = "endpoint-secret"
	apiKey = "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"
)

// endpoint is a webhook receiver with switchable faults; with none it is
// what Veriff asks for.
type endpoint struct {
	noChecks       bool // accepts anything
	reencoded      bool // verifies a re-encoding (compacted) of the body
	crashOnBadJSON bool
	refuseRetries  bool
	error500       bool // refuses forgeries with 500
	unsignedPass   bool // checks a signature only when there is one
	delay          time.Duration

	mu   sync.Mutex
	seen map[[32]byte]bool
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(e.delay)
	body, _ := io.ReadAll(r.Body)
	if !e.noChecks {
		signed := body
		if e.reencoded {
			var b bytes.Buffer
			if json.Compact(&b, body) == nil {
				signed = b.Bytes()
			}
		}
		bad := r.Header.Get("X-AUTH-CLIENT") != apiKey || decode.Sign(secret, signed) != strings.ToLower(r.Header.Get("X-HMAC-SIGNATURE"))
		if e.unsignedPass && r.Header.Get("X-HMAC-SIGNATURE") == "" {
			bad = false
		}
		if bad {
			if e.error500 {
				http.Error(w, "boom", 500)
				return
			}
			http.Error(w, "unauthorized", 401)
			return
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		if e.crashOnBadJSON {
			panic("unexpected end of JSON input") // net/http drops the connection
		}
		http.Error(w, "bad json", 400)
		return
	}
	e.mu.Lock()
	sum := sha256.Sum256(body)
	dup := e.seen[sum]
	e.seen[sum] = true
	e.mu.Unlock()
	if dup && e.refuseRetries {
		http.Error(w, "already processed", 409)
		return
	}
	w.WriteHeader(200)
}

func check(t *testing.T, e *endpoint, limit time.Duration, key string) map[string]Result {
	t.Helper()
	e.seen = map[[32]byte]bool{}
	srv := httptest.NewUnstartedServer(e)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the crashing endpoint's panic
	srv.Start()
	defer srv.Close()
	out := map[string]Result{}
	results, err := Run(context.Background(), Config{URL: srv.URL + "/webhooks/veriff", Secret: secret, APIKey: key, Limit: limit})
	if err != nil {
		t.Fatalf("stopped: %v", err)
	}
	for _, r := range results {
		out[r.Case] = r
	}
	return out
}

func failing(results map[string]Result) []string {
	var out []string
	for name, r := range results {
		if !r.Pass {
			out = append(out, name)
		}
	}
	return out
}

func TestACorrectEndpointPassesEverything(t *testing.T) {
	res := check(t, &endpoint{}, 2*time.Second, apiKey)
	if f := failing(res); len(f) != 0 {
		t.Fatalf("failed: %v\n%+v", f, res)
	}
	if len(res) != 15 {
		t.Errorf("%d cases", len(res))
	}
	var buf bytes.Buffer
	if !Table(&buf, sortedResults(res)) || !strings.Contains(buf.String(), "15 of 15 cases passed") {
		t.Errorf("table:\n%s", buf.String())
	}
}

func TestEachFaultIsNamed(t *testing.T) {
	cases := []struct {
		name  string
		e     *endpoint
		limit time.Duration
		fails []string
		why   string
	}{
		{"accepts anything", &endpoint{noChecks: true}, 2 * time.Second,
			[]string{"a wrong API key is refused (4xx)", "a mismatched HMAC is refused (4xx)", "a delivery with no signature is refused (4xx)"}, "a forged delivery was accepted"},
		{"verifies a re-encoded body", &endpoint{reencoded: true}, 2 * time.Second,
			[]string{"unusual but valid formatting is accepted (2xx)"}, "re-encoded body"},
		{"crashes on invalid JSON", &endpoint{crashOnBadJSON: true}, 2 * time.Second,
			[]string{"invalid JSON gets an answer, not a 5xx"}, "the connection ended without one"},
		{"refuses retries", &endpoint{refuseRetries: true}, 2 * time.Second,
			[]string{"a retry (the same delivery twice) is accepted both times (2xx)"}, "the second copy: answered 409"},
		{"refuses forgeries with 500", &endpoint{error500: true}, 2 * time.Second,
			[]string{"a wrong API key is refused (4xx)", "a mismatched HMAC is refused (4xx)", "a delivery with no signature is refused (4xx)"}, "not a server error"},
		{"checks a signature only when there is one", &endpoint{unsignedPass: true}, 2 * time.Second,
			[]string{"a delivery with no signature is refused (4xx)"}, "a forged delivery was accepted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := check(t, c.e, c.limit, apiKey)
			got := failing(res)
			if strings.Join(sortStrings(got), "|") != strings.Join(sortStrings(c.fails), "|") {
				t.Fatalf("failed %v, want %v", got, c.fails)
			}
			if !strings.Contains(res[c.fails[0]].Why, c.why) {
				t.Errorf("why %q, want %q", res[c.fails[0]].Why, c.why)
			}
		})
	}
}

func TestASlowEndpointFailsTheTimeCase(t *testing.T) {
	res := check(t, &endpoint{delay: 150 * time.Millisecond}, 100*time.Millisecond, apiKey)
	r := res["every answer comes within 100ms"]
	if r.Pass || !strings.Contains(r.Why, "no answer within 100ms") {
		t.Fatalf("%+v", r)
	}
}

func TestWithoutAnAPIKeyThatCaseIsSkipped(t *testing.T) {
	e := &endpoint{noChecks: true}
	res := check(t, e, 2*time.Second, "")
	r := res["a wrong API key is refused (4xx)"]
	if !r.Skipped || !strings.Contains(r.Why, "--api-key") {
		t.Fatalf("%+v", r)
	}
	var buf bytes.Buffer
	Table(&buf, sortedResults(res))
	if !strings.Contains(buf.String(), "skip") {
		t.Errorf("%s", buf.String())
	}
}

func sortedResults(m map[string]Result) []Result {
	var out []Result
	for _, k := range sortStrings(keys(m)) {
		out = append(out, m[k])
	}
	return out
}

func keys(m map[string]Result) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestAClosedPortStopsAtOnce: nothing listening is one finding, not a
// case-by-case failure, and it comes from the first connection.
func TestAClosedPortStopsAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/webhooks/veriff"
	l.Close()
	results, err := Run(context.Background(), Config{URL: url, Secret: secret, APIKey: apiKey})
	var stopped *Stopped
	if !errors.As(err, &stopped) || stopped.After != 0 || len(results) != 0 {
		t.Fatalf("%v %+v", err, results)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "nothing is listening at "+url) || strings.Contains(msg, "\n") {
		t.Errorf("%q", msg)
	}
}

// TestAnEndpointThatDiesIsNamed: it answers the first case, then its
// process is gone (the port closed): the run says so and stops.
func TestAnEndpointThatDiesIsNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		l.Close() // no one will answer again
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err == nil {
			io.Copy(io.Discard, req.Body)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		}
		c.Close()
	}()
	results, err := Run(context.Background(), Config{URL: "http://" + l.Addr().String() + "/", Secret: secret, APIKey: apiKey})
	var stopped *Stopped
	if !errors.As(err, &stopped) || stopped.After != 1 || len(results) != 1 || !results[0].Pass {
		t.Fatalf("%v %+v", err, results)
	}
	if msg := err.Error(); !strings.Contains(msg, "stopped answering after case 1 (event 7001 started is accepted (2xx))") {
		t.Errorf("%q", msg)
	}
}

// TestPassingLabelsClaimOnlyTheAnswer: a label says what the status code
// shows, nothing about what the endpoint did inside.
func TestPassingLabelsClaimOnlyTheAnswer(t *testing.T) {
	for name := range check(t, &endpoint{}, 2*time.Second, apiKey) {
		if strings.Contains(name, "verified") || strings.Contains(name, "crash") {
			t.Errorf("%q claims more than an answer shows", name)
		}
		if strings.Contains(name, "accepted") && !strings.Contains(name, "(2xx)") || strings.Contains(name, "refused") && !strings.Contains(name, "(4xx)") {
			t.Errorf("%q does not say which answers count", name)
		}
	}
}
