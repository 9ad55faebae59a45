package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/sessions"
)

// FuzzHandler: the sandbox is on the internet. Whatever comes (method,
// path, headers, body), it answers without panicking and never with a
// 5xx of its own making (502 is a webhook that could not be delivered,
// which here goes nowhere, so it is allowed).
func FuzzHandler(f *testing.F) {
	for _, s := range []struct{ method, path, sigOver, body string }{
		{"POST", APIPrefix + "/sessions", "", `{"verification":{"vendorData":"x"}}`},
		{"POST", APIPrefix + "/sessions", "", `{"verification":{"endUserId":"nope","person":{"firstName":1}}}`},
		{"PATCH", APIPrefix + "/sessions/x", `{"verification":{"status":"submitted"}}`, `{"verification":{"status":"submitted"}}`},
		{"POST", APIPrefix + "/sessions/x/media", "b", `{"image":{"context":"c","content":"data:;base64,////"}}`},
		{"GET", APIPrefix + "/media/x", "x", ""},
		{"GET", APIPrefix + "/attempts/%00/media", "%00", ""},
		{"OPTIONS", APIPrefix + "/anything", "", ""},
		{"POST", FlowPrefix + "x/upload", "", "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\n\r\n--b--"},
		{"POST", FlowPrefix + "x/decide", "", "status=approved"},
		{"POST", VerifiMeAPIPrefix + "/user/invite", "", `{"email":"a@b","referenceData":"r"}`},
		{"POST", simulator.InvitePage + "x/complete", "", "name=" + strings.Repeat("a", 300)},
		{"GET", simulator.AssessmentPage + "x", "", ""},
		{"GET", simulator.InviteQR + "x", "", ""},
	} {
		f.Add(s.method, s.path, s.sigOver, s.body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	sim := simulator.New(ctx, simulator.Config{Secret: secret, APIKey: key, Manual: true, VerifiMeSecret: secret,
		TrackingStep: time.Hour, Target: func() string { return "http://127.0.0.1:1" },
		HTTP: &http.Client{Timeout: time.Millisecond}, Failed: func(error) {}})
	h := Handler(Config{Sim: sim, APIKey: key, Secret: secret, MaxBody: 1 << 16,
		Record: func(context.Context, sessions.Record) {}, Created: func(context.Context, sessions.TestSession) {}})
	f.Fuzz(func(t *testing.T, method, path, sigOver, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://sandbox"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("X-AUTH-CLIENT", key)
		req.Header.Set("X-HMAC-SIGNATURE", decode.Sign(secret, []byte(sigOver)))
		if strings.HasPrefix(body, "--b") {
			req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		} else if !strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusBadGateway {
			t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
	})
}
