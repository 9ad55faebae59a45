package ui

import (
	"strings"

	"github.com/sahilm/fuzzy"

	"github.com/kycwatch/kycwatch/sessions"
)

// visibleSessions is the session list after the filter: kind:, state:
// and sig: narrow it; the rest of the text is fuzzy-matched on id,
// vendorData, state and provider, and also found by full-text search in
// every stored body and summary (the store answers in the background).
func (m Model) visibleSessions() []*sessions.Session {
	all := m.book.Sessions()
	f := parseFilter(m.filter.Value())
	if f.empty() {
		return all
	}
	var pool []*sessions.Session
	for _, s := range all {
		if f.admits(s) {
			pool = append(pool, s)
		}
	}
	if f.text == "" {
		return pool
	}
	hay := make([]string, len(pool))
	for i, s := range pool {
		id := s.ID
		if s.Unsorted() {
			id = "unsorted"
		}
		hay[i] = strings.Join([]string{id, s.VendorData, s.State, string(s.Provider), s.EndUserID}, " ")
	}
	matched := map[int]bool{}
	var out []*sessions.Session
	for _, mt := range fuzzy.Find(f.text, hay) {
		matched[mt.Index] = true
		out = append(out, pool[mt.Index])
	}
	if m.searched == f.text {
		for i, s := range pool {
			if !matched[i] && m.hits[s.ID] {
				out = append(out, s)
			}
		}
	}
	return out
}

// filter is the parsed / query.
type filter struct {
	text, kind, state, sig string
}

func parseFilter(q string) filter {
	var f filter
	var words []string
	for _, w := range strings.Fields(q) {
		k, v, ok := strings.Cut(w, ":")
		switch {
		case ok && strings.EqualFold(k, "kind") && v != "":
			f.kind = strings.ToLower(v)
		case ok && strings.EqualFold(k, "state") && v != "":
			f.state = strings.ToLower(v)
		case ok && (strings.EqualFold(k, "sig") || strings.EqualFold(k, "verdict")) && v != "":
			f.sig = strings.ToLower(v)
		default:
			words = append(words, w)
		}
	}
	f.text = strings.Join(words, " ")
	return f
}

func (f filter) empty() bool { return f == filter{} }

// admits reports whether a session passes kind:, state: and sig:. A
// session passes kind: and sig: when one of its deliveries does.
func (f filter) admits(s *sessions.Session) bool {
	if f.state != "" && !strings.HasPrefix(strings.ToLower(s.State), f.state) {
		return false
	}
	if f.kind == "" && f.sig == "" {
		return true
	}
	for _, st := range s.Steps {
		if st.Created != nil || st.Tracking != nil {
			continue
		}
		if f.kind != "" && !strings.HasPrefix(string(st.Delivery.Kind), f.kind) {
			continue
		}
		if f.sig != "" && !sigMatches(st.Record, f.sig) {
			continue
		}
		return true
	}
	return false
}

// sigMatches reads sig:valid|invalid|missing|unchecked, and sig:fail for
// any failed check.
func sigMatches(r sessions.Record, want string) bool {
	if want == "fail" || want == "failed" || want == Glyph(MarkFailed) {
		return r.Failed()
	}
	return strings.HasPrefix(string(r.Verdict.Signature), want)
}
