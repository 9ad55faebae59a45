package checklist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log"
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
	for _, r := range Run(context.Background(), Config{URL: srv.URL + "/webhooks/veriff", Secret: secret, APIKey: key, Limit: limit}) {
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
	if len(res) != 14 {
		t.Errorf("%d cases", len(res))
	}
	var buf bytes.Buffer
	if !Table(&buf, sortedResults(res)) || !strings.Contains(buf.String(), "14 of 14 cases passed") {
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
			[]string{"a wrong API key is refused", "a mismatched HMAC is refused"}, "a forged delivery was accepted"},
		{"verifies a re-encoded body", &endpoint{reencoded: true}, 2 * time.Second,
			[]string{"unusual but valid formatting is accepted (raw bytes verified)"}, "re-encoded body"},
		{"crashes on invalid JSON", &endpoint{crashOnBadJSON: true}, 2 * time.Second,
			[]string{"invalid JSON does not crash it"}, "the server broke on it"},
		{"refuses retries", &endpoint{refuseRetries: true}, 2 * time.Second,
			[]string{"a retry (the same delivery twice) is accepted both times"}, "the second copy: answered 409"},
		{"refuses forgeries with 500", &endpoint{error500: true}, 2 * time.Second,
			[]string{"a wrong API key is refused", "a mismatched HMAC is refused"}, "not a server error"},
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
	r := res["a wrong API key is refused"]
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
