package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// key handles a key press: a question or a form open takes every key;
// then the lab's keys, the app's, and navigation in the focused pane.
func (m Model) key(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.msg = notice{}
	// The first mode that is on takes the key.
	modes := []struct {
		on  bool
		key func(tea.KeyPressMsg) (Model, tea.Cmd)
	}{
		{m.pendingEdit != nil, m.confirmKey}, {m.confirmClear, m.clearConfirm}, {m.forging, m.forgeKey},
		{m.showForm, m.formKey}, {m.showQR, m.qrKey}, {m.filtering, m.filterKey},
	}
	for _, mode := range modes {
		if mode.on {
			return mode.key(msg)
		}
	}
	if m.showHelp {
		if nm, cmd, ok := m.helpKey(msg); ok {
			return nm, cmd
		}
	}
	if nm, cmd, ok := m.labKey(msg); ok {
		return nm, cmd
	}
	if nm, cmd, ok := m.appKey(msg); ok {
		return nm, cmd
	}
	return m.navKey(msg)
}

// qrKey handles keys while the QR code fills the screen.
func (m Model) qrKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	a, n := m.com.Keys.App, m.com.Keys.Nav
	switch {
	case key.Matches(msg, a.Quit):
		return m, tea.Quit
	case key.Matches(msg, a.Copy):
		return m, m.copySelected()
	case key.Matches(msg, n.Back), key.Matches(msg, a.QR), key.Matches(msg, n.Open):
		m.showQR = false
	}
	return m, nil
}

// filterKey handles keys while the filter is typed.
func (m Model) filterKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	f := m.com.Keys.Form
	switch {
	case key.Matches(msg, f.Submit):
		m.filtering = false
		m.filter.Blur()
		return m, m.loadSelected()
	case key.Matches(msg, f.Cancel):
		m.filtering = false
		m.filter.Blur()
		m.filter.SetValue("")
		m.afterFilterChange()
		return m, m.loadSelected()
	case key.Matches(msg, f.Quit):
		return m, tea.Quit
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	m.afterFilterChange()
	return m, tea.Batch(cmd, m.loadSelected(), m.searchCmd())
}

// helpKey closes and scrolls the ? screen; ok is false for the keys it
// leaves to the rest (q, and ? itself).
func (m Model) helpKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	if key.Matches(msg, m.com.Keys.Nav.Back) {
		m.showHelp, m.help.ShowAll = false, false
		return m, nil, true
	}
	if n, ok := m.com.navigate(msg, 10); ok {
		m.scrollHelp(n)
		return m, nil, true
	}
	return m, nil, false
}

// appKey handles the keys that act on the screen, the URLs and the
// selected delivery or session.
func (m Model) appKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	a := m.com.Keys.App
	switch {
	case key.Matches(msg, a.Quit):
		return m, tea.Quit, true
	case key.Matches(msg, a.Help):
		m.showHelp, m.helpTop = !m.showHelp, 0
		m.help.ShowAll = m.showHelp
	case key.Matches(msg, a.MaskPII):
		m.com.MaskPII = !m.com.MaskPII
		m.say(noticeDone, "personal data shown")
		if m.com.MaskPII {
			m.say(noticeDone, "personal data masked (names, dates of birth, document and id numbers, addresses, emails, phone numbers, IPs)")
		}
	case key.Matches(msg, a.Export):
		nm, cmd := m.exportKey()
		return nm, cmd, true
	case key.Matches(msg, a.Clear):
		nm, cmd := m.clearKey()
		return nm, cmd, true
	case key.Matches(msg, a.Replay), key.Matches(msg, a.EditReplay):
		nm, cmd := m.replayKey(key.Matches(msg, a.EditReplay))
		return nm, cmd, true
	case key.Matches(msg, a.Filter):
		m.filtering, m.focus, m.zoom = true, focusSessions, false
		return m, m.filter.Focus(), true
	case key.Matches(msg, a.NextURL):
		if n := len(m.info.Fields); n > 0 {
			m.urlSel = (m.urlSel + 1) % n
		}
	case key.Matches(msg, a.Copy):
		return m, m.copySelected(), true
	case key.Matches(msg, a.QR):
		m.showQR = true
	case key.Matches(msg, a.Follow):
		m.follow = true
		m.filter.SetValue("")
		m.selectNewest()
		return m, m.loadSelected(), true
	default:
		return m, nil, false
	}
	return m, nil, true
}

// navKey changes panes, opens and closes, and hands the moves to the
// focused pane.
func (m Model) navKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	n := m.com.Keys.Nav
	switch {
	case key.Matches(msg, n.NextPane):
		m.focus, m.zoom = (m.focus+1)%paneCount, false
	case key.Matches(msg, n.PrevPane):
		m.focus, m.zoom = (m.focus+paneCount-1)%paneCount, false
	case key.Matches(msg, n.Open):
		switch m.focus {
		case focusSessions:
			m.focus = focusTimeline
		case focusTimeline:
			m.focus, m.zoom = focusDetail, true
		case focusDetail:
			m.zoom = !m.zoom
		}
		return m, m.loadSelected()
	case key.Matches(msg, n.Back):
		switch {
		case m.zoom:
			m.zoom, m.focus = false, focusTimeline
		case m.focus > focusSessions:
			m.focus--
		case m.filter.Value() != "":
			m.filter.SetValue("")
			m.afterFilterChange()
		}
	default:
		return m, m.navigate(msg)
	}
	return m, nil
}

// navigate hands a navigation key or a wheel turn to the focused pane.
// Moving by hand stops following new activity.
func (m *Model) navigate(msg tea.Msg) tea.Cmd {
	if _, ok := m.com.navigate(msg, 1); !ok {
		return nil
	}
	switch m.focus {
	case focusSessions:
		m.follow = false
		if s := m.list.Update(msg); s != nil {
			m.selectSession(s)
		}
	case focusTimeline:
		m.follow = false
		if m.timeline.Update(msg) {
			m.detail.reset()
		}
	case focusDetail:
		m.detail.Update(msg)
	}
	return tea.Batch(m.loadSelected(), m.maybeOlder())
}
