package decode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../testdata/payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpecSamples decodes every fixture (the spec's samples made valid, plus
// the shapes protocol.md describes) and checks what a user would look at.
func TestSpecSamples(t *testing.T) {
	cases := []struct {
		file             string
		kind             Kind
		provider         Provider
		session, attempt string
		code             int
		state            string
		check            func(t *testing.T, d Delivery)
	}{
		{"veriff-event-7001-started.json", KindEvent, Veriff, "f04bdb47-d3be-4b28-b028-a652feb060b5", "e30122d1-740b-4764-853f-470374a7abf4", 7001, "started", nil},
		{"veriff-event-7002-submitted.json", KindEvent, Veriff, "f04bdb47-d3be-4b28-b028-a652feb060b5", "e30122d1-740b-4764-853f-470374a7abf4", 7002, "submitted", func(t *testing.T, d Delivery) {
			if d.VendorData != "12345678" || d.EndUserID != "a1b2c35d-e8f7-6d5e-3cd2-a1b2c35db3d4" || d.Event.Feature != "selfid" {
				t.Errorf("%+v", d)
			}
		}},
		{"veriff-event-7005-legacy-address.json", KindEvent, Veriff, "f04bdb47-d3be-4b28-b028-a652feb060b5", "", 7005, "address_submitted", func(t *testing.T, d Delivery) {
			if d.Event.AddressID == "" {
				t.Error("addressId lost")
			}
		}},
		{"veriff-event-7007-waiting-complete.json", KindEvent, Veriff, "f04bdb47-d3be-4b28-b028-a652feb060b5", "e30122d1-740b-4764-853f-470374a7abf4", 7007, "waiting_complete", func(t *testing.T, d Delivery) {
			if d.Event.ContextReason != "final_decision_received" {
				t.Errorf("%+v", d.Event)
			}
		}},
		{"veriff-event-7009-flow-finished.json", KindEvent, Veriff, "f04bdb47-d3be-4b28-b028-a652feb060b5", "e30122d1-740b-4764-853f-470374a7abf4", 7009, "flow_finished", nil},
		{"veriff-event-7010-flow-cancelled.json", KindEvent, Veriff, "f04bdb47-d3be-4b28-b028-a652feb060b5", "e30122d1-740b-4764-853f-470374a7abf4", 7010, "flow_cancelled", func(t *testing.T, d Delivery) {
			if d.Event.ContextState != "camera_access_blocked_screen_shown" {
				t.Errorf("%+v", d.Event)
			}
		}},
		{"veriff-decision-approved.json", KindDecision, Veriff, "12df6045-3846-3e45-946a-14fa6136d78b", "00bca969-b53a-4fad-b065-874d41a7b2b8", 9001, "approved", func(t *testing.T, d Delivery) {
			dec := d.Decision
			if dec.Person.FirstName != "SARAH" || dec.Person.LastName != "MORGAN" || dec.Person.DateOfBirth != "1967-03-30" {
				t.Errorf("person %+v", dec.Person)
			}
			if dec.Document.Type != "DRIVERS_LICENSE" || dec.Document.Number != "MORGA753116SM9IJ" || dec.Document.Country != "US" {
				t.Errorf("document %+v", dec.Document)
			}
			if dec.RiskScore == nil || *dec.RiskScore != 0.12 || len(dec.RiskLabels) != 1 || dec.RiskLabels[0].Category != "document" {
				t.Errorf("risk %+v %+v", dec.RiskScore, dec.RiskLabels)
			}
			if dec.HighRisk == nil || *dec.HighRisk || dec.IP != "186.153.67.122" {
				t.Errorf("highRisk/ip %+v %q", dec.HighRisk, dec.IP)
			}
			if dec.Person.Address == "" || d.VendorData != "12345678" {
				t.Errorf("%+v", dec.Person)
			}
		}},
		{"veriff-decision-declined.json", KindDecision, Veriff, "12df6045-3846-3e45-946a-14fa6136d78b", "00bca969-b53a-4fad-b065-874d41a7b2b8", 9102, "declined", func(t *testing.T, d Delivery) {
			if d.Decision.ReasonCode != 102 || d.Decision.Reason != "Suspected document tampering" {
				t.Errorf("%+v", d.Decision)
			}
		}},
		{"veriff-decision-resubmission.json", KindDecision, Veriff, "12df6045-3846-3e45-946a-14fa6136d78b", "3b0d8b3a-0f0e-4b1e-9f0c-2b2d8d0f6a11", 9103, "resubmission_requested", nil},
		{"veriff-decision-expired.json", KindDecision, Veriff, "5e1a4a3c-7f43-4a8d-8d7b-1c0b2a9e7d51", "", 9104, "expired", nil},
		{"veriff-decision-abandoned.json", KindDecision, Veriff, "5e1a4a3c-7f43-4a8d-8d7b-1c0b2a9e7d52", "a5f0a3c1-9b5e-4c07-8b44-5f5f8d0b1f12", 9104, "abandoned", nil},
		{"veriff-decision-review.json", KindDecision, Veriff, "7a0d3e0b-2b8c-4d3f-a2b7-3e4f5a6b7c8d", "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", 9121, "review", nil},
		{"veriff-decision-null.json", KindDecision, Veriff, "", "", 0, "no decision yet", func(t *testing.T, d Delivery) {
			if !d.Decision.Null {
				t.Error("null decision not marked")
			}
		}},
		{"veriff-fullauto.json", KindDecision, Veriff, "0b10cb53-4f3b-48af-bd74-60b85354e51f", "f2270684-8c51-4d03-88eb-dafd43e8b486", 0, "approved", func(t *testing.T, d Delivery) {
			if !d.Decision.FullAuto {
				t.Error("full auto not marked")
			}
		}},
		{"veriff-user-status.json", KindUserStatus, Veriff, "0b10cb53-4f3b-48af-bd74-60b85354e51f", "f2270684-8c51-4d03-88eb-dafd43e8b486", 0, "custom_status_for_suspicious_attempt", func(t *testing.T, d Delivery) {
			if d.UserStatus.Reason != "Looks like velocity abuse" || d.UserStatus.Status == "" {
				t.Errorf("%+v", d.UserStatus)
			}
		}},
		{"veriff-watchlist-camel.json", KindWatchlist, Veriff, "f5c64fd0-1d7e-4a2a-b0b2-1a9b5b9a5b3f", "54233318-f81c-4ec4-8e4c-413168a3f5e6", 0, "possible_match", func(t *testing.T, d Delivery) {
			if d.Watchlist.TotalHits != 1 || d.Watchlist.Hits != 1 || d.Watchlist.CheckType != "initial_result" {
				t.Errorf("%+v", d.Watchlist)
			}
		}},
		{"veriff-watchlist-pep.json", KindWatchlist, Veriff, "0c6f6a2e-8d1b-4f3a-9e2c-7b5a4d3c2b1a", "9c4e1f2a-3b5d-4c6e-8f7a-1b2c3d4e5f60", 0, "possible_match", func(t *testing.T, d Delivery) {
			if d.Watchlist.TotalHits != 2 || d.Watchlist.Hits != 2 || d.Watchlist.CheckType != "updated_result" {
				t.Errorf("%+v", d.Watchlist)
			}
		}},
		{"veriff-watchlist-snake.json", KindWatchlist, Veriff, "", "54233318-f81c-4ec4-8e4c-413168a3f5e6", 0, "no_match", func(t *testing.T, d Delivery) {
			if d.Watchlist.CheckType != "updated_result" || d.VendorData != "user-3" {
				t.Errorf("%+v", d.Watchlist)
			}
		}},
		{"verifime-risk-assessed.json", KindRiskAssessment, VerifiMe, "order-1234", "", 0, "assessed", func(t *testing.T, d Delivery) {
			if d.Risk.RiskLevel != "LOW" || d.Risk.CustomerName != "Jane Citizen" || d.Risk.PortalURL == "" {
				t.Errorf("%+v", d.Risk)
			}
		}},
		{"verifime-risk-placeholder.json", KindRiskAssessment, VerifiMe, `{"customerId":42}`, "", 0, "pending", func(t *testing.T, d Delivery) {
			if d.Risk.EventID != "uuid" || d.Risk.RiskLevel != "" {
				t.Errorf("%+v", d.Risk)
			}
		}},
		{"unknown-shape.json", KindUnknown, Unknown, "", "", 0, "", func(t *testing.T, d Delivery) {
			if strings.Join(d.Unknown, ",") != "hello,n" {
				t.Errorf("%v", d.Unknown)
			}
		}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			d := Decode(load(t, c.file))
			if d.Kind != c.kind || d.Provider != c.provider || d.SessionID != c.session || d.AttemptID != c.attempt || d.Code != c.code || d.State != c.state {
				t.Fatalf("got kind=%s provider=%q session=%q attempt=%q code=%d state=%q",
					d.Kind, d.Provider, d.SessionID, d.AttemptID, d.Code, d.State)
			}
			if c.check != nil {
				c.check(t, d)
			}
		})
	}
	all, _ := filepath.Glob("../testdata/payloads/*.json")
	for _, f := range all {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no expectations", f)
		}
	}
}

// TestBrokenSpecSamples: the spec's samples as printed are not valid JSON.
func TestBrokenSpecSamples(t *testing.T) {
	all, _ := filepath.Glob("../testdata/payloads/broken/*")
	if len(all) < 3 {
		t.Fatal("broken fixtures missing")
	}
	for _, f := range all {
		b, _ := os.ReadFile(f)
		d := Decode(b)
		if d.Kind != KindInvalid || !strings.HasPrefix(d.Problem, "not valid JSON") {
			t.Errorf("%s: %s %q", f, d.Kind, d.Problem)
		}
	}
}

func TestInvalidAndOdd(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	for in, want := range map[string]Kind{
		"":                               KindInvalid,
		"  \n":                           KindInvalid,
		"null":                           KindUnknown,
		"[1,2]":                          KindUnknown,
		`"str"`:                          KindUnknown,
		deep:                             KindInvalid,
		`{"code":"7002","id":"s"}`:       KindEvent,
		`{"code":7002.0,"id":"s"}`:       KindEvent,
		`{"code":123}`:                   KindUnknown,
		`{"verification":{}}`:            KindUnknown,
		`{"verification":"x"}`:           KindUnknown,
		`{"eventType":"fullauto"}`:       KindDecision,
		`{"check_type":5}`:               KindWatchlist,
		`{"code":9001,"id":"x"}`:         KindUnknown,
		"{\"id\":\"\x1b[31m\"}":          KindInvalid, // raw control byte in a string
		`{"id":"\u001b[2J","code":7001}`: KindEvent,
	} {
		if d := Decode([]byte(in)); d.Kind != want {
			t.Errorf("Decode(%q) = %s (%s), want %s", in, d.Kind, d.Problem, want)
		}
	}
	// Types that drift must not spoil the rest.
	d := Decode([]byte(`{"id":{"x":1},"attemptId":7,"code":7001,"vendorData":["a"],"context":"str"}`))
	if d.Kind != KindEvent || d.SessionID != "" || d.AttemptID != "7" || d.VendorData != "" || d.State != "started" {
		t.Errorf("%+v", d)
	}
	// New fields are kept (named) and never break decoding.
	d = Decode([]byte(`{"id":"s","code":7002,"action":"submitted","brandNewField":{"a":1}}`))
	if d.Kind != KindEvent || strings.Join(d.Unknown, ",") != "brandNewField" {
		t.Errorf("%+v", d)
	}
}

func FuzzDecode(f *testing.F) {
	all, _ := filepath.Glob("../testdata/payloads/*.json")
	broken, _ := filepath.Glob("../testdata/payloads/broken/*")
	for _, p := range append(all, broken...) {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte(strings.Repeat("[", 100000)))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := Decode(body)
		if d.Kind == "" {
			t.Fatal("no kind")
		}
		if d.Kind == KindInvalid && d.Problem == "" {
			t.Fatal("invalid without a reason")
		}
		_ = ProviderOf(map[string][]string{}, d.Kind)
	})
}
