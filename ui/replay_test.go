package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/internal/piitest"
	"github.com/kycwatch/kycwatch/sessions"
)

type fakeReplayer struct {
	seqs    []int64
	bodies  [][]byte
	resigns []bool
}

func (f *fakeReplayer) Replay(_ context.Context, seq int64, body []byte, resign bool) (string, error) {
	f.seqs, f.bodies, f.resigns = append(f.seqs, seq), append(f.bodies, body), append(f.resigns, resign)
	return "replayed #8 to kycwatch: answered 200", nil
}

func TestReplayKeys(t *testing.T) {
	rp := &fakeReplayer{}
	m := newModel(t, 120, 40, demo(t)).WithActions(Actions{Replay: rp})
	m = run(t, m, "s")
	if len(rp.seqs) != 1 || rp.seqs[0] != 8 || rp.bodies[0] != nil {
		t.Fatalf("s sent %v", rp.seqs)
	}
	if !strings.Contains(ansi.Strip(screen(m)), "replayed #8 to kycwatch: answered 200") {
		t.Errorf("no confirmation:\n%s", ansi.Strip(screen(m)))
	}
	// S: after the editor, the body changed: re-sign?
	m = update(m, editedMsg{seq: 8, body: []byte(`{"edited":true}`), orig: []byte(`{}`)})
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "Body of #8 edited. Re-sign it with the configured secret?") {
		t.Fatalf("no question:\n%s", out)
	}
	m = run(t, m, "y")
	if len(rp.seqs) != 2 || string(rp.bodies[1]) != `{"edited":true}` || !rp.resigns[1] {
		t.Fatalf("edited replay %v %q %v", rp.seqs, rp.bodies, rp.resigns)
	}
	m = update(m, editedMsg{seq: 8, body: []byte(`{"x":1}`), orig: []byte(`{}`)})
	m = run(t, m, "n")
	if len(rp.resigns) != 3 || rp.resigns[2] {
		t.Fatal("n re-signed")
	}
	m = update(m, editedMsg{seq: 8, body: []byte(`{}`), orig: []byte(`{}`)})
	if !strings.Contains(ansi.Strip(screen(m)), "did not change") || len(rp.seqs) != 3 {
		t.Errorf("an unchanged body was sent")
	}
	// Replay marks in the timeline.
	r := delivery(t, 9, 99e9, "veriff-event-7002-submitted.json", "sec", "/veriff/events")
	r.ReplayOf = 2
	m = update(m, DeliveriesMsg{Records: []sessions.Record{r}})
	if !strings.Contains(ansi.Strip(screen(m)), "replay of #2") {
		t.Errorf("no replay mark:\n%s", ansi.Strip(screen(m)))
	}
}

type fakeExporter struct{ ids []string }

func (f *fakeExporter) ExportSession(_ context.Context, id string, mask bool) ([]string, error) {
	f.ids = append(f.ids, id)
	return []string{"/home/dev/.local/share/kycwatch/kycwatch-12df6045.har", "/home/dev/.local/share/kycwatch/kycwatch-12df6045.sh"}, nil
}

func TestMaskAndExportKeys(t *testing.T) {
	m := newModel(t, 120, 40, demo(t))
	// The approved decision (#7, SARAH MORGAN) in full, loaded.
	m = update(m, loadedMsg{seq: 7, rec: delivery(t, 7, 90e9, "veriff-decision-approved.json", "sec", "/veriff/decisions")})
	m.list.sel, m.timeline.sel = "12df6045-3846-3e45-946a-14fa6136d78b", 7
	m.focus, m.zoom = focusDetail, true
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "SARAH") {
		t.Fatalf("not shown:\n%s", out)
	}
	m = run(t, m, "M")
	out := ansi.Strip(screen(m))
	if strings.Contains(out, "SARAH") || strings.Contains(out, "MORGA753116SM9IJ") || strings.Contains(out, "186.153.67.122") {
		t.Fatalf("personal data on screen while masked:\n%s", out)
	}
	if !strings.Contains(out, "•••") {
		t.Errorf("no mask marks:\n%s", out)
	}
	m = run(t, m, "M")
	if !strings.Contains(ansi.Strip(screen(m)), "SARAH") {
		t.Error("M did not unmask")
	}
	ex := &fakeExporter{}
	m = run(t, m.WithActions(Actions{Export: ex}), "X")
	if len(ex.ids) != 1 || ex.ids[0] != "12df6045-3846-3e45-946a-14fa6136d78b" ||
		!strings.Contains(ansi.Strip(screen(m)), "exported to /home/dev/.local/share/kycwatch/kycwatch-12df6045.{har,sh}") {
		t.Errorf("export %v:\n%s", ex.ids, ansi.Strip(screen(m)))
	}
}

// TestMaskHidesEveryFixturesPersonalData: with M on, no name, date of
// birth, document number, address, email, phone or IP of any fixture is on
// screen: not in the detail (decoded fields, headers, body), the timeline,
// or the session list; nor an invited customer's name and email.
func TestMaskHidesEveryFixturesPersonalData(t *testing.T) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := delivery(t, 1, 0, filepath.Base(f), "sec", "/veriff/events")
			m := newModel(t, 200, 50, []sessions.Record{r})
			m = update(m, loadedMsg{seq: 1, rec: r})
			m = run(t, m, "M")
			text := ansi.Strip(strings.Join(m.buildDetail(r, 200), "\n")) + ansi.Strip(screen(m)) +
				ansi.Strip(screen(press(m, "enter", "enter")))
			for _, v := range piitest.Values(r.Body) {
				if strings.Contains(text, v) {
					t.Errorf("%q on screen while masked", v)
				}
			}
		})
	}
	inv := sessions.TestSession{ID: "kw-1", Source: sessions.SourceVerifiMeSim, FirstName: "Jane", LastName: "Citizenship", Email: "jane.citizen@example.com", CreatedAt: t0, URL: "http://127.0.0.1:8080/x"}
	m := newModel(t, 120, 40, nil)
	m = update(m, TestSessionMsg(inv))
	if out := ansi.Strip(screen(m)); !strings.Contains(out, "Citizenship") {
		t.Fatalf("the invite is not shown:\n%s", out)
	}
	m = run(t, m, "M")
	if out := ansi.Strip(screen(m)); strings.Contains(out, "Citizenship") || strings.Contains(out, "jane.citizen@example.com") {
		t.Errorf("the invited customer is on screen while masked:\n%s", out)
	}
}
