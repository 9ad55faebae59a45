package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kycwatch/kycwatch/sessions"
)

// TestEachCheckHasItsOwnMark: a wrong API key on a valid signature reads
// "✓ signature valid · ✗ API key mismatch"; no line says valid beside ✗.
func TestEachCheckHasItsOwnMark(t *testing.T) {
	r := delivery(t, 1, 0, "veriff-event-7001-started.json", "sec", "/veriff/events")
	r.Header["X-Auth-Client"] = []string{"wrong"}
	r = judged(1, 0, r.Body, "sec", "/veriff/events")
	r.Incoming.Header["X-Auth-Client"] = []string{"wrong"}
	r = sessions.Judge(r.Incoming, keys)
	r.Seq = 1
	missing := judged(2, time.Second, []byte(`{"id":"s2","code":7001,"action":"started","feature":"selfid"}`), "sec", "/veriff/events")
	delete(missing.Incoming.Header, "X-Auth-Client")
	missing = sessions.Judge(missing.Incoming, keys)
	missing.Seq = 2
	for _, c := range []struct {
		r    sessions.Record
		want string
	}{{r, "✓ signature valid (X-Hmac-Signature) · ✗ API key mismatch"}, {missing, "✓ signature valid (X-Hmac-Signature) · ! API key missing"}} {
		m := newModel(t, 120, 40, []sessions.Record{c.r})
		m = update(m, loadedMsg{seq: c.r.Seq, rec: c.r})
		out := screen(m)
		if !strings.Contains(out, c.want) {
			t.Errorf("want %q:\n%s", c.want, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "✗ signature valid") || strings.Contains(l, "! signature valid") {
				t.Errorf("a line says valid beside a failure mark: %q", l)
			}
		}
	}
}

// TestRefusedLooksRefused: invalid JSON, correctly signed, is refused with
// 400: its row carries the refused mark, never ✓, and the detail says why.
func TestRefusedLooksRefused(t *testing.T) {
	r := judged(1, 0, []byte("{not json"), "sec", "/veriff/events")
	m := newModel(t, 120, 40, []sessions.Record{r})
	m = update(m, loadedMsg{seq: 1, rec: r})
	out := screen(m)
	if strings.Contains(out, "✓ invalid") || !strings.Contains(out, "✗ invalid       invalid 400") {
		t.Errorf("the refused row:\n%s", out)
	}
	if !strings.Contains(out, "✗ refused 400: the body is empty or not JSON") {
		t.Errorf("the detail does not say it was refused:\n%s", out)
	}
}

// TestHeaderKeepsItsParts: with a generated VerifiMe secret the header
// names it (masked), the legend stays (short when room is short), and M
// shows in the header.
func TestHeaderKeepsItsParts(t *testing.T) {
	for _, w := range []int{80, 120} {
		lab := &fakeLab{}
		m := labModel(t, w, 30, lab)
		m = run(t, m, "i", "enter")
		m = update(m, verifimeKeys) // the receiver took the simulator's VerifiMe secret: the bus says so
		m = update(m, DeliveriesMsg{Records: []sessions.Record{delivery(t, 1, 0, "veriff-event-7001-started.json", "sec", "/veriff/events")}})
		out := screen(m)
		head, _, _ := strings.Cut(out, "╭")
		if !strings.Contains(head, "VerifiMe si…ef") && !strings.Contains(head, "VerifiMe secret si…ef") {
			t.Errorf("%d: the VerifiMe secret has no value:\n%s", w, head)
		}
		if !strings.Contains(head, "✓") || !strings.Contains(head, "✗") {
			t.Errorf("%d: the legend went:\n%s", w, head)
		}
		m = run(t, m, "M")
		if head, _, _ := strings.Cut(screen(m), "╭"); !strings.Contains(head, "masked") {
			t.Errorf("%d: M does not show in the header:\n%s", w, head)
		}
	}
}

// TestGrammar: one delivery, one hit.
func TestGrammar(t *testing.T) {
	m := newModel(t, 120, 40, []sessions.Record{delivery(t, 1, 0, "veriff-watchlist-camel.json", "sec", "/veriff/watchlist")})
	m = update(m, loadedMsg{seq: 1, rec: delivery(t, 1, 0, "veriff-watchlist-camel.json", "sec", "/veriff/watchlist")})
	out := screen(m)
	if strings.Contains(out, "1 hits") || !strings.Contains(out, "1 hit") {
		t.Errorf("hits:\n%s", out)
	}
	m.confirmClear = true
	if out := screen(m); strings.Contains(out, "all 1 stored deliveries") || !strings.Contains(out, "Delete the 1 stored delivery") {
		t.Errorf("clear:\n%s", out)
	}
	m.confirmClear = false
	m.cleared(clearedMsg{n: 1})
	if out := screen(m); !strings.Contains(out, "deleted 1 delivery and") {
		t.Errorf("cleared:\n%s", out)
	}
}

// TestWindowTooSmall: below the size the panes need, say so and how big.
func TestWindowTooSmall(t *testing.T) {
	m := newModel(t, 44, 16, demo(t))
	out := screen(m)
	if !strings.Contains(out, "window too small") || !strings.Contains(out, "needs 60×16") || strings.Contains(out, "╭") {
		t.Errorf("44×16:\n%s", out)
	}
	golden.RequireEqual(t, checkSize(t, out, 44, 16))
	if out := screen(update(m, tea.WindowSizeMsg{Width: 60, Height: 16})); strings.Contains(out, "too small") {
		t.Errorf("60×16 is enough:\n%s", out)
	}
}

// TestIdsAndCounts: ids sharing their first 8 characters get a longer
// prefix until they differ; a VerifiMe metadata object reads as its
// fields; the list counts deliveries, as the header does, and says so.
func TestIdsAndCounts(t *testing.T) {
	a := judged(1, 0, []byte(`{"id":"abcdef12-0000-4000-8000-000000000001","code":7001,"action":"started","feature":"selfid"}`), "sec", "/veriff/events")
	b := judged(2, time.Second, []byte(`{"id":"abcdef12-0000-4000-8000-000000000002","code":7001,"action":"started","feature":"selfid"}`), "sec", "/veriff/events")
	p := delivery(t, 3, 2*time.Second, "verifime-risk-placeholder.json", "", "/verifime")
	m := newModel(t, 120, 40, []sessions.Record{a, b, p})
	out, _, _ := strings.Cut(screen(m), "Delivery #")
	for _, bad := range []string{`{"custom`} {
		if strings.Contains(out, bad) {
			t.Errorf("shows %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "customerId=42") {
		t.Errorf("the metadata object is not readable:\n%s", out)
	}
	// They differ only at their end: the list shows where.
	if !strings.Contains(out, "000000000001 started") || !strings.Contains(out, "000000000002 started") {
		t.Errorf("the two ids are not told apart:\n%s", out)
	}
	c := judged(4, 3*time.Second, []byte(`{"id":"abcdef12-9999-4000-8000-000000000003","code":7001,"action":"started","feature":"selfid"}`), "sec", "/veriff/events")
	m = newModel(t, 120, 40, []sessions.Record{a, c})
	if out := screen(m); !strings.Contains(out, "abcdef12-0 ") || !strings.Contains(out, "abcdef12-9 ") {
		t.Errorf("want the shortest prefixes that differ:\n%s", out)
	}
	if !strings.Contains(out, " dlv last") {
		t.Errorf("the count column does not say what it counts:\n%s", out)
	}
	lab := &fakeLab{}
	m = labModel(t, 120, 40, lab)
	m = run(t, m, "N", "enter") // a created step, no delivery yet
	if out := screen(m); !strings.Contains(out, "0 deliveries") || !strings.Contains(out, "   0 ") {
		t.Errorf("a created step is counted as a delivery:\n%s", out)
	}
}

// TestHelpMatchesTheREADME: ? names risk levels as VerifiMe and the README
// do, lists every mark (⚠ too), and says where exports go.
func TestHelpMatchesTheREADME(t *testing.T) {
	m := run(t, labModel(t, 120, 40, &fakeLab{}), "i", "enter") // a simulated VerifiMe session: its risk keys
	m.info.ExportDir = "/home/dev/.local/share/kycwatch"
	out := screen(run(t, m, "?"))
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"NO RISK DETECTED", "⚠ a session with a failed check", "✗ failed", "refused",
		"exports /home/dev/.local/share/kycwatch", "database /tmp/k.db"} {
		if !strings.Contains(flat, want) {
			t.Errorf("? lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "no risk found") {
		t.Errorf("? says no risk found:\n%s", out)
	}
}

// TestFooterAndNoticesWhole: the keys line ends on a whole key, not "…",
// and a long notice wraps rather than losing its end.
func TestFooterAndNoticesWhole(t *testing.T) {
	for _, w := range []int{80, 120} {
		m := labModel(t, w, 34, &fakeLab{})
		lines := strings.Split(screen(m), "\n")
		foot := strings.TrimSpace(lines[len(lines)-1])
		if strings.HasSuffix(foot, "…") || !strings.Contains(foot, "? help") {
			t.Errorf("%d: footer %q", w, foot)
		}
		m.say(noticeDone, "created Veriff session aea9ba6d · no callback URL sent: without the tunnel there is no HTTPS URL for Veriff to send the end-user back to")
		out := strings.Join(strings.Fields(screen(m)), " ")
		if !strings.Contains(out, "no HTTPS URL for Veriff to send the end-user back to") {
			t.Errorf("%d: the notice is cut:\n%s", w, screen(m))
		}
		checkSize(t, screen(m), w, 34)
	}
}

// TestSandboxRowsReadWhole: the sandbox's API calls on a timeline say
// which call it was within an 80-column window: the session's own id (the
// timeline's title) is not repeated in each path.
func TestSandboxRowsReadWhole(t *testing.T) {
	id := "c818afe2-500c-42e1-bbfd-59ed3eb37d55"
	call := func(seq int64, method, path, state string, status int) sessions.Record {
		r := sessions.Record{Seq: seq, Status: status, Incoming: sessions.Incoming{ReceivedAt: t0.Add(time.Duration(seq) * time.Second), Method: method, Path: "/sandbox" + path}}
		r.Verdict.Signature, r.Verdict.APIKey = "valid", "match"
		r.Delivery.Kind, r.Delivery.Provider, r.Delivery.SessionID, r.Delivery.State = "api", "veriff", id, state
		r.Delivery.Note = method + " " + path + " → " + fmt.Sprint(status)
		return r
	}
	recs := []sessions.Record{
		call(1, "POST", "/v1/sessions", "created", 201),
		call(2, "POST", "/v1/sessions/"+id+"/media", "", 200),
		call(3, "PATCH", "/v1/sessions/"+id, "submitted", 200),
		call(4, "GET", "/v1/sessions/"+id+"/decision", "", 200),
		call(5, "GET", "/v1/sessions/"+id+"/attempts", "", 401),
	}
	m := newModel(t, 80, 24, recs)
	m = press(m, "enter")
	out := checkSize(t, screen(m), 80, 24)
	for _, want := range []string{"POST /sessions ·", "POST …/media", "PATCH … · submitted", "GET …/decision", "GET …/attempts 401"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, " 201") {
		t.Errorf("a 201 shows as a failure:\n%s", out)
	}
}

// TestHeaderKeepsTheCounts: a five-digit port and a failed check still
// leave room for the counts on an 80-column header.
func TestHeaderKeepsTheCounts(t *testing.T) {
	m := newModel(t, 80, 24, demo(t))
	m.info.LocalURL = "http://127.0.0.1:41159"
	first := strings.Split(screen(m), "\n")[0]
	if !strings.Contains(first, "8 dlv · 5 sess ⚠1") || !strings.Contains(first, "127.0.0.1:41159") {
		t.Errorf("header %q", first)
	}
}

// TestWrapKeepsTokensWhole: a flag or an id is not split at its hyphens,
// and a token longer than the line is cut without gaining a space.
func TestWrapKeepsTokensWhole(t *testing.T) {
	got := wrap("webhooks go where --sandbox-webhook says, or here with "+keysOf(DefaultKeyMap().Lab.decisions()...), 30, 2)
	for _, l := range got {
		if strings.HasSuffix(strings.TrimSpace(l), "--") || strings.HasPrefix(strings.TrimSpace(l), "sandbox-") || strings.HasSuffix(strings.TrimSpace(l), " a d r v e") {
			t.Errorf("split token: %q", got)
		}
	}
	long := `{"id":"22548878-881d-4ccd-ac7e-11a851aed06d","attemptId":"19b08a67-6e5e-4d23-890e-b87db775cfd2"}`
	lines := wrap(long, 40, 0)
	if strings.Join(lines, "") != long {
		t.Errorf("the long token changed when wrapped: %q", lines)
	}
}

// TestHelpScrolls: in a small window the help scrolls (↓) to the marks
// and the paths, and says there is more.
func TestHelpScrolls(t *testing.T) {
	m := newModel(t, 80, 16, demo(t))
	m.info.ExportDir = "/home/dev/.local/share/kycwatch"
	m = run(t, m, "?")
	if out := screen(m); !strings.Contains(out, "↓ more") {
		t.Errorf("no sign of more:\n%s", out)
	}
	for range 30 {
		m = update(m, tea.KeyPressMsg{Code: tea.KeyDown})
	}
	out := screen(m)
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"⚠ a session with a failed check", "database /tmp/k.db", "exports /home/dev/.local/share/kycwatch"} {
		if !strings.Contains(flat, want) {
			t.Errorf("scrolled help lacks %q:\n%s", want, out)
		}
	}
	checkSize(t, out, 80, 16)
}

// TestUncheckedKeyReadsPlainly: with no API key configured the verdict
// says so in words, not as a mark beside a separator ("· ·").
func TestUncheckedKeyReadsPlainly(t *testing.T) {
	body := []byte(`{"id":"s1","code":7001,"action":"started","feature":"selfid"}`)
	r := sessions.Judge(sessions.Incoming{ReceivedAt: t0, Method: "POST", Path: "/veriff/events", Body: body, BodySize: int64(len(body)),
		Header: map[string][]string{"X-Hmac-Signature": {"00"}}}, keys)
	r.Verdict.APIKey, r.Seq = "unchecked", 1
	m := newModel(t, 120, 40, []sessions.Record{r})
	m = update(m, loadedMsg{seq: 1, rec: r})
	if out := screen(m); strings.Contains(out, "· · API key") || !strings.Contains(out, "API key unchecked (none configured)") {
		t.Errorf("verdict:\n%s", out)
	}
}
