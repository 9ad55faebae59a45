package export

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/piitest"
	"github.com/kycwatch/kycwatch/sessions"
)

var keys = decode.Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k-1"}

// records are stored deliveries: a signed decision, an awkward body
// (quotes, a newline at the end, non-ASCII), and a non-UTF-8 one.
func records(t *testing.T) []sessions.Record {
	t.Helper()
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := sessions.NewReceiver(st, keys, nil)
	decision, _ := os.ReadFile("../testdata/payloads/veriff-decision-approved.json")
	bodies := [][]byte{decision, []byte("{\"id\":\"s'1\",\"code\":7001,\"action\":\"started\",\"feature\":\"selfid\",\"vendorData\":\"caf\u00e9 \\\"x\\\" $HOME `id`\"}\n"),
		{0xff, 0xfe, '{'}}
	for i, b := range bodies {
		h := map[string][]string{"Content-Type": {"application/json"}, "X-Hmac-Signature": {decode.Sign("sec", b)},
			"X-Auth-Client": {"k-1"}, "Host": {"127.0.0.1:8080"}, "X-Empty": {""}, "X-Quote": {`it's "quoted"`}}
		rc.Receive(context.Background(), sessions.Incoming{ReceivedAt: time.Date(2026, 11, 23, 9, 0, i, 0, time.UTC), Method: "POST",
			Path: "/veriff/events?x=1", Header: h, Body: b, BodySize: int64(len(b))})
	}
	var out []sessions.Record
	st.Each(context.Background(), sessions.Filter{}, func(r sessions.Record) error { out = append(out, r); return nil })
	if len(out) != 3 {
		t.Fatalf("%d records", len(out))
	}
	return out
}

func write(t *testing.T, format string, rs []sessions.Record, mask bool) []byte {
	var b bytes.Buffer
	w, err := New(format, &b, mask)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	return b.Bytes()
}

func TestNDJSON(t *testing.T) {
	rs := records(t)
	lines := bytes.Split(bytes.TrimSpace(write(t, "ndjson", rs, false)), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	var l struct {
		Seq        int64
		Kind       string
		Body       *string
		BodyBase64 string `json:"body_base64"`
		Headers    map[string][]string
	}
	json.Unmarshal(lines[1], &l)
	if l.Seq != 2 || l.Body == nil || *l.Body != string(rs[1].Body) || l.Headers["X-Quote"][0] != `it's "quoted"` {
		t.Fatalf("%+v", l)
	}
	json.Unmarshal(lines[2], &l)
	if l.BodyBase64 != "//57" {
		t.Errorf("non-UTF-8 body %q", l.BodyBase64)
	}
}

func TestHAR(t *testing.T) {
	var doc struct {
		Log struct {
			Version string
			Entries []struct {
				Request struct {
					Method, URL string
					Headers     []struct{ Name, Value string }
					PostData    struct{ MimeType, Text, Encoding string }
				}
				Response struct{ Status int }
			}
		}
	}
	if err := json.Unmarshal(write(t, "har", records(t), false), &doc); err != nil {
		t.Fatal(err)
	}
	e := doc.Log.Entries
	if doc.Log.Version != "1.2" || len(e) != 3 || e[0].Request.URL != "http://127.0.0.1:8080/veriff/events?x=1" ||
		e[0].Response.Status != 200 || e[0].Request.PostData.MimeType != "application/json" || e[2].Request.PostData.Encoding != "base64" {
		t.Fatalf("%+v", doc)
	}
	// HAR 1.2 asks of both a request and a response: httpVersion, cookies
	// and headers (lists, never null), headersSize and bodySize.
	var raw struct {
		Log struct {
			Entries []struct{ Request, Response map[string]any }
		}
	}
	if err := json.Unmarshal(write(t, "har", records(t), false), &raw); err != nil {
		t.Fatal(err)
	}
	for _, en := range raw.Log.Entries {
		for what, m := range map[string]map[string]any{"request": en.Request, "response": en.Response} {
			_, cookies := m["cookies"].([]any)
			_, headers := m["headers"].([]any)
			_, hs := m["headersSize"].(float64)
			_, bs := m["bodySize"].(float64)
			if m["httpVersion"] != "HTTP/1.1" || !cookies || !headers || !hs || !bs {
				t.Fatalf("a HAR %s lacks what HAR 1.2 asks: %v", what, m)
			}
		}
	}
	if n := len(raw.Log.Entries[0].Request["headers"].([]any)); n == 0 {
		t.Fatal("the request's headers are not in the HAR")
	}
}

// TestCurlScriptReproducesTheRequests runs the script against a server
// that checks what kycwatch checks: the bytes arrive the same, signed.
func TestCurlScriptReproducesTheRequests(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed", tool)
			}
			t.Skip(tool + " not installed")
		}
	}
	rs := records(t)
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
		if decode.Verify(r.Header, b, decode.Veriff, keys).Signature != decode.SigValid {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	script := filepath.Join(t.TempDir(), "deliveries.sh")
	os.WriteFile(script, write(t, "curl", rs, false), 0o600)
	cmd := exec.Command("sh", script)
	cmd.Env = append(os.Environ(), "TARGET="+srv.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if string(out) != "#1 200\n#2 200\n#3 200\n" {
		t.Errorf("script printed %q", out)
	}
	for i, r := range rs {
		if !bytes.Equal(bodies[i], r.Body) {
			t.Errorf("#%d body changed:\n%q\n%q", r.Seq, bodies[i], r.Body)
		}
		g := got[i]
		if g.URL.RequestURI() != "/veriff/events?x=1" || g.Header.Get("X-Quote") != `it's "quoted"` || g.Header.Get("X-Auth-Client") != "k-1" {
			t.Errorf("#%d request %s %v", r.Seq, g.URL, g.Header)
		}
		if _, ok := g.Header["X-Empty"]; !ok {
			t.Errorf("#%d lost its empty header", r.Seq)
		}
	}
}

func TestMaskedExport(t *testing.T) {
	out := string(write(t, "ndjson", records(t), true))
	if strings.Contains(out, "SARAH") || strings.Contains(out, "MORGA753116SM9IJ") || !strings.Contains(out, `"masked":true`) {
		t.Errorf("masked export:\n%.500s", out)
	}
	if s := string(write(t, "curl", records(t), true)); !strings.Contains(s, "signatures no longer match") {
		t.Error("the curl script does not warn that masked bodies are unsigned")
	}
}

// TestMaskedExportsHoldNoPersonalData: with --mask-pii, no name, date of
// birth, document number, address, email, phone or IP of any fixture is in
// any format's output, read as a program reading it would (JSON strings
// unescaped, curl's bodies base64-decoded).
func TestMaskedExportsHoldNoPersonalData(t *testing.T) {
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := sessions.NewReceiver(st, keys, nil)
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	var personal []string
	for i, f := range files {
		b, _ := os.ReadFile(f)
		personal = append(personal, piitest.Values(b)...)
		h := map[string][]string{"Content-Type": {"application/json"}, "X-Hmac-Signature": {decode.Sign("sec", b)}, "X-Auth-Client": {"k-1"}}
		if _, err := rc.Receive(context.Background(), sessions.Incoming{ReceivedAt: time.Date(2026, 11, 23, 9, 0, i, 0, time.UTC), Method: "POST",
			Path: "/veriff/events", Header: h, Body: b, BodySize: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
	}
	var rs []sessions.Record
	st.Each(context.Background(), sessions.Filter{}, func(r sessions.Record) error { rs = append(rs, r); return nil })
	if len(personal) < 50 || len(rs) != len(files) {
		t.Fatalf("%d personal values in %d records", len(personal), len(rs))
	}
	for _, format := range []string{"ndjson", "har", "curl"} {
		out := string(write(t, format, rs, true))
		text := out + readable(t, format, out)
		for _, v := range personal {
			if strings.Contains(text, v) {
				t.Errorf("%s: %q survived masking", format, v)
			}
		}
	}
}

// readable is what a program reading an export sees: every JSON string
// unescaped, and curl's base64 bodies decoded.
func readable(t *testing.T, format, out string) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case string:
			b.WriteString(x + "\n")
		}
	}
	switch format {
	case "ndjson":
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var v any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatal(err)
			}
			walk(v)
		}
	case "har":
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		walk(v)
	case "curl":
		for _, l := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(l, "printf %s '"); ok {
				enc, _, _ := strings.Cut(rest, "'")
				dec, err := base64.StdEncoding.DecodeString(enc)
				if err != nil {
					t.Fatal(err)
				}
				b.Write(dec)
			}
		}
	}
	return b.String()
}

// TestHARResponseIsWhatTheProviderGot: with --answer app the HAR's
// response status is the app's answer, kycwatch's verdict in the comment.
func TestHARResponseIsWhatTheProviderGot(t *testing.T) {
	rs := records(t)[:1]
	rs[0].Answered = 500
	var doc struct {
		Log struct {
			Entries []struct {
				Comment  string `json:"comment"`
				Response struct {
					Status int `json:"status"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(write(t, "har", rs, false), &doc); err != nil {
		t.Fatal(err)
	}
	e := doc.Log.Entries[0]
	if e.Response.Status != 500 || !strings.Contains(e.Comment, "kycwatch's verdict 200") {
		t.Errorf("%+v", e)
	}
}

// TestCurlScriptGetAndTarget: a request that had no body (a GET of the
// sandbox API) is replayed with none and no header curl would add; a
// comment has no stray separator for an empty state; the default TARGET
// is the address given (the kycwatch of the database), as the header says.
func TestCurlScriptGetAndTarget(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	st, err := sessions.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := sessions.NewReceiver(st, keys, nil)
	rc.Receive(context.Background(), sessions.Incoming{ReceivedAt: time.Now(), Method: "GET", Path: "/sandbox/v1/sessions/s1/decision",
		Header: map[string][]string{"X-Auth-Client": {"k-1"}, "Accept": {"*/*"}}})
	var rs []sessions.Record
	st.Each(context.Background(), sessions.Filter{}, func(r sessions.Record) error { rs = append(rs, r); return nil })
	var seen *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		seen = r
	}))
	defer srv.Close()
	var b bytes.Buffer
	w, _ := New("curl", &b, false, WithTarget(srv.URL))
	w.Add(rs[0])
	w.Close()
	s := b.String()
	if !strings.Contains(s, `[ -n "${TARGET:-}" ] || TARGET='`+srv.URL+`'`) || !strings.Contains(s, "default: "+srv.URL) {
		t.Errorf("default target not the one given:\n%s", s)
	}
	if strings.Contains(s, " , ") || strings.Contains(s, "( ") {
		t.Errorf("stray separator in a comment:\n%s", s)
	}
	script := filepath.Join(t.TempDir(), "get.sh")
	os.WriteFile(script, b.Bytes(), 0o600)
	out, err := exec.Command("sh", script).CombinedOutput()
	if err != nil || seen == nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if seen.Method != "GET" || len(body) > 0 || seen.Header.Get("Content-Type") != "" || seen.ContentLength > 0 || seen.Header.Get("Content-Length") != "" {
		t.Errorf("GET replayed as %s with body %q, headers %v", seen.Method, body, seen.Header)
	}
}

// TestCurlCommentsAreInert: what a payload put in a path or a state
// reaches the script's comments made harmless: no line break that would
// start a command, no escape sequence, no bidi override that reorders what
// a reader sees.
func TestCurlCommentsAreInert(t *testing.T) {
	r := records(t)[0]
	r.Path = "/veriff/events?x=1\n rm -rf ~ \u202e\x1b[2J"
	r.Delivery.State = "started\u2066hidden"
	var comments []string
	for _, l := range strings.Split(string(write(t, "curl", []sessions.Record{r}, false)), "\n") {
		if strings.HasPrefix(l, "# #1") {
			comments = append(comments, l)
		}
	}
	out := strings.Join(comments, "\n")
	if len(comments) != 1 {
		t.Fatalf("the delivery's comment is %d lines: %q", len(comments), out)
	}
	for _, bad := range []string{"\u202e", "\x1b", "\u2066"} {
		if strings.Contains(out, bad) {
			t.Errorf("the comment holds %q: %q", bad, out)
		}
	}
	if !strings.Contains(out, "<U+202E>") || !strings.Contains(out, "rm -rf") {
		t.Errorf("the comment does not show the path for what it is: %q", out)
	}
}

// TestCurlTargetIsNotRun: the script's default TARGET is quoted: whatever
// it holds is a string, never a command substitution.
func TestCurlTargetIsNotRun(t *testing.T) {
	var b bytes.Buffer
	w, err := New("curl", &b, false, WithTarget("http://127.0.0.1:1/$(touch pwned)`id`'x"))
	if err != nil {
		t.Fatal(err)
	}
	w.Add(records(t)[0])
	w.Close()
	if !strings.Contains(b.String(), `TARGET='http://127.0.0.1:1/$(touch pwned)`+"`id`"+`'\''x'`) {
		t.Errorf("the default TARGET is not single-quoted:\n%s", strings.SplitN(b.String(), "printf", 2)[0])
	}
}
