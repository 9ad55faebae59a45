package sessions

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/providers/veriff"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../testdata/payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signed(body []byte, secret, apiKey string) map[string][]string {
	h := map[string][]string{"Content-Type": {"application/json"}}
	if secret != "" {
		h["X-Hmac-Signature"] = []string{decode.Sign(secret, body)}
	}
	if apiKey != "" {
		h["X-Auth-Client"] = []string{apiKey}
	}
	return h
}

func TestStoreReopenKeepsHistoryAndFindsDuplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rc := NewReceiver(st, decode.Keys{VeriffSecrets: []string{"s"}}, nil)
	body := fixture(t, "veriff-event-7002-submitted.json")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		r, err := rc.Receive(ctx, Incoming{ReceivedAt: t0.Add(time.Duration(i) * time.Second), Method: "POST", Path: "/veriff/events",
			Header: signed(body, "s", ""), Body: body, BodySize: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		if i > 0 {
			want = 1
		}
		if r.Seq != int64(i+1) || r.DuplicateOf != want || r.Status != 200 {
			t.Fatalf("delivery %d: seq %d dup %d status %d", i, r.Seq, r.DuplicateOf, r.Status)
		}
	}
	if st.Last() != 3 || st.Count() != 3 {
		t.Fatalf("last %d count %d", st.Last(), st.Count())
	}
	st.Close()

	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, total, err := st.Recent(ctx, 10)
	if err != nil || total != 3 || len(recs) != 3 {
		t.Fatalf("%v %d %d", err, total, len(recs))
	}
	if recs[0].Seq != 1 || recs[2].DuplicateOf != 1 || recs[0].Delivery.State != "submitted" || recs[0].Body != nil {
		t.Fatalf("%+v", recs[0])
	}
	full, err := st.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if string(full.Body) != string(body) || full.Header["X-Hmac-Signature"][0] != decode.Sign("s", body) {
		t.Fatalf("stored bytes differ: %q", full.Body)
	}
	if full.Delivery.Event == nil || full.Delivery.Event.Feature != "selfid" || !full.ReceivedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("%+v", full)
	}
	// seq goes on over the life of the database.
	rc = NewReceiver(st, decode.Keys{}, nil)
	r, _ := rc.Receive(ctx, Incoming{ReceivedAt: t0, Method: "POST", Path: "/", Header: map[string][]string{}, Body: []byte(`{"x":1}`)})
	if r.Seq != 4 {
		t.Fatalf("seq %d", r.Seq)
	}
	if recs, _, _ := st.Recent(ctx, 2); len(recs) != 2 || recs[0].Seq != 3 || recs[1].Seq != 4 {
		t.Fatalf("recent %+v", recs)
	}
}

func TestJudge(t *testing.T) {
	body := fixture(t, "veriff-decision-approved.json")
	keys := decode.Keys{VeriffSecrets: []string{"s"}, VeriffAPIKey: "k"}
	in := func(h map[string][]string, b []byte) Incoming {
		return Incoming{Method: "POST", Path: "/veriff/decisions", Header: h, Body: b, BodySize: int64(len(b))}
	}
	cases := []struct {
		name   string
		in     Incoming
		keys   decode.Keys
		status int
	}{
		{"good", in(signed(body, "s", "k"), body), keys, 200},
		{"bad signature", in(signed(body, "x", "k"), body), keys, 401},
		{"missing signature", in(signed(body, "", "k"), body), keys, 401},
		{"wrong api key", in(signed(body, "s", "other"), body), keys, 401},
		{"missing api key", in(signed(body, "s", ""), body), keys, 401},
		{"nothing configured", in(map[string][]string{}, body), decode.Keys{}, 200},
		{"empty body, signed", in(signed(nil, "s", "k"), nil), keys, 400},
		{"not JSON, signed", in(signed([]byte("a=b"), "s", "k"), []byte("a=b")), keys, 400},
		{"not JSON, unsigned", in(map[string][]string{}, []byte("a=b")), keys, 401},
		{"unknown JSON", in(signed([]byte(`{"a":1}`), "s", "k"), []byte(`{"a":1}`)), keys, 200},
		{"too large", Incoming{Method: "POST", Header: signed(body, "s", "k"), Body: body[:10], BodySize: 1 << 30, Truncated: true}, keys, 413},
	}
	for _, c := range cases {
		r := Judge(c.in, c.keys)
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d (%+v)", c.name, r.Status, c.status, r.Verdict)
		}
	}
	// VerifiMe: its own secret, and no API-key check.
	vm := fixture(t, "verifime-risk-assessed.json")
	h := map[string][]string{"X-Verifime-Signature": {decode.Sign("vm", vm)}, "X-Verifime-Version": {"1"}}
	r := Judge(in(h, vm), decode.Keys{VeriffSecrets: []string{"s"}, VeriffAPIKey: "k", VerifiMeSecrets: []string{"vm"}})
	if r.Status != 200 || r.Delivery.Provider != decode.VerifiMe || r.Verdict.APIKey != decode.KeyUnchecked {
		t.Fatalf("%+v", r)
	}
}

func TestLineHasTheContractFields(t *testing.T) {
	body := fixture(t, "veriff-event-7001-started.json")
	r := Judge(Incoming{ReceivedAt: t0, Method: "POST", Path: "/veriff/events", Header: signed(body, "s", ""), Body: body}, decode.Keys{VeriffSecrets: []string{"s"}})
	r.Seq = 7
	var m map[string]any
	line := r.MarshalLine()
	if !strings.HasSuffix(string(line), "}\n") || strings.Count(string(line), "\n") != 1 {
		t.Fatalf("%q", line)
	}
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"seq", "received_at", "method", "path", "status", "kind", "provider", "session_id",
		"attempt_id", "code", "state", "signature", "api_key", "duplicate_of", "reason"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	if m["received_at"] != "2026-11-23T09:00:00Z" || m["kind"] != "event" || m["code"] != float64(7001) || m["signature"] != "valid" {
		t.Errorf("%v", m)
	}
}

// TestLineEscapesWhatATerminalWouldObey: headless lines go to a terminal
// as often as to a pipe. ESC is JSON-escaped by encoding/json; C1
// controls (CSI), bidi overrides and invisible characters are escaped too,
// and the line still decodes to the payload's exact strings.
func TestLineEscapesWhatATerminalWouldObey(t *testing.T) {
	body := []byte(`{"id":"S\u009b","code":7001,"action":"started","vendorData":"v\u001b[2J\u009b31m\u202egnp.exe\u2066\u200b\ufeffé日本"}`)
	r := Judge(Incoming{ReceivedAt: t0, Method: "POST", Path: "/veriff/\u202eevents", Body: body}, decode.Keys{})
	if r.Delivery.VendorData == "" || r.Delivery.Kind != decode.KindEvent {
		t.Fatalf("not decoded: %+v", r.Delivery)
	}
	line := r.MarshalLine()
	for _, bad := range []string{"\x1b", "\u009b", "\u202e", "\u2066", "\u200b", "\ufeff"} {
		if strings.Contains(string(line), bad) {
			t.Errorf("raw %q in %s", bad, line)
		}
	}
	if !strings.Contains(string(line), "é日本") {
		t.Errorf("ordinary text escaped: %s", line)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	if m["vendor_data"] != r.Delivery.VendorData || m["session_id"] != r.Delivery.SessionID || m["path"] != r.Path {
		t.Errorf("round trip: %v", m)
	}
}

func rec(seq int64, at time.Duration, status int, body string) Record {
	d := decode.Decode([]byte(body))
	return Record{Incoming: Incoming{ReceivedAt: t0.Add(at)}, Seq: seq, Status: status, Delivery: d,
		Verdict: decode.Verdict{Signature: decode.SigValid, APIKey: decode.KeyUnchecked}}
}

func TestBookFoldsALifecycle(t *testing.T) {
	b := NewBook()
	b.Add(rec(1, 0, 200, `{"id":"S","attemptId":"A1","code":7001,"action":"started","vendorData":"v"}`))
	b.Add(rec(2, 5*time.Second, 200, `{"id":"S","attemptId":"A1","code":7002,"action":"submitted"}`))
	b.Add(rec(3, 6*time.Second, 200, `{"status":"success","verification":{"id":"S","attemptId":"A1","status":"resubmission_requested","code":9103,"reasonCode":204}}`))
	s := b.Get("S")
	if s.State != StateResubmit || len(s.Attempts) != 1 || s.Steps[1].Delta != 5*time.Second || s.VendorData != "v" {
		t.Fatalf("%+v", s)
	}
	b.Add(rec(4, 10*time.Second, 200, `{"id":"S","attemptId":"A2","code":7001,"action":"started"}`))
	if s.State != StateStarted || len(s.Attempts) != 2 {
		t.Fatalf("new attempt: %+v", s)
	}
	// A forged approval (answered 401) does not move the state.
	forged := rec(5, 11*time.Second, 401, `{"verification":{"id":"S","status":"approved","code":9001}}`)
	forged.Verdict.Signature = decode.SigInvalid
	b.Add(forged)
	if s.State != StateStarted || s.Failed != 1 {
		t.Fatalf("forged: %+v", s)
	}
	b.Add(rec(6, 12*time.Second, 200, `{"verification":{"id":"S","attemptId":"A2","status":"approved","code":9001}}`))
	// Late events never undo a decision.
	b.Add(rec(7, 13*time.Second, 200, `{"id":"S","attemptId":"A2","code":7001,"action":"started"}`))
	b.Add(rec(8, 14*time.Second, 200, `{"id":"S","attemptId":"A2","code":7007,"action":"waiting_complete"}`))
	if s.State != StateApproved || len(s.Steps) != 8 {
		t.Fatalf("%+v", s)
	}
	// No session id: the unsorted group, newest first in the list.
	b.Add(rec(9, 20*time.Second, 400, `nope`))
	b.Add(rec(10, 15*time.Second, 200, `{"id":"T","code":7001}`))
	ss := b.Sessions()
	if len(ss) != 3 || !ss[0].Unsorted() || ss[1].ID != "T" || ss[2].ID != "S" || b.Total != 10 {
		t.Fatalf("order: %v %v %v", ss[0].ID, ss[1].ID, ss[2].ID)
	}
	if ss[0].State != "" {
		t.Fatalf("unsorted group has a state: %q", ss[0].State)
	}
}

func TestNextState(t *testing.T) {
	dec := func(s string, code int) decode.Delivery {
		return decode.Delivery{Kind: decode.KindDecision, State: s, Code: code, Decision: &veriff.Decision{Status: s}}
	}
	for _, c := range []struct {
		cur  string
		d    decode.Delivery
		want string
	}{
		{"", decode.Delivery{Kind: decode.KindEvent, Code: 7001}, StateStarted},
		{StateCreated, decode.Delivery{Kind: decode.KindEvent, Code: 7002}, StateSubmitted},
		{StateSubmitted, decode.Delivery{Kind: decode.KindEvent, Code: 7001}, StateSubmitted},
		{StateSubmitted, dec("approved", 9001), StateApproved},
		{StateReview, dec("declined", 9102), StateDeclined},
		{StateSubmitted, dec("", 9104), StateExpired},
		{StateSubmitted, dec("abandoned", 9104), StateAbandoned},
		{StateSubmitted, decode.Delivery{Kind: decode.KindDecision, Decision: &veriff.Decision{Null: true}}, StateSubmitted},
		{StateApproved, decode.Delivery{Kind: decode.KindUserStatus, State: "x"}, StateApproved},
		{"", decode.Delivery{Kind: decode.KindRiskAssessment, State: "preliminary"}, "preliminary"},
	} {
		if got := NextState(c.cur, c.d); got != c.want {
			t.Errorf("NextState(%q, %s %d) = %q, want %q", c.cur, c.d.Kind, c.d.Code, got, c.want)
		}
	}
}

func TestTestSessionsAndTheCreatedStep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ts := TestSession{ID: "f04bdb47-d3be-4b28-b028-a652feb060b5", CreatedAt: at, Source: SourceSimulator, VendorData: "demo-1",
		URL: "http://127.0.0.1:8080/simulator/v/tok", Ref: "ref-1"}
	if err := st.AddTestSession(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, _ = Open(path) // they survive a restart
	defer st.Close()
	list, err := st.TestSessions(context.Background(), 10)
	if err != nil || len(list) != 1 || list[0] != ts || !list[0].Simulated() {
		t.Fatalf("%+v %v", list, err)
	}
	if got, ok := st.TestSessionByRef(context.Background(), "ref-1"); !ok || got.ID != ts.ID {
		t.Fatalf("by ref: %+v", got)
	}
	if _, ok := st.TestSessionByRef(context.Background(), ""); ok {
		t.Fatal("empty ref found a session")
	}

	b := NewBook()
	s := b.AddCreated(ts)
	if s.State != StateCreated || len(s.Steps) != 1 || s.Steps[0].Created == nil || s.VendorData != "demo-1" || b.Total != 0 {
		t.Fatalf("%+v", s)
	}
	started := Judge(Incoming{ReceivedAt: at.Add(3 * time.Second), Method: "POST", Path: "/veriff/events",
		Body: []byte(`{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","attemptId":"a1","feature":"selfid","code":7001,"action":"started","vendorData":"demo-1","endUserId":null}`)}, decode.Keys{})
	s = b.Add(started)
	if s.State != StateStarted || len(s.Steps) != 2 || s.Steps[1].Delta != 3*time.Second || b.Total != 1 {
		t.Fatalf("after started: %+v", s)
	}
	// Created again (a second load): nothing doubles.
	if s = b.AddCreated(ts); len(s.Steps) != 2 {
		t.Fatalf("created twice: %d steps", len(s.Steps))
	}
}

func TestVerifiMeTrackingOnTheTimeline(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := TestSession{ID: "kw-ref-1", CreatedAt: t0, Source: SourceVerifiMeSim, VendorData: "kw-ref-1", Ref: "track-1", Email: "jane@example.com"}
	if err := st.AddTestSession(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.TestSessions(context.Background(), 5); len(got) != 1 || got[0].Email != "jane@example.com" || got[0].Provider() != decode.VerifiMe || !got[0].Simulated() {
		t.Fatalf("%+v", got)
	}
	steps := []TrackingStep{{"kw-ref-1", t0.Add(2 * time.Second), "Inactive", `{"status":"Inactive"}`},
		{"kw-ref-1", t0.Add(4 * time.Second), "Active", `{"status":"Active"}`},
		{"kw-ref-1", t0.Add(9 * time.Second), "Completed", `{"status":"Completed"}`}}
	for _, s := range steps {
		if err := st.AddTracking(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	loaded, err := st.Tracking(context.Background(), []string{"kw-ref-1", "other"})
	if err != nil || len(loaded) != 3 || loaded[2] != steps[2] {
		t.Fatalf("%+v %v", loaded, err)
	}
	// Loaded after the webhook that came later: still in time order.
	b := NewBook()
	b.AddCreated(ts)
	risk := Judge(Incoming{ReceivedAt: t0.Add(60 * time.Second), Method: "POST", Path: "/verifime",
		Body: fixture(t, "verifime-risk-assessed.json")}, decode.Keys{})
	risk.Delivery.SessionID = "kw-ref-1"
	b.Add(risk)
	var s *Session
	for _, tr := range loaded {
		if s = b.AddTracking(tr); s.State != StateAssessed {
			t.Fatalf("tracking undid phase 2: %q", s.State)
		}
	}
	if len(s.Steps) != 5 || s.Steps[4].Delivery.Kind != decode.KindRiskAssessment || s.Steps[3].Tracking.Status != "Completed" ||
		s.Steps[4].Delta != 51*time.Second || s.Steps[1].Delta != 2*time.Second {
		for _, st := range s.Steps {
			t.Logf("%v %+v %v", st.ReceivedAt, st.Tracking, st.Delta)
		}
		t.Fatal("steps out of order")
	}
	// In order, the states move through phase 1.
	wantState := []string{StateInvited, StateEntering, StateEntered}
	b = NewBook()
	b.AddCreated(ts)
	for i, tr := range loaded {
		if s = b.AddTracking(tr); s.State != wantState[i] {
			t.Errorf("after %s: %q", tr.Status, s.State)
		}
	}
	if s = b.AddTracking(TrackingStep{SessionID: "kw-ref-1", At: t0.Add(10 * time.Second), Status: "Active"}); s.State != StateEntered {
		t.Errorf("went back to %q", s.State)
	}
}

func TestExpectations(t *testing.T) {
	approved := Judge(Incoming{Body: fixture(t, "veriff-decision-approved.json")}, decode.Keys{})
	forged := Judge(Incoming{Body: fixture(t, "veriff-decision-approved.json"), Header: map[string][]string{"X-Hmac-Signature": {"00"}}},
		decode.Keys{VeriffSecrets: []string{"s"}})
	submitted := Judge(Incoming{Body: fixture(t, "veriff-event-7002-submitted.json")}, decode.Keys{})
	risk := Judge(Incoming{Body: fixture(t, "verifime-risk-assessed.json")}, decode.Keys{})
	cases := []struct {
		expr string
		r    Record
		want bool
	}{
		{"decision=approved", approved, true},
		{"decision=APPROVED", approved, true},
		{"decision=9001", approved, true},
		{"decision=declined", approved, false},
		{"decision=approved", forged, false},
		{"decision=approved@12df6045-3846-3e45-946a-14fa6136d78b", approved, true},
		{"decision=approved@other", approved, false},
		{"event=submitted", submitted, true},
		{"event=7002", submitted, true},
		{"event=submitted", approved, false},
		{"risk=LOW", risk, true},
		{"risk=assessed", risk, true},
		{"session=order-1234", risk, true},
		{"kind=decision", approved, true},
	}
	for _, c := range cases {
		e, err := ParseExpectation(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := e.Match(c.r); got != c.want {
			t.Errorf("%s on %s %s: %v", c.expr, c.r.Delivery.Kind, c.r.Delivery.State, got)
		}
	}
	for _, bad := range []string{"approved", "color=red", "decision="} {
		if _, err := ParseExpectation(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestExpectationTyposRefused: a value no delivery can carry would wait
// out the timeout, which in CI looks like a missing webhook; it is refused
// at start with the valid values listed.
func TestExpectationTyposRefused(t *testing.T) {
	for bad, want := range map[string]string{
		"decision=aproved":     "approved, declined, resubmission_requested, review, expired, abandoned",
		"decision=9999":        "9001",
		"event=submited":       "started, submitted",
		"risk=LOWW":            "LOW, MEDIUM, HIGH, EXTREME, NO RISK DETECTED",
		"kind=decisions":       "event, decision, user_status, watchlist, risk_assessment",
		"decision=approved@":   "session id after @",
		"session=":             "KEY=VALUE",
		"decision=aproved@abc": "approved",
		"kind=invalid":         "never accepted",
	} {
		_, err := ParseExpectation(bad)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want it to list %q", bad, err, want)
		}
	}
	for _, good := range []string{"decision=Approved", "decision=abandoned", "decision=9104", "event=7001", "event=flow_finished",
		"risk=no risk detected", "risk=PRELIMINARY", "risk=pending", "kind=user_status", "kind=callback", "session=anything"} {
		if _, err := ParseExpectation(good); err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
}

func TestAddOlderKeepsTimeOrderAndState(t *testing.T) {
	ev := func(at time.Duration, body string) Record {
		return Judge(Incoming{ReceivedAt: t0.Add(at), Body: []byte(body)}, decode.Keys{})
	}
	started := ev(0, `{"id":"s","attemptId":"a1","feature":"selfid","code":7001,"action":"started"}`)
	resub := ev(time.Minute, `{"verification":{"id":"s","attemptId":"a1","status":"resubmission_requested","code":9103}}`)
	approved := ev(2*time.Minute, `{"verification":{"id":"s","attemptId":"a2","status":"approved","code":9001}}`)
	b := NewBook()
	b.Add(approved)
	b.AddOlder(resub)
	s := b.AddOlder(started)
	if s.State != StateApproved || len(s.Steps) != 3 || s.Steps[0].Delivery.Code != 7001 || s.Steps[2].Delivery.Code != 9001 ||
		s.Steps[1].Delta != time.Minute || !s.First.Equal(t0) || b.Total != 3 || s.Attempts[0] != "a1" {
		t.Fatalf("state %q steps %d first %v attempts %v", s.State, len(s.Steps), s.First, s.Attempts)
	}
}

func TestSearch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rc := NewReceiver(st, decode.Keys{}, nil)
	for _, f := range []string{"veriff-decision-approved.json", "veriff-event-7002-submitted.json", "verifime-risk-assessed.json"} {
		b := fixture(t, f)
		if _, err := rc.Receive(context.Background(), Incoming{ReceivedAt: t0, Method: "POST", Path: "/x", Body: b, BodySize: int64(len(b))}); err != nil {
			t.Fatal(err)
		}
	}
	st.FlushSearch()
	cases := map[string][]string{
		"sarah":                  {"12df6045-3846-3e45-946a-14fa6136d78b"},                                         // a body
		"ridge road":             {"12df6045-3846-3e45-946a-14fa6136d78b"},                                         // every word
		"submitted":              {"f04bdb47-d3be-4b28-b028-a652feb060b5"},                                         // a state
		"order-1234":             {"order-1234"},                                                                   // a session id (metadata)
		"12345678":               {"f04bdb47-d3be-4b28-b028-a652feb060b5", "12df6045-3846-3e45-946a-14fa6136d78b"}, // vendorData, newest first
		"nothing-like-this-here": nil,
		`"; DROP TABLE x; --`:    nil, // words only: no FTS syntax from the user
	}
	for q, want := range cases {
		got, err := st.Search(context.Background(), q, 10)
		if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q: %v %v, want %v", q, got, err, want)
		}
	}
	st.Close()
	// An index lost (deleted, or from before search had its own file) is
	// built again from the deliveries.
	os.Remove(SearchPath(path))
	os.Remove(SearchPath(path) + "-wal")
	os.Remove(SearchPath(path) + "-shm")
	st, _ = Open(path)
	defer st.Close()
	st.FlushSearch() // indexing follows the store, beside opening
	if got, _ := st.Search(context.Background(), "sarah", 10); len(got) != 1 {
		t.Errorf("not re-indexed: %v", got)
	}
}

func TestPruneAndClear(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rc := NewReceiver(st, decode.Keys{}, nil)
	now := t0.Add(100 * 24 * time.Hour)
	for i := range 10 {
		b := []byte(`{"id":"s` + string(rune('0'+i)) + `","code":7001,"action":"started","feature":"selfid","word":"findme"}`)
		rc.Receive(context.Background(), Incoming{ReceivedAt: now.Add(-time.Duration(10-i) * 24 * time.Hour), Method: "POST", Path: "/", Body: b, BodySize: int64(len(b))})
	}
	st.AddForward(context.Background(), Forward{Seq: 1, At: now, Target: "x", Status: 200})
	st.FlushSearch()
	n, err := st.Prune(context.Background(), Retention{MaxAge: 5*24*time.Hour + time.Hour}, now)
	if err != nil || n != 5 {
		t.Fatalf("pruned %d %v", n, err)
	}
	if n, _ = st.Prune(context.Background(), Retention{MaxCount: 3}, now); n != 2 {
		t.Fatalf("by count: %d", n)
	}
	recs, total, _ := st.Recent(context.Background(), 10)
	if total != 3 || recs[0].Seq != 8 {
		t.Fatalf("left %d from #%d", total, recs[0].Seq)
	}
	if fs, _ := st.Forwards(context.Background(), 1); len(fs) != 0 {
		t.Error("forwards of pruned deliveries kept")
	}
	if hits, _ := st.Search(context.Background(), "findme", 10); len(hits) != 3 {
		t.Errorf("search still finds pruned ones: %v", hits)
	}
	st.KeepSandboxState(context.Background(), "s1", now, []byte(`{}`))
	if n, _ = st.Clear(context.Background()); n != 3 {
		t.Errorf("cleared %d", n)
	}
	if _, total, _ = st.Recent(context.Background(), 10); total != 0 {
		t.Errorf("%d left after clear", total)
	}
	if states, _ := st.SandboxStates(context.Background(), 10); len(states) != 0 {
		t.Errorf("sandbox states left after clear: %q", states)
	}
}

// TestSandboxStates: a session's state is replaced, not added to, and the
// newest limit come back oldest first.
func TestSandboxStates(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for i, c := range []struct{ id, state string }{{"a", "a1"}, {"b", "b1"}, {"c", "c1"}, {"a", "a2"}} {
		if err := st.KeepSandboxState(ctx, c.id, t0.Add(time.Duration(i)*time.Second), []byte(c.state)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.SandboxStates(ctx, 2)
	if err != nil || len(got) != 2 || string(got[0]) != "c1" || string(got[1]) != "a2" {
		t.Fatalf("states %q %v", got, err)
	}
	if all, _ := st.SandboxStates(ctx, 10); len(all) != 3 {
		t.Fatalf("%d states, want 3", len(all))
	}
}

// FuzzMarshalLine: whatever a request carries, its headless line is one
// line of valid JSON with no byte a terminal would obey, and it decodes to
// the record's own strings.
func FuzzMarshalLine(f *testing.F) {
	f.Add([]byte(`{"id":"S","code":7001,"action":"started","vendorData":"v\u009b\u202e"}`), "/veriff/events")
	f.Add([]byte("\x1b[2J\xff\xfe"), "/\u2066x")
	f.Add([]byte(`{"eventName":"RISK_ASSESSMENT_UPDATED","riskLevel":"LOW\u0085","metadata":"m"}`), "/verifime")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := Judge(Incoming{ReceivedAt: t0, Method: "POST", Path: path, Body: body, BodySize: int64(len(body))}, decode.Keys{})
		line := r.MarshalLine()
		if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", line)
		}
		for _, c := range line[:len(line)-1] {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control byte %#x in %q", c, line)
			}
		}
		if bytes.ContainsFunc(line, dangerousRune) {
			t.Fatalf("format rune in %q", line)
		}
		var back Line
		if err := json.Unmarshal(line, &back); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		valid := func(s string) string { return string([]rune(s)) } // as encoding/json: U+FFFD per bad byte
		if want := r.Line(); back.VendorData != valid(want.VendorData) || back.Path != valid(want.Path) {
			t.Fatalf("round trip: %q %q, want %q %q", back.VendorData, back.Path, want.VendorData, want.Path)
		}
	})
}
