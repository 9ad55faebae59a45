package ui

import (
	"strings"

	"github.com/sahilm/fuzzy"

	"github.com/kycwatch/kycwatch/decode"
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
	key := visibleKey{book: m.book, gen: m.book.Gen(), query: m.filter.Value(), searched: m.searched, hits: m.hitsGen}
	if m.visible != nil && m.visible.key == key {
		return m.visible.out
	}
	out := m.filtered(all, f)
	if m.visible != nil {
		*m.visible = visibleMemo{key: key, out: out}
	}
	return out
}

// visibleMemo keeps the filtered list for what it was made of: Update, the
// frame and the keys ask for it several times between changes, and each
// fuzzy match goes over every session.
type visibleMemo struct {
	key visibleKey
	out []*sessions.Session
}

type visibleKey struct {
	book     *sessions.Book
	gen      uint64
	query    string
	searched string
	hits     int
}

// filtered is all after the filter f.
func (m Model) filtered(all []*sessions.Session, f filter) []*sessions.Session {
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

// The values kind:, state: and sig: take (a prefix of one will do).
var (
	filterKinds = []string{string(decode.KindEvent), string(decode.KindDecision), string(decode.KindUserStatus),
		string(decode.KindWatchlist), string(decode.KindRiskAssessment), string(decode.KindUnknown),
		string(decode.KindInvalid), string(decode.KindCallback), string(decode.KindAPICall)}
	filterStates = []string{sessions.StateCreated, sessions.StateStarted, sessions.StateSubmitted, sessions.StateApproved,
		sessions.StateDeclined, sessions.StateResubmit, sessions.StateReview, sessions.StateExpired, sessions.StateAbandoned,
		sessions.StateInvited, sessions.StateEntering, sessions.StateEntered, sessions.StateAssessed}
	filterSigs = []string{string(decode.SigValid), string(decode.SigInvalid), string(decode.SigMissing),
		string(decode.SigUnchecked), "fail"}
)

// hints come in pairs: the likely value, then all of them.
//
// hints name the values a qualifier takes when its value is none of them
// (state:aproved): a typo, not an empty result. A state the payloads used
// (states holds the sessions') is a value too.
func (f filter) hints(states []string) []string {
	var out []string
	check := func(q, v string, valid ...[]string) {
		if v == "" {
			return
		}
		for _, vs := range valid {
			for _, x := range vs {
				if strings.HasPrefix(strings.ToLower(x), v) {
					return
				}
			}
		}
		best, dist := "", 1<<30
		for _, x := range valid[0] {
			if d := editDistance(v, x); d < dist {
				best, dist = x, d
			}
		}
		out = append(out, "no "+q+" "+v+": did you mean "+q+":"+best+"?", q+" is one of "+strings.Join(valid[0], ", "))
	}
	check("state", f.state, filterStates, states)
	check("kind", f.kind, filterKinds)
	check("sig", f.sig, filterSigs)
	return out
}

// editDistance is Levenshtein's, to suggest the value a typo meant.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
