package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/sessions"
)

const (
	key    = "0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"
	secret = "sandbox-secret"
)

// sink is the user's backend: it receives the sandbox's webhooks.
type sink struct {
	mu  sync.Mutex
	got []decode.Delivery
	bad int // deliveries whose signature or API key was wrong
	ch  chan struct{}
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d := decode.Decode(body)
	provider := decode.ProviderOf(r.Header, d.Kind)
	v := decode.Verify(r.Header, body, provider,
		decode.Keys{VeriffSecrets: []string{secret}, VeriffAPIKey: key, VerifiMeSecrets: []string{secret}})
	if provider == decode.VerifiMe {
		v.APIKey = decode.KeyMatch // VerifiMe sends none
	}
	s.mu.Lock()
	if v.Signature != decode.SigValid || v.APIKey != decode.KeyMatch {
		s.bad++
	}
	s.got = append(s.got, d)
	s.mu.Unlock()
	s.ch <- struct{}{}
	w.WriteHeader(200)
}

func (s *sink) wait(t *testing.T, n int) []decode.Delivery {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		if len(s.got) >= n {
			out := append([]decode.Delivery(nil), s.got...)
			s.mu.Unlock()
			return out
		}
		s.mu.Unlock()
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("%d webhooks, want %d", len(s.got), n)
		}
	}
}

type rig struct {
	sim     *simulator.Simulator
	url     string
	sink    *sink
	mu      sync.Mutex
	records []sessions.Record
	created []sessions.TestSession
}

func newRig(t *testing.T, opts ...func(*simulator.Config)) *rig {
	t.Helper()
	return newRigWith(t, nil, opts...)
}

// newRigWith is newRig whose end-user pages also open the invites of
// others (Config.Others).
func newRigWith(t *testing.T, others []*simulator.Simulator, opts ...func(*simulator.Config)) *rig {
	t.Helper()
	g := &rig{sink: &sink{ch: make(chan struct{}, 100)}}
	hook := httptest.NewServer(g.sink)
	t.Cleanup(hook.Close)
	var base string
	ctx, cancel := context.WithCancel(context.Background())
	cfg := simulator.Config{Secret: secret, APIKey: key, Manual: true,
		VerifiMeSecret: secret, TrackingStep: 20 * time.Millisecond, AssessAfter: 40 * time.Millisecond,
		Target:     func() string { return base },
		Webhook:    func(string) string { return hook.URL + "/webhooks/veriff" },
		SessionURL: func(id string) string { return base + FlowPrefix + id },
		Failed:     func(err error) { t.Errorf("webhook: %v", err) }}
	for _, o := range opts {
		o(&cfg)
	}
	sim := simulator.New(ctx, cfg)
	h := Handler(Config{Sim: sim, Others: others, APIKey: key, Secret: secret,
		Record: func(_ context.Context, r sessions.Record) {
			g.mu.Lock()
			g.records = append(g.records, r)
			g.mu.Unlock()
		},
		Created: func(_ context.Context, ts sessions.TestSession) {
			g.mu.Lock()
			g.created = append(g.created, ts)
			g.mu.Unlock()
		}})
	srv := httptest.NewServer(h)
	base = srv.URL
	g.sim = sim
	g.url = srv.URL
	t.Cleanup(func() { srv.Close(); cancel(); sim.Wait() })
	return g
}

// call sends an API request signed as a Veriff client signs it: over the
// body, or over the session id for GET and DELETE.
func (g *rig) call(t *testing.T, method, path, body, apiKey, signWith, sigOver string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, g.url+APIPrefix+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("X-AUTH-CLIENT", apiKey)
	}
	if signWith != "" {
		req.Header.Set("X-HMAC-SIGNATURE", decode.Sign(signWith, []byte(sigOver)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s answered %d with non-JSON %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestAuthenticationAndErrorsAsVeriff(t *testing.T) {
	g := newRig(t)
	good := `{"verification":{"vendorData":"v-1"}}`
	_, created := g.call(t, "POST", "/sessions", good, key, secret, good)
	id := created["verification"].(map[string]any)["id"].(string)
	cases := []struct {
		name, method, path, body, key, signWith, sigOver string
		status                                           int
		code                                             string
	}{
		{"no API key", "POST", "/sessions", good, "", secret, good, 401, "1801"},
		{"API key not a UUID", "POST", "/sessions", good, "not-a-uuid", secret, good, 401, "1802"},
		{"unknown API key", "POST", "/sessions", good, "11111111-2222-3333-4444-555555555555", secret, good, 401, "1803"},
		{"wrong body signature", "POST", "/sessions", good, key, "wrong", good, 401, "1819"},
		{"PATCH unsigned", "PATCH", "/sessions/" + id, `{"verification":{"status":"submitted"}}`, key, "", "", 401, "1812"},
		{"GET signed over the body, not the id", "GET", "/sessions/" + id + "/decision", "", key, secret, "", 401, "1818"},
		{"unknown session", "GET", "/sessions/6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e/attempts", "", key, secret, "6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e", 404, "404"},
		{"bad JSON", "POST", "/sessions", `{"verification":`, key, secret, `{"verification":`, 400, "1102"},
		{"no verification", "POST", "/sessions", `{}`, key, secret, `{}`, 400, "1102"},
		{"vendorData not a string", "POST", "/sessions", `{"verification":{"vendorData":42}}`, key, secret, `{"verification":{"vendorData":42}}`, 400, "1501"},
		{"invalid status", "PATCH", "/sessions/" + id, `{"verification":{"status":"approved"}}`, key, secret, `{"verification":{"status":"approved"}}`, 400, "1303"},
		{"no such endpoint", "GET", "/nope", "", key, secret, "", 404, "404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := g.call(t, c.method, c.path, c.body, c.key, c.signWith, c.sigOver)
			if status != c.status || out["status"] != "fail" || out["code"] != c.code || out["message"] == "" {
				t.Fatalf("answered %d %v, want %d code %s", status, out, c.status, c.code)
			}
		})
	}
	// Every call is recorded, with its verdict.
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.records) != len(cases)+1 {
		t.Fatalf("%d records", len(g.records))
	}
	if r := g.records[4]; r.Verdict.Signature != decode.SigInvalid || r.Status != 401 || r.Delivery.Kind != decode.KindAPICall {
		t.Errorf("wrong signature recorded as %+v %+v", r.Verdict, r.Delivery)
	}
	if r := g.records[0]; r.Verdict.Signature != decode.SigValid || r.Delivery.SessionID != id || r.Status != 201 {
		t.Errorf("create recorded as %+v %+v", r.Verdict, r.Delivery)
	}
}

func TestALifecycleThroughTheAPI(t *testing.T) {
	g := newRig(t)
	body := `{"verification":{"callback":"https://app.example/back","person":{"firstName":"Ada","lastName":"Lovelace"},"vendorData":"user-42","endUserId":"a1b2c35d-e8f7-6d5e-3cd2-a1b2c35db3d4"}}`
	status, out := g.call(t, "POST", "/sessions", body, key, "", "") // a signature is optional here
	v := out["verification"].(map[string]any)
	id := v["id"].(string)
	if status != 201 || out["status"] != "success" || v["status"] != "created" || v["vendorData"] != "user-42" ||
		v["url"] != g.url+FlowPrefix+id || v["sessionToken"] == "" || v["host"] != g.url {
		t.Fatalf("%d %v", status, out)
	}
	if len(g.created) != 1 || g.created[0].ID != id || g.created[0].Source != sessions.SourceSandbox || g.created[0].FirstName != "Ada" {
		t.Fatalf("created %+v", g.created)
	}
	media := `{"image":{"context":"document-front","content":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==","timestamp":"2026-11-23T09:00:00.000Z"}}`
	if status, out = g.call(t, "POST", "/sessions/"+id+"/media", media, key, secret, media); status != 200 ||
		out["image"].(map[string]any)["mimetype"] != "image/png" {
		t.Fatalf("media %d %v", status, out)
	}
	patch := `{"verification":{"status":"submitted","timestamp":"2026-11-23T09:00:01.000Z"}}`
	if status, out = g.call(t, "PATCH", "/sessions/"+id, patch, key, secret, patch); status != 200 || out["verification"].(map[string]any)["status"] != "submitted" {
		t.Fatalf("patch %d %v", status, out)
	}
	if got := g.sink.wait(t, 1); got[0].Code != 7002 || got[0].SessionID != id || got[0].VendorData != "user-42" {
		t.Fatalf("webhook %+v", got[0])
	}
	if status, out = g.call(t, "POST", "/sessions/"+id+"/media", media, key, secret, media); status != 409 || out["code"] != "1304" {
		t.Errorf("media after submit: %d %v", status, out)
	}
	if status, out = g.call(t, "PATCH", "/sessions/"+id, patch, key, secret, patch); status != 409 {
		t.Errorf("submit twice: %d %v", status, out)
	}
	if status, out = g.call(t, "GET", "/sessions/"+id+"/media", "", key, secret, id); status != 200 || len(out["images"].([]any)) != 1 {
		t.Errorf("list media %d %v", status, out)
	}
	if status, out = g.call(t, "GET", "/sessions/"+id+"/decision", "", key, secret, id); status != 200 || out["verification"] != nil {
		t.Errorf("decision before one %d %v", status, out)
	}
	// The person testing decides (here through the page's form).
	resp, err := http.PostForm(g.url+FlowPrefix+id+"/decide", map[string][]string{"status": {"declined"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("decide: %v %v", resp, err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte(`<b id="decision">declined</b>`)) || !bytes.Contains(page, []byte(`href="https://app.example/back"`)) {
		t.Errorf("page after deciding:\n%s", page)
	}
	got := g.sink.wait(t, 2)
	if d := got[1]; d.Kind != decode.KindDecision || d.State != "declined" || d.Code != 9102 || d.SessionID != id {
		t.Fatalf("decision webhook %+v", d)
	}
	if status, out = g.call(t, "GET", "/sessions/"+id+"/decision", "", key, secret, id); status != 200 ||
		out["verification"].(map[string]any)["status"] != "declined" || out["verification"].(map[string]any)["reasonCode"] == nil {
		t.Errorf("decision %d %v", status, out)
	}
	if status, out = g.call(t, "GET", "/sessions/"+id+"/attempts", "", key, secret, id); status != 200 ||
		out["verifications"].([]any)[0].(map[string]any)["status"] != "declined" {
		t.Errorf("attempts %d %v", status, out)
	}
	if status, _ = g.call(t, "DELETE", "/sessions/"+id, "", key, secret, id); status != 409 {
		t.Errorf("delete a decided session: %d", status)
	}
	// DELETE on a fresh session: expired.
	_, out = g.call(t, "POST", "/sessions", `{"verification":{}}`, key, secret, `{"verification":{}}`)
	id2 := out["verification"].(map[string]any)["id"].(string)
	if status, out = g.call(t, "DELETE", "/sessions/"+id2, "", key, secret, id2); status != 200 || out["verification"].(map[string]any)["status"] != "expired" {
		t.Errorf("delete %d %v", status, out)
	}
	if got = g.sink.wait(t, 3); got[2].State != "expired" || got[2].SessionID != id2 {
		t.Errorf("expired webhook %+v", got[2])
	}
	g.sink.mu.Lock()
	defer g.sink.mu.Unlock()
	if g.sink.bad != 0 {
		t.Errorf("%d webhooks not signed as Veriff signs", g.sink.bad)
	}
}

func TestVerifiMeEndpoints(t *testing.T) {
	g := newRig(t)
	body := `{"email":"jane@example.com","code":"ORG","referenceData":"order-77","customerContext":{"firstName":"Jane","familyName":"Citizen"},"sendInvitationEmail":false}`
	resp, err := http.Post(g.url+VerifiMeAPIPrefix+"/user/invite", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var inv map[string]string
	json.NewDecoder(resp.Body).Decode(&inv)
	resp.Body.Close()
	if resp.StatusCode != 200 || inv["trackingReference"] == "" || inv["inviteUrl"] == "" {
		t.Fatalf("%d %v", resp.StatusCode, inv)
	}
	if len(g.created) != 1 || g.created[0].ID != "order-77" || g.created[0].Source != sessions.SourceSandboxVM {
		t.Fatalf("created %+v", g.created)
	}
	var seen []string
	deadline := time.Now().Add(5 * time.Second)
	for len(seen) == 0 || seen[len(seen)-1] != "Completed" {
		resp, err := http.Get(g.url + VerifiMeAPIPrefix + "/user/signup/tracking/" + inv["trackingReference"] + "/status")
		if err != nil {
			t.Fatal(err)
		}
		var st map[string]string
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if len(seen) == 0 || seen[len(seen)-1] != st["status"] {
			seen = append(seen, st["status"])
		}
		if time.Now().After(deadline) {
			t.Fatalf("statuses %v", seen)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// In VerifiMe's order, ending Completed. Each status lasts one
	// TrackingStep (20 ms): on a busy machine a poll may miss one, so the
	// test asks for the order, not for every status.
	order := map[string]int{"Inactive": 1, "Active": 2, "Completed": 3}
	for i, st := range seen {
		if order[st] == 0 || i > 0 && order[st] <= order[seen[i-1]] {
			t.Errorf("statuses %v, want them in the order Inactive, Active, Completed", seen)
			break
		}
	}
	got := g.sink.wait(t, 2)
	if got[1].Kind != decode.KindRiskAssessment || got[1].SessionID != "order-77" || got[1].State != "assessed" {
		t.Fatalf("webhook %+v", got[1])
	}
	// Validation errors in VerifiMe's shape; unknown tracking references.
	resp, _ = http.Post(g.url+VerifiMeAPIPrefix+"/user/invite", "application/json", strings.NewReader(`{"email":"nope"}`))
	var bad map[string]any
	json.NewDecoder(resp.Body).Decode(&bad)
	resp.Body.Close()
	if resp.StatusCode != 400 || len(bad["validationResults"].([]any)) != 2 {
		t.Errorf("validation %d %v", resp.StatusCode, bad)
	}
	resp, _ = http.Get(g.url + VerifiMeAPIPrefix + "/user/signup/tracking/nope/status")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown reference: %d", resp.StatusCode)
	}
	g.sink.mu.Lock()
	defer g.sink.mu.Unlock()
	if g.sink.bad != 0 {
		t.Errorf("%d badly signed webhooks", g.sink.bad)
	}
}
