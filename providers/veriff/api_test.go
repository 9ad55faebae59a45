package veriff

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/internal/webhook"
)

const (
	apiKey = "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"
	secret = "abcdef12-abcd-abcd-abcd-abcdef012345"
)

// fakeVeriff checks a request as Veriff does (API key, HMAC over the body
// bytes, mandatory fields) and answers in Veriff's documented shapes.
func fakeVeriff(t *testing.T) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, code, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"status": "fail", "code": code, "message": msg})
		}
		if r.Method != http.MethodPost || r.URL.Path != "/v1/sessions" {
			fail(404, "1001", "Not found")
			return
		}
		body, _ := io.ReadAll(r.Body)
		switch key := r.Header.Get("X-AUTH-CLIENT"); {
		case key == "":
			fail(401, "1801", "Mandatory X-AUTH-CLIENT header containing the API key is missing from the request.")
			return
		case key != apiKey:
			fail(401, "1803", "Integration with the API key was not found.")
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			fail(400, "1102", "Content-Type must be application/json")
			return
		}
		if sig := r.Header.Get("X-HMAC-SIGNATURE"); sig != Sign(secret, body) {
			fail(401, "1819", "Signature \""+sig+"\" does not match the HMAC-SHA256 of request body.")
			return
		}
		var req map[string]map[string]any
		if err := json.Unmarshal(body, &req); err != nil || req["verification"] == nil {
			fail(400, "1102", "Mandatory parameters are missing from the request.")
			return
		}
		v := req["verification"]
		if vd, ok := v["vendorData"].(string); ok && len(vd) > 1000 {
			fail(400, "1500", "vendorData too long")
			return
		}
		if v["vendorData"] == "slow" {
			time.Sleep(2 * time.Second)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		io.WriteString(w, `{"status":"success","verification":{"id":"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7","url":"https://alchemy.veriff.com/v/eyJhbGciOiJIUzI1NiJ9.e30.sig","vendorData":`+
			mustJSON(v["vendorData"])+`,"host":"https://alchemy.veriff.com","status":"created","sessionToken":"eyJhbGciOiJIUzI1NiJ9.e30.sig"}}`)
	}))
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCreateSession(t *testing.T) {
	srv := fakeVeriff(t)
	defer srv.Close()
	c := NewClient(srv.URL+"/", apiKey, secret)
	got, err := c.CreateSession(context.Background(), SessionRequest{Verification: NewVerification{
		Callback: "https://kyc.ngrok.app/veriff/callback?ref=r1", VendorData: "user <42> & co",
		Person: &NewPerson{FirstName: "John", LastName: "Smith"}, EndUserID: "a1b2c35d-e8f7-6d5e-3cd2-a1b2c35db3d4"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7" || got.Status != "created" || got.VendorData != "user <42> & co" ||
		!strings.HasPrefix(got.URL, "https://alchemy.veriff.com/v/") || got.Host != "https://alchemy.veriff.com" {
		t.Fatalf("%+v", got)
	}
}

func TestCreateSessionErrors(t *testing.T) {
	srv := fakeVeriff(t)
	defer srv.Close()
	cases := []struct {
		name          string
		client        *Client
		vendor        string
		status        int
		code, message string
	}{
		{"wrong key", NewClient(srv.URL, "11111111-2222-3333-4444-555555555555", secret), "v", 401, "1803", "check VERIFF_API_KEY"},
		{"no key", NewClient(srv.URL, "", secret), "v", 401, "1801", "set VERIFF_API_KEY"},
		{"wrong secret", NewClient(srv.URL, apiKey, "not-the-secret"), "v", 401, "1819", "check VERIFF_SHARED_SECRET"},
		{"vendorData too long", NewClient(srv.URL, apiKey, secret), strings.Repeat("x", 1001), 400, "1500", "1000 characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.client.CreateSession(context.Background(), SessionRequest{Verification: NewVerification{VendorData: c.vendor}})
			var e *Error
			if !errors.As(err, &e) || e.HTTPStatus != c.status || e.Code != c.code || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the secret is in the message: %v", err)
			}
		})
	}
}

func TestCreateSessionNetworkFailures(t *testing.T) {
	srv := fakeVeriff(t)
	c := NewClient(srv.URL, apiKey, secret)
	c.HTTP.Timeout = 300 * time.Millisecond
	if _, err := c.CreateSession(context.Background(), SessionRequest{Verification: NewVerification{VendorData: "slow"}}); err == nil ||
		!strings.Contains(err.Error(), "no answer from") {
		t.Errorf("timeout: %v", err)
	}
	srv.Close()
	if _, err := c.CreateSession(context.Background(), SessionRequest{}); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("closed server: %v", err)
	}
	c = NewClient("https://no-such-host.invalid", apiKey, secret)
	if _, err := c.CreateSession(context.Background(), SessionRequest{}); err == nil || !strings.Contains(err.Error(), "no-such-host.invalid") {
		t.Errorf("no DNS: %v", err)
	}
	// A 200 that is not a session, and a non-JSON error page.
	odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Odd") == "html" {
			w.WriteHeader(502)
			io.WriteString(w, "<html>Bad gateway</html>")
			return
		}
		io.WriteString(w, `{"status":"success"}`)
	}))
	defer odd.Close()
	c = NewClient(odd.URL, apiKey, secret)
	if _, err := c.CreateSession(context.Background(), SessionRequest{}); err == nil || !strings.Contains(err.Error(), "no session in the answer") {
		t.Errorf("empty success: %v", err)
	}
}

// TestSignatureIsOverTheBytesSent uses Veriff's published vector: the
// documented body, marshalled by webhook.Marshal, signs to the documented digest.
func TestSignatureIsOverTheBytesSent(t *testing.T) {
	// Veriff's example has its own key order: a struct keeps it.
	type doc struct {
		Type    string `json:"type"`
		Country string `json:"country"`
	}
	type ver struct {
		Callback   string    `json:"callback"`
		Person     NewPerson `json:"person"`
		Document   doc       `json:"document"`
		VendorData string    `json:"vendorData"`
		Timestamp  string    `json:"timestamp"`
	}
	body, err := webhook.Marshal(struct {
		Verification ver `json:"verification"`
	}{ver{"https://veriff.com", NewPerson{"John", "Smith"}, doc{"PASSPORT", "EE"}, "unique id of a user", "2016-05-19T08:30:25.597Z"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := Sign(secret, body); got != "6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67" {
		t.Fatalf("signature %s over %s", got, body)
	}
	var seen []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = io.ReadAll(r.Body)
		if r.Header.Get("X-HMAC-SIGNATURE") != Sign(secret, seen) {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(201)
		io.WriteString(w, `{"status":"success","verification":{"id":"x","url":"u","status":"created","baseUrl":"https://old.veriff.me"}}`)
	}))
	defer srv.Close()
	got, err := NewClient(srv.URL, apiKey, secret).CreateSession(context.Background(), SessionRequest{Verification: NewVerification{VendorData: "<&>"}})
	if err != nil || got.Host != "https://old.veriff.me" {
		t.Fatalf("%+v %v", got, err)
	}
	if string(seen) != `{"verification":{"vendorData":"<&>"}}` {
		t.Errorf("body sent %s (want compact, unescaped, no newline)", seen)
	}
}

// TestErrorSaysItOnce: Veriff's message (a sentence ending in ".") and
// kycwatch's hint read as one line, with no stray ".;" and the hint saying
// what to do rather than the message again.
func TestErrorSaysItOnce(t *testing.T) {
	e := &Error{HTTPStatus: 401, Code: "1802", Message: "API key is not a valid UUID."}
	got := e.Error()
	if strings.Contains(got, ".;") || strings.Count(strings.ToLower(got), "uuid") > 1 || !strings.Contains(got, "copy") {
		t.Errorf("%q", got)
	}
	if got := (&Error{HTTPStatus: 401, Code: "1803"}).Error(); !strings.Contains(got, "no integration has this API key") {
		t.Errorf("without Veriff's message, the hint says what happened: %q", got)
	}
}
