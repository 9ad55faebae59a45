package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/providers/verifime"
)

// byHand: the tracking status moves only with the customer's page.
func byHand(c *simulator.Config) { c.TrackingStep = time.Hour }

func (g *rig) invite(t *testing.T, ref string) verifime.Invite {
	t.Helper()
	body := `{"email":"jane@example.com","code":"ORG","referenceData":"` + ref + `","customerContext":{"firstName":"Jane","familyName":"Citizen"}}`
	resp, err := http.Post(g.url+VerifiMeAPIPrefix+"/user/invite", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var inv verifime.Invite
	if err := json.NewDecoder(resp.Body).Decode(&inv); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	return inv
}

func (g *rig) tracking(t *testing.T, ref string) string {
	t.Helper()
	resp, err := http.Get(g.url + VerifiMeAPIPrefix + "/user/signup/tracking/" + ref + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st map[string]string
	json.NewDecoder(resp.Body).Decode(&st)
	return st["status"]
}

func get(t *testing.T, u string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// TestVerifiMeInvitePageInVerifiMesOrder: the invite URL opens the
// customer's page (Active), their details complete phase 1 (Completed),
// then the signed assessment follows (phase 2), whose portal URL opens.
func TestVerifiMeInvitePageInVerifiMesOrder(t *testing.T) {
	g := newRig(t, byHand)
	inv := g.invite(t, "order-9")
	if !strings.HasPrefix(inv.InviteURL, g.url+simulator.InvitePage) || g.tracking(t, inv.TrackingReference) != "Inactive" {
		t.Fatalf("%+v", inv)
	}
	status, _, page := get(t, inv.InviteURL)
	if status != 200 || !bytes.Contains(page, []byte(`id="complete"`)) || !bytes.Contains(page, []byte(`value="Jane Citizen"`)) {
		t.Fatalf("%d\n%s", status, page)
	}
	if st := g.tracking(t, inv.TrackingReference); st != "Active" {
		t.Fatalf("after opening: %s", st)
	}
	resp, err := http.PostForm(inv.InviteURL+"/complete", url.Values{"name": {"Jane Q Citizen"}, "dob": {"1990-01-02"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte(`id="done"`)) || g.tracking(t, inv.TrackingReference) != "Completed" {
		t.Fatalf("after the details:\n%s", page)
	}
	got := g.sink.wait(t, 2)
	if got[0].State != "preliminary" || got[1].State != "assessed" || got[1].SessionID != "order-9" {
		t.Fatalf("assessments %+v", got)
	}
	// Completed is one way.
	resp, _ = http.PostForm(inv.InviteURL+"/complete", url.Values{"name": {"Again"}})
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(page, []byte(`id="problem"`)) {
		t.Errorf("a second data entry:\n%s", page)
	}
	// The assessment's portal URL, as the webhook carries it.
	_, _, page = get(t, inv.InviteURL)
	var portal string
	if i := bytes.Index(page, []byte(g.url+simulator.AssessmentPage)); i >= 0 {
		portal = string(page[i : i+bytes.IndexByte(page[i:], '"')])
	}
	status, _, page = get(t, portal)
	if status != 200 || !bytes.Contains(page, []byte("Jane Q Citizen")) {
		t.Fatalf("portal %q: %d\n%s", portal, status, page)
	}
	status, ctype, img := get(t, inv.QRCodeURL)
	if _, err := png.Decode(bytes.NewReader(img)); status != 200 || ctype != "image/png" || err != nil {
		t.Errorf("QR: %d %s %v", status, ctype, err)
	}
	// The steps are on the session's timeline, with their bodies.
	g.mu.Lock()
	defer g.mu.Unlock()
	var notes []string
	for _, r := range g.records {
		if r.Delivery.SessionID == "order-9" && strings.HasPrefix(r.Delivery.Note, "customer:") {
			notes = append(notes, r.Delivery.Note)
			if strings.Contains(r.Delivery.Note, "details sent") && !bytes.Contains(r.Body, []byte("name=Jane+Q+Citizen")) {
				t.Errorf("stored body %q", r.Body)
			}
		}
	}
	if len(notes) != 3 {
		t.Errorf("timeline %v", notes)
	}
	g.sink.mu.Lock()
	defer g.sink.mu.Unlock()
	if g.sink.bad != 0 {
		t.Errorf("%d badly signed", g.sink.bad)
	}
}

// TestATUIInviteOpensInTheSandbox: an invite made by another simulator
// (the TUI's `i`) opens at its invite URL on the sandbox.
func TestATUIInviteOpensInTheSandbox(t *testing.T) {
	var url string
	ctx, cancel := context.WithCancel(context.Background())
	other := simulator.New(ctx, simulator.Config{Secret: "s", APIKey: key, VerifiMeSecret: "vm", TrackingStep: time.Hour,
		Target: func() string { return url }, Failed: func(error) {}})
	t.Cleanup(func() { cancel(); other.Wait() })
	g := newRigWith(t, []*simulator.Simulator{other})
	url = g.url
	// A simulator the sandbox was not given is not its business.
	stranger := simulator.New(ctx, simulator.Config{Secret: "s", APIKey: key, VerifiMeSecret: "vm", TrackingStep: time.Hour,
		Target: func() string { return url }, Failed: func(error) {}})
	t.Cleanup(func() { cancel(); stranger.Wait() })
	if inv, err := stranger.Invite(ctx, verifime.InviteRequest{Email: "a@example.com", ReferenceData: "kw-other-1"}); err != nil {
		t.Fatal(err)
	} else if status, _, _ := get(t, inv.InviteURL); status != 404 {
		t.Errorf("an invite of a simulator the sandbox was not given: %d, want 404", status)
	}
	inv, err := other.Invite(ctx, verifime.InviteRequest{Email: "a@example.com", ReferenceData: "kw-tui-1"})
	if err != nil {
		t.Fatal(err)
	}
	status, _, page := get(t, inv.InviteURL)
	if status != 200 || !bytes.Contains(page, []byte("kw-tui-1")) {
		t.Fatalf("%d\n%s", status, page)
	}
	if st, _, _ := other.TrackingStatus(ctx, inv.TrackingReference); st != "Active" {
		t.Errorf("tracking %s", st)
	}
	if status, _, _ = get(t, g.url+simulator.InvitePage+"nope"); status != 404 {
		t.Errorf("unknown invite: %d", status)
	}
}
