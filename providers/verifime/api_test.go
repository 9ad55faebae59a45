package verifime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeVerifiMe answers as the documentation describes: invites with a
// tracking reference, validation errors, and tracking statuses that move
// one way as the test says.
type fakeVerifiMe struct {
	mu      sync.Mutex
	status  map[string]string
	bodies  []map[string]any
	rawMode bool // answer tracking with a body that has no status field
}

func (f *fakeVerifiMe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/user/invite":
		var req map[string]any
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &req) != nil {
			w.WriteHeader(400)
			io.WriteString(w, `{"request":{},"validationResults":[{"name":"body","resultName":"Invalid","message":"Body is not JSON"}]}`)
			return
		}
		f.bodies = append(f.bodies, req)
		if email, _ := req["email"].(string); !strings.Contains(email, "@") {
			w.WriteHeader(400)
			io.WriteString(w, `{"request":`+string(body)+`,"validationResults":[{"name":"email","resultName":"InvalidEmail","message":"Email is not valid"}]}`)
			return
		}
		if req["code"] == "" {
			w.WriteHeader(400)
			io.WriteString(w, `{"request":{},"validationResults":[{"name":"code","resultName":"Required","message":"Organisation code is required"}]}`)
			return
		}
		ref := "6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e"
		f.status[ref] = Inactive
		io.WriteString(w, `{"trackingReference":"`+ref+`","inviteUrl":"https://app.stage.verifime.com/invite/`+ref+`","qrCodeUrl":"https://api.stage.verifime.com/qr/`+ref+`.png"}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/user/signup/tracking/"):
		ref := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/user/signup/tracking/"), "/status")
		st, ok := f.status[ref]
		if !ok {
			w.WriteHeader(404)
			io.WriteString(w, `{"message":"Tracking reference not found"}`)
			return
		}
		if f.rawMode {
			io.WriteString(w, `{"state":"`+st+`","updated":"now"}`)
			return
		}
		io.WriteString(w, `{"status":"`+st+`"}`)
	default:
		w.WriteHeader(404)
	}
}

func TestInviteAndTracking(t *testing.T) {
	f := &fakeVerifiMe{status: map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL)
	inv, err := c.Invite(context.Background(), InviteRequest{Email: "jane@example.com", Code: "ORG1", ReferenceData: "kw-1",
		CustomerContext: CustomerContext{FirstName: "Jane", FamilyName: "Citizen"}})
	if err != nil {
		t.Fatal(err)
	}
	if inv.TrackingReference == "" || !strings.HasPrefix(inv.InviteURL, "https://app.stage.verifime.com/invite/") {
		t.Fatalf("%+v", inv)
	}
	sent := f.bodies[0]
	if sent["sendInvitationEmail"] != false || sent["referenceData"] != "kw-1" || sent["code"] != "ORG1" ||
		sent["customerContext"].(map[string]any)["familyName"] != "Citizen" {
		t.Fatalf("sent %v", sent)
	}
	for _, want := range []string{Inactive, Active, Completed} {
		f.mu.Lock()
		f.status[inv.TrackingReference] = want
		f.mu.Unlock()
		got, raw, err := c.TrackingStatus(context.Background(), inv.TrackingReference)
		if err != nil || got != want || !strings.Contains(raw, want) {
			t.Fatalf("status %q raw %q err %v, want %s", got, raw, err, want)
		}
	}
	// A body without a status field: no guess, the raw answer instead.
	f.rawMode = true
	got, raw, err := c.TrackingStatus(context.Background(), inv.TrackingReference)
	if err != nil || got != "" || raw != `{"state":"Completed","updated":"now"}` {
		t.Fatalf("raw mode: %q %q %v", got, raw, err)
	}
	if _, _, err := c.TrackingStatus(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown reference: %v", err)
	}
}

func TestInviteErrors(t *testing.T) {
	srv := httptest.NewServer(&fakeVerifiMe{status: map[string]string{}})
	defer srv.Close()
	c := NewClient(srv.URL)
	_, err := c.Invite(context.Background(), InviteRequest{Email: "not-an-email", Code: "ORG1"})
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != 400 || len(e.Results) != 1 || !strings.Contains(err.Error(), "email: Email is not valid") {
		t.Fatalf("%v", err)
	}
	srv.Close()
	if _, err := c.Invite(context.Background(), InviteRequest{Email: "a@b.c", Code: "X"}); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("down: %v", err)
	}
	if _, err := NewClient("https://no-such-host.invalid").Invite(context.Background(), InviteRequest{}); err == nil ||
		!strings.Contains(err.Error(), "VERIFIME_API_URL") {
		t.Errorf("no DNS: %v", err)
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]string{`{"status":"Active"}`: "Active", `"Completed"`: "Completed", `{"x":1}`: "", `oops`: ""} {
		if got := ParseStatus([]byte(in)); got != want {
			t.Errorf("%s: %q", in, got)
		}
	}
}
