package listener

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/sessions"
)

type rig struct {
	srv   *httptest.Server
	store *sessions.Store
}

// records are the deliveries stored so far: an answered request is
// committed, so the store holds it by the time the answer is read.
func (g *rig) records(t *testing.T) []sessions.Record {
	t.Helper()
	recs, err := g.store.After(context.Background(), 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func newRig(t *testing.T, keys decode.Keys, limits Limits) *rig {
	t.Helper()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rc := sessions.NewReceiver(st, keys, nil)
	g := &rig{store: st}
	s := New(rc, limits, nil)
	g.srv = httptest.NewUnstartedServer(s.Handler())
	g.srv.Config = s.srv
	g.srv.Start()
	t.Cleanup(g.srv.Close)
	return g
}

func (g *rig) post(t *testing.T, path string, body []byte, h map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", g.srv.URL+path, strings.NewReader(string(body)))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (g *rig) last(t *testing.T) sessions.Record {
	t.Helper()
	got := g.records(t)
	if len(got) == 0 {
		t.Fatal("nothing stored")
	}
	r := got[len(got)-1]
	full, err := g.store.Get(context.Background(), r.Seq)
	if err != nil {
		t.Fatalf("delivery %d not stored: %v", r.Seq, err)
	}
	return full
}

var keys = decode.Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "key"}

func TestAnswers(t *testing.T) {
	g := newRig(t, keys, DefaultLimits)
	body, _ := os.ReadFile("../testdata/payloads/veriff-decision-approved.json")
	good := map[string]string{"X-HMAC-SIGNATURE": decode.Sign("sec", body), "X-AUTH-CLIENT": "key", "Content-Type": "application/json"}
	with := func(k, v string) map[string]string {
		h := map[string]string{}
		for a, b := range good {
			h[a] = b
		}
		if v == "" {
			delete(h, k)
		} else {
			h[k] = v
		}
		return h
	}
	cases := []struct {
		name   string
		body   []byte
		h      map[string]string
		status int
		sig    decode.Signature
		key    decode.APIKey
	}{
		{"good", body, good, 200, decode.SigValid, decode.KeyMatch},
		{"bad signature", body, with("X-HMAC-SIGNATURE", decode.Sign("other", body)), 401, decode.SigInvalid, decode.KeyMatch},
		{"no signature", body, with("X-HMAC-SIGNATURE", ""), 401, decode.SigMissing, decode.KeyMatch},
		{"wrong api key", body, with("X-AUTH-CLIENT", "nope"), 401, decode.SigValid, decode.KeyMismatch},
		{"no api key", body, with("X-AUTH-CLIENT", ""), 401, decode.SigValid, decode.KeyMissing},
		{"empty body", nil, with("X-HMAC-SIGNATURE", decode.Sign("sec", nil)), 400, decode.SigValid, decode.KeyMatch},
		{"not JSON", []byte("{oops"), with("X-HMAC-SIGNATURE", decode.Sign("sec", []byte("{oops"))), 400, decode.SigValid, decode.KeyMatch},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, text := g.post(t, "/veriff/decisions", c.body, c.h)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, text)
			}
			var a answer
			if err := json.Unmarshal([]byte(text), &a); err != nil || a.Seq != int64(i+1) {
				t.Fatalf("answer %q", text)
			}
			r := g.last(t)
			if r.Status != c.status || r.Verdict.Signature != c.sig || r.Verdict.APIKey != c.key || string(r.Body) != string(c.body) {
				t.Fatalf("stored %+v", r.Verdict)
			}
			if r.Path != "/veriff/decisions" || r.Header["Host"] == nil {
				t.Fatalf("stored %q %v", r.Path, r.Header)
			}
		})
	}
}

func TestInfoPageAndMethods(t *testing.T) {
	g := newRig(t, decode.Keys{}, DefaultLimits)
	resp, err := http.Get(g.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "kycwatch is listening") || !strings.Contains(string(b), "/veriff/decisions") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	for _, m := range []string{"PUT", "DELETE", "PATCH", "OPTIONS"} {
		req, _ := http.NewRequest(m, g.srv.URL+"/veriff/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Errorf("%s: %d", m, resp.StatusCode)
		}
	}
	if len(g.records(t)) != 0 {
		t.Fatal("GET or other methods were stored as deliveries")
	}
}

func TestTooLarge(t *testing.T) {
	limits := DefaultLimits
	limits.MaxBody, limits.KeepTruncated = 1000, 100
	g := newRig(t, decode.Keys{}, limits)
	big := []byte(`{"x":"` + strings.Repeat("a", 5000) + `"}`)

	// Declared too large: refused without reading it.
	resp, _ := g.post(t, "/veriff/events", big, nil)
	if resp.StatusCode != 413 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	r := g.last(t)
	if !r.Truncated || len(r.Body) != 100 || r.BodySize != int64(len(big)) || string(r.Body) != string(big[:100]) {
		t.Fatalf("stored %d bytes of %d, truncated %v", len(r.Body), r.BodySize, r.Truncated)
	}

	// Chunked, no length: cut while reading.
	req, _ := http.NewRequest("POST", g.srv.URL+"/veriff/events", io.MultiReader(strings.NewReader(string(big))))
	req.ContentLength = -1
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 413 {
		t.Fatalf("chunked: %d", resp2.StatusCode)
	}
	r = g.last(t)
	if !r.Truncated || len(r.Body) != 100 || r.BodySize != limits.MaxBody+1 || r.Header["Transfer-Encoding"] == nil {
		t.Fatalf("chunked stored %d of %d %v", len(r.Body), r.BodySize, r.Header)
	}
	// Exactly at the limit is fine.
	ok := []byte(`{"x":"` + strings.Repeat("a", 1000-8) + `"}`)
	if resp, _ := g.post(t, "/", ok, nil); resp.StatusCode != 200 {
		t.Fatalf("at limit: %d", resp.StatusCode)
	}
}

func TestSlowAndOversizedClients(t *testing.T) {
	limits := DefaultLimits
	limits.ReadHeaderTimeout, limits.ReadTimeout, limits.MaxHeaderBytes = 300*time.Millisecond, 500*time.Millisecond, 4096
	g := newRig(t, decode.Keys{}, limits)
	addr := strings.TrimPrefix(g.srv.URL, "http://")

	// A client that says nothing is dropped.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("silent client got data")
	}
	if time.Since(start) > 4*time.Second {
		t.Fatal("silent client held the connection")
	}
	c.Close()

	// A body that never finishes is cut by the read timeout; what came is kept.
	c, _ = net.Dial("tcp", addr)
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "POST /veriff/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"id\":")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatalf("half a body accepted")
		}
	}
	c.Close()

	// Oversized headers: 431, never stored.
	req, _ := http.NewRequest("POST", g.srv.URL+"/", strings.NewReader("{}"))
	req.Header.Set("X-Big", strings.Repeat("b", 10000))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("big headers: %d", resp.StatusCode)
	}
}

func TestStoreFailureIs500(t *testing.T) {
	g := newRig(t, decode.Keys{}, DefaultLimits)
	g.store.Close()
	resp, _ := g.post(t, "/", []byte(`{}`), nil)
	if resp.StatusCode != 500 {
		t.Fatalf("%d", resp.StatusCode)
	}
}

func TestListenFallsBackWhenPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	l, note, err := Listen(taken.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Addr().String() == taken.Addr().String() || !strings.Contains(note, "is taken") {
		t.Fatalf("%s %q", l.Addr(), note)
	}
	if !strings.HasPrefix(URL(l), "http://127.0.0.1:") {
		t.Fatal(URL(l))
	}
}

func TestCallbackIsRecorded(t *testing.T) {
	g := newRig(t, decode.Keys{VeriffSecrets: []string{"s"}}, DefaultLimits)
	ts := sessions.TestSession{ID: "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7", CreatedAt: time.Now(), Source: sessions.SourceVeriff,
		VendorData: "v-1", Ref: "r123", Callback: "https://x.ngrok.app/veriff/callback?ref=r123"}
	if err := g.store.AddTestSession(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(g.srv.URL + "/veriff/callback?ref=r123")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "finished on your side") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	got := g.records(t)
	if len(got) != 1 {
		t.Fatalf("%d records", len(got))
	}
	r := got[0]
	if r.Delivery.Kind != decode.KindCallback || r.Delivery.SessionID != ts.ID || r.Method != "GET" || r.Path != "/veriff/callback?ref=r123" ||
		r.Verdict.Signature != decode.SigUnchecked || r.Failed() {
		t.Fatalf("%+v %+v", r.Delivery, r.Verdict)
	}
	// Stored whole, and read back as a callback (not re-decoded as a body).
	full, err := g.store.Get(context.Background(), r.Seq)
	if err != nil || full.Delivery.Kind != decode.KindCallback || full.Delivery.SessionID != ts.ID || full.Header["User-Agent"] == nil {
		t.Fatalf("%+v %v", full.Delivery, err)
	}
	// Any other GET is the info page and is not recorded.
	resp, _ = http.Get(g.srv.URL + "/veriff/events")
	resp.Body.Close()
	if len(g.records(t)) != 1 {
		t.Error("a plain GET was recorded")
	}
}
