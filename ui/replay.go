package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"

	tea "charm.land/bubbletea/v2"
)

// Replayer sends a stored delivery again (to the user's app when
// forwarding, else to kycwatch itself).
type Replayer interface {
	Replay(ctx context.Context, seq int64, body []byte, resign bool) (string, error)
}

type replayedMsg struct {
	done string
	err  error
}

// editFileMsg: the body is in a file, ready for the editor.
type editFileMsg struct {
	seq  int64
	path string
	orig []byte
	err  error
}

// editedMsg: the editor is closed; the file holds the new body.
type editedMsg struct {
	seq  int64
	body []byte
	orig []byte
	err  error
}

// editor is the user's editor: $VISUAL, $EDITOR, else vi.
func editor() []string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if e := strings.Fields(os.Getenv(v)); len(e) > 0 {
			return e
		}
	}
	return []string{"vi"}
}

// replayKey handles R (send again) and E (edit, then send).
func (m Model) replayKey(edit bool) (Model, tea.Cmd) {
	if m.actions.Replay == nil {
		m.say(noticeProblem, "replay is not available in this run")
		return m, nil
	}
	seq := m.timeline.sel
	if seq <= 0 {
		m.say(noticeProblem, "select a delivery on the timeline to send it again")
		return m, nil
	}
	rp := m.actions.Replay
	if !edit {
		m.say(noticeDone, fmt.Sprintf("replaying #%d…", seq))
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done, err := rp.Replay(ctx, seq, nil, false)
			return replayedMsg{done, err}
		}
	}
	rec, ok := m.cache[seq]
	if !ok {
		m.say(noticeProblem, "the delivery is still loading; try again")
		return m, nil
	}
	body := append([]byte(nil), rec.Body...)
	return m, func() tea.Msg {
		f, err := os.CreateTemp("", fmt.Sprintf("kycwatch-%d-*.json", seq))
		if err != nil {
			return editFileMsg{err: err}
		}
		defer f.Close()
		if _, err := f.Write(body); err != nil {
			return editFileMsg{err: err}
		}
		return editFileMsg{seq: seq, path: f.Name(), orig: body}
	}
}

// editFlow moves an edited replay along: the editor, then the question
// about the signature, then the send.
func (m Model) editFlow(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case editFileMsg:
		if msg.err != nil {
			m.say(noticeProblem, "could not write the body for the editor: "+msg.err.Error())
			return m, nil
		}
		argv := append(editor(), msg.path)
		seq, path, orig := msg.seq, msg.path, msg.orig
		return m, tea.ExecProcess(exec.Command(argv[0], argv[1:]...), func(err error) tea.Msg {
			body, rerr := os.ReadFile(path)
			os.Remove(path)
			if err == nil {
				err = rerr
			}
			return editedMsg{seq: seq, body: body, orig: orig, err: err}
		})
	case editedMsg:
		if msg.err != nil {
			m.say(noticeProblem, "the editor failed: "+msg.err.Error())
			return m, nil
		}
		if bytes.Equal(msg.body, msg.orig) {
			m.say(noticeDone, "the body did not change: nothing sent ("+keyOf(m.com.Keys.App.Replay)+" sends it as it was)")
			return m, nil
		}
		m.pendingEdit = &msg
		return m, nil
	}
	return m, nil
}

// confirmKey answers the question asked after an edit: re-sign?
func (m Model) confirmKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	e, c := m.pendingEdit, m.com.Keys.Confirm
	switch {
	case key.Matches(msg, c.Yes), key.Matches(msg, c.No):
		m.pendingEdit = nil
		resign := key.Matches(msg, c.Yes)
		rp := m.actions.Replay
		m.say(noticeDone, fmt.Sprintf("sending the edited #%d…", e.seq))
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done, err := rp.Replay(ctx, e.seq, e.body, resign)
			return replayedMsg{done, err}
		}
	case key.Matches(msg, c.Cancel):
		m.pendingEdit = nil
		m.say(noticeDone, "edited replay cancelled")
	}
	return m, nil
}

// Exporter writes a session's deliveries to files (HAR and a curl script).
type Exporter interface {
	ExportSession(ctx context.Context, sessionID string, mask bool) ([]string, error)
}

// WithMaskPII starts with personal data hidden (--mask-pii).
func (m Model) WithMaskPII(on bool) Model {
	m.com.MaskPII = on
	return m
}

type exportedMsg struct {
	paths []string
	err   error
}

func (m Model) exportKey() (Model, tea.Cmd) {
	s := m.selected()
	if m.actions.Export == nil || s == nil {
		m.say(noticeProblem, "select a session to export it")
		return m, nil
	}
	ex, id, mask := m.actions.Export, s.ID, m.com.MaskPII
	return m, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		paths, err := ex.ExportSession(ctx, id, mask)
		return exportedMsg{paths, err}
	}
}

// exportedPaths names the files written in full, once: a/b/x.{har,sh}.
func exportedPaths(paths []string) string {
	if len(paths) < 2 {
		return strings.Join(paths, "")
	}
	stem := strings.TrimSuffix(paths[0], filepath.Ext(paths[0]))
	var exts []string
	for _, p := range paths {
		if strings.TrimSuffix(p, filepath.Ext(p)) != stem {
			return strings.Join(paths, " and ")
		}
		exts = append(exts, strings.TrimPrefix(filepath.Ext(p), "."))
	}
	return stem + ".{" + strings.Join(exts, ",") + "}"
}
