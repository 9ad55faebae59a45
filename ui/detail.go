package ui

import (
	"fmt"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// detailPane is the selected step in full: the root builds its lines
// (detailLines, createdLines, trackingLines), the pane scrolls and draws
// them. Rendered lines are memoised per (delivery, width, theme): formatting
// a large body on every frame would make scrolling crawl.
type detailPane struct {
	com  *Common
	w, h int
	top  int
	memo *detailMemo
}

type detailMemo struct {
	seq   int64
	width int
	dark  bool
	mask  bool
	lines []string
}

// SetSize sets the pane's outer size (border included).
func (p *detailPane) SetSize(w, h int) { p.w, p.h = w, h }

func (p *detailPane) reset() { p.top = 0 }

// rows is how many lines show.
func (p detailPane) rows() int { return p.h - 2 }

// Update scrolls by a navigation key or the wheel; View keeps the last
// page in view when it goes past the end.
func (p *detailPane) Update(msg tea.Msg) bool {
	n, ok := p.com.navigate(msg, max(1, p.rows()-1))
	if ok {
		p.top = max(0, p.top+n)
	}
	return ok
}

// View draws lines from the scroll position; percent adds how far down it
// is to the title when the lines do not all fit.
func (p detailPane) View(title string, lines []string, percent, focused bool) string {
	rows := p.rows()
	if !percent { // a session's page, not a delivery: spacing goes first
		lines = fitRows(lines, rows)
	}
	top := min(p.top, max(0, len(lines)-rows))
	if percent && len(lines) > rows {
		title += fmt.Sprintf(" · %d%%", 100*min(len(lines), top+rows)/len(lines))
	}
	return box(p.com.Styles, title, lines[top:min(len(lines), top+rows)], p.w, p.h, focused)
}

// detailView is the detail pane for the selected step.
func (m Model) detailView() string {
	st := m.com.Styles
	focused := m.focus == focusDetail
	inner := m.detail.w - 2
	if m.selected() == nil { // e.g. the filter hides the session
		return m.detail.View("Delivery", []string{st.Faint.Render(" No delivery selected")}, false, focused)
	}
	if seq := m.timeline.sel; seq > 0 {
		rec, ok := m.cache[seq]
		if !ok {
			return m.detail.View(fmt.Sprintf("Delivery #%d", seq), []string{st.Faint.Render(" Loading…")}, false, focused)
		}
		return m.detail.View(fmt.Sprintf("Delivery #%d", rec.Seq), m.detailLines(rec, inner), true, focused)
	}
	// Not a delivery: the session's creation, or a tracking change.
	s, step := m.selected(), m.selectedStep()
	switch {
	case step != nil && step.Created != nil:
		return m.detail.View("Session "+display.Safe(display.ShortID(s.ID)), m.createdLines(s, inner, m.detail.h), false, focused)
	case step != nil && step.Tracking != nil:
		return m.detail.View("Session "+display.Safe(display.ShortID(s.ID)), m.trackingLines(s, step.Tracking, inner, m.detail.h), false, focused)
	}
	return m.detail.View("Delivery", []string{st.Faint.Render(" No delivery selected")}, false, focused)
}

func (m Model) detailLines(r sessions.Record, w int) []string {
	if mm := m.detail.memo; mm != nil && mm.seq == r.Seq && mm.width == w && mm.dark == m.com.Dark && mm.mask == m.com.MaskPII {
		return mm.lines
	}
	lines := m.buildDetail(r, w)
	if m.detail.memo != nil {
		*m.detail.memo = detailMemo{seq: r.Seq, width: w, dark: m.com.Dark, mask: m.com.MaskPII, lines: lines}
	}
	return lines
}

// fieldLines collects a pane's "Label      value" lines, wrapped to w.
type fieldLines struct {
	st  Styles
	w   int
	out []string
}

// add adds a field; an empty value adds nothing.
func (f *fieldLines) add(label, value string) {
	if value != "" {
		f.out = append(f.out, wrap(f.st.Label.Render(Pad(" "+label, 12))+value, f.w, 12)...)
	}
}

// url adds a URL: on the label's line when it fits, else broken after a
// "/" (wrap's rule), so that every line reads as part of it.
func (f *fieldLines) url(label, u string) {
	f.add(label, f.st.Accent.Render(display.Safe(u)))
}

// prose adds text as a paragraph.
func (f *fieldLines) prose(text string) {
	for _, l := range wrap(text, max(10, f.w-2), 0) {
		f.out = append(f.out, " "+l)
	}
}

// buildDetail writes the delivery as a person reads it: what it is, whether
// to trust it, the decoded fields, then the headers and the body.
func (m Model) buildDetail(r sessions.Record, w int) []string {
	f := &fieldLines{st: m.com.Styles, w: w}
	m.verdictFields(f, r)
	m.deliveryFields(f, r.Delivery)
	m.payloadFields(f, r.Delivery)
	return append(f.out, m.rawLines(r, w)...)
}

// verdictFields: when it came and what kycwatch answered, then the
// verdict, the one thing to read first, and what it is a copy of.
func (m Model) verdictFields(f *fieldLines, r sessions.Record) {
	st, d, field := m.com.Styles, r.Delivery, f.add
	status := st.Success.Render("200")
	if r.ProviderStatus() != 200 {
		status = st.Danger.Render(fmt.Sprint(r.ProviderStatus()))
	}
	if r.Answered != 0 { // --answer app: the provider got the app's answer
		status += st.Faint.Render(fmt.Sprintf(" (your app's answer; kycwatch: %d)", r.Status))
	}
	field("Received", r.ReceivedAt.In(m.com.Loc).Format("2006-01-02 15:04:05.000")+st.Faint.Render(" · ")+
		display.Safe(r.Method+" "+r.Path)+st.Faint.Render(" → ")+status)

	// The verdict: the one thing to read first.
	// Each check has its own mark, so no line says "valid" beside ✗.
	v := r.Verdict
	verdict := m.com.Styles.SigMark(v.Signature) + " signature " + string(v.Signature)
	if v.Header != "" {
		verdict += st.Faint.Render(" (" + display.Safe(v.Header) + ")")
	}
	if d.Provider != decode.VerifiMe { // VerifiMe sends no API key
		if v.APIKey == decode.KeyUnchecked { // no mark: "· ·" reads as nothing
			verdict += st.Faint.Render(" · API key unchecked (none configured)")
		} else {
			verdict += st.Faint.Render(" · ") + m.com.Styles.KeyMark(v.APIKey) + " API key " + string(v.APIKey)
		}
	}
	field("Verdict", verdict)
	if refused := r.Status; refused != 200 && !r.Failed() {
		// Signed right, yet refused: say so, with kycwatch's reason.
		why := map[int]string{400: "the body is empty or not JSON", 413: "the body is over --max-body"}[refused]
		field("", st.Marked(MarkFailed, fmt.Sprintf("refused %d", refused))+st.Danger.Render(prefixed(": ", why)))
	}
	if v.Reason != "" {
		field("", st.Danger.Render(display.Safe(v.Reason)))
	}
	if r.ReplayOf != 0 {
		field("Replay", st.Info.Render(fmt.Sprintf("sent again from kycwatch: a copy of #%d", r.ReplayOf)))
	}
	f.out = append(f.out, m.forwardLines(r.Seq, f.w)...)
	if r.DuplicateOf != 0 {
		retry := fmt.Sprintf("%s same body as #%d (a redelivery)", Glyph(MarkRetry), r.DuplicateOf)
		if r.Failed() { // not the provider retrying: someone resent its bytes
			retry = fmt.Sprintf("%s same body as #%d, but this copy failed its checks", Glyph(MarkRetry), r.DuplicateOf)
		}
		field("Retry", st.Info.Render(retry))
	}
}

// deliveryFields: what the delivery is and whose.
func (m Model) deliveryFields(f *fieldLines, d decode.Delivery) {
	st, field := m.com.Styles, f.add
	kind := kindLabel(d.Kind)
	if d.Provider != "" {
		kind = string(d.Provider) + " " + kind
	}
	if d.Code != 0 {
		kind += fmt.Sprintf(" %d", d.Code)
	}
	if d.State != "" {
		kind += " " + m.com.Styles.State(d.State).Render(display.Safe(d.State))
	}
	field("Kind", kind)
	if d.Problem != "" {
		field("Problem", st.Warning.Render(display.Safe(d.Problem)))
	}
	field("Session", display.Safe(d.SessionID))
	field("Attempt", display.Safe(d.AttemptID))
	field("vendorData", display.Safe(d.VendorData))
	field("endUserId", display.Safe(d.EndUserID))
}

// payloadFields: the decoded payload, by kind.
func (m Model) payloadFields(f *fieldLines, d decode.Delivery) {
	st, field := m.com.Styles, f.add
	switch {
	case d.Event != nil:
		e := d.Event
		field("Feature", display.Safe(e.Feature))
		field("Context", display.Safe(strings.Trim(e.ContextReason+" · "+e.ContextState, " ·")))
		field("Address", display.Safe(e.AddressID))
	case d.Decision != nil:
		dec := d.Decision
		if dec.Null {
			field("Decision", st.Faint.Render("none yet (verification: null)"))
		}
		if dec.ReasonCode != 0 || dec.Reason != "" {
			reason := display.Safe(dec.Reason)
			if dec.ReasonCode != 0 {
				if reason == "" {
					reason = veriff.ReasonText(dec.ReasonCode)
				}
				reason = fmt.Sprintf("%d %s", dec.ReasonCode, reason)
			}
			field("Reason", st.Warning.Render(reason))
		}
		p := dec.Person
		name := strings.TrimSpace(p.FirstName + " " + p.LastName)
		if p.FullName != "" {
			name = p.FullName
		}
		field("Person", joinNonEmpty(m.pii(name), prefixed("born ", m.pii(p.DateOfBirth)), display.Safe(p.Gender), display.Safe(p.Nationality), prefixed("id ", m.pii(p.IDNumber))))
		field("Address", m.pii(p.Address))
		doc := dec.Document
		field("Document", joinNonEmpty(display.Safe(doc.Type), m.pii(doc.Number), display.Safe(doc.Country), prefixed("valid until ", display.Safe(doc.ValidUntil))))
		var risk []string
		if dec.RiskScore != nil {
			risk = append(risk, fmt.Sprintf("score %.2f", *dec.RiskScore))
		}
		if dec.HighRisk != nil && *dec.HighRisk {
			risk = append(risk, st.Danger.Render("high risk"))
		}
		for _, l := range dec.RiskLabels {
			risk = append(risk, display.Safe(l.Label))
		}
		field("Risk", strings.Join(risk, " · "))
		field("Decided", display.Safe(dec.DecisionTime))
		field("IP", m.pii(dec.IP))
	case d.UserStatus != nil:
		u := d.UserStatus
		field("Status", display.Safe(u.Status)+st.Faint.Render(" ("+display.Safe(u.StatusCode)+")"))
		field("Reason", display.Safe(u.Reason))
	case d.Watchlist != nil:
		wl := d.Watchlist
		field("Check", display.Safe(wl.CheckType))
		field("Match", m.com.Styles.State(wl.MatchStatus).Render(display.Safe(wl.MatchStatus))+fmt.Sprintf(" · %d hit%s", wl.TotalHits, plural(wl.TotalHits)))
	case d.Risk != nil:
		rk := d.Risk
		level := m.com.Styles.Risk(rk.RiskLevel).Render(display.Safe(rk.RiskLevel))
		if rk.RiskLevel == "" {
			level = st.Faint.Render("no level yet")
		}
		field("Risk", level+st.Faint.Render(" · assessment "+display.Safe(rk.AssessmentStatus)))
		field("Customer", m.pii(rk.CustomerName))
		field("Portal", display.Safe(rk.PortalURL))
		field("Event", display.Safe(rk.EventID))
	}
	if len(d.Unknown) > 0 {
		field("New fields", st.Faint.Render(display.Safe(strings.Join(d.Unknown, ", "))))
	}
}

// rawLines are the headers (credentials masked) and the body.
func (m Model) rawLines(r sessions.Record, w int) []string {
	st := m.com.Styles
	var out []string
	out = append(out, "", st.Bold.Render(" Headers"))
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, val := range r.Header[k] {
			v := maskHeader(k, display.Safe(val))
			if m.com.MaskPII && piiHeader(k) {
				v = decode.Masked
			}
			out = append(out, wrap(" "+st.Label.Render(display.Safe(k)+":")+" "+v, w, 3)...)
		}
	}

	size := fmt.Sprintf("%d bytes", r.BodySize)
	if r.Truncated {
		size += st.Warning.Render(fmt.Sprintf(", only the first %d kept", len(r.Body)))
	}
	out = append(out, "", st.Bold.Render(" Body")+st.Faint.Render(" ("+size+")"))
	body := r.Body
	if m.com.MaskPII {
		body = decode.MaskPII(body)
	}
	out = append(out, m.bodyLines(body, w)...)
	return out
}

// pii shows a personal value, or hides it when masking (for demos on
// shared screens).
func (m Model) pii(s string) string {
	if m.com.MaskPII {
		return decode.MaskText(s)
	}
	return display.Safe(s)
}

// piiHeader is a header that carries the sender's address.
func piiHeader(name string) bool {
	switch strings.ToLower(name) {
	case "x-forwarded-for", "x-real-ip", "forwarded", "true-client-ip", "cf-connecting-ip":
		return true
	}
	return false
}

// maskHeader hides most of a credential header's value: screens get shared
// and recorded. Signatures are not secrets and stay whole.
func maskHeader(name, v string) string {
	switch strings.ToLower(name) {
	case "authorization", "x-auth-client", "vrf-auth-client", "cookie":
		return display.Mask(v)
	}
	return v
}
