package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/sessions"
)

// Fit cuts s (already safe, maybe styled) to w cells, with an ellipsis.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// Pad fits s to exactly w cells.
func Pad(s string, w int) string {
	s = Fit(s, w)
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// idIndex is what the session list needs to show ids: readable, and each
// cut to the shortest prefix (8 at least) that tells them all apart. That
// prefix is one rune longer than the longest one two neighbours share once
// sorted, so the index keeps the readable ids sorted as sessions arrive
// (a binary-search insert; the new id's neighbours say whether the prefix
// grows) and sorts them all again only when sessions go (evicted, cleared):
// a frame costs nothing however many sessions the list holds.
type idIndex struct {
	known  map[string]struct{} // the ids (as keyed) in sorted
	sorted []string            // readable ids
	need   int                 // one more than the longest prefix neighbours share
	// The longest readable ids, in runes: those that read as the id, and
	// those made from a JSON key (customerId=42), which show 16 at least.
	plain, fields int
	stale         bool // sessions went: sort again
	rebuilds      int  // how many times (tests)
}

func newIDIndex() *idIndex { return &idIndex{known: map[string]struct{}{}, need: 8} }

// sync brings the index up to list, the book's sessions (unsorted says
// whether the unsorted group, which has no id, is among them). New
// sessions are usually the newest, at the list's head, so the scan for
// them stops as soon as all are found.
func (x *idIndex) sync(list []*sessions.Session, unsorted bool) {
	n := len(list)
	if unsorted {
		n--
	}
	missing := n - len(x.known)
	if x.stale || missing < 0 {
		x.rebuild(list)
		return
	}
	for _, s := range list {
		if missing == 0 {
			break
		}
		if _, ok := x.known[s.ID]; !ok && !s.Unsorted() {
			x.insert(s.ID)
			missing--
		}
	}
	if missing != 0 { // cannot be: count again
		x.rebuild(list)
	}
}

// rebuild sorts every id of list again.
func (x *idIndex) rebuild(list []*sessions.Session) {
	*x = idIndex{known: make(map[string]struct{}, len(list)), sorted: make([]string, 0, len(list)), need: 8, rebuilds: x.rebuilds + 1}
	for _, s := range list {
		if !s.Unsorted() {
			x.known[s.ID] = struct{}{}
			x.sorted = append(x.sorted, x.measure(s.ID))
		}
	}
	slices.Sort(x.sorted)
	for i := 1; i < len(x.sorted); i++ {
		x.need = max(x.need, sharedRunes(x.sorted[i-1], x.sorted[i])+1)
	}
}

// insert adds one id: the prefix needed grows only if a new neighbour
// shares more with it (the old neighbours, now apart, shared no more).
func (x *idIndex) insert(id string) {
	x.known[id] = struct{}{}
	r := x.measure(id)
	i, _ := slices.BinarySearch(x.sorted, r)
	x.sorted = slices.Insert(x.sorted, i, r)
	if i > 0 {
		x.need = max(x.need, sharedRunes(x.sorted[i-1], r)+1)
	}
	if i+1 < len(x.sorted) {
		x.need = max(x.need, sharedRunes(r, x.sorted[i+1])+1)
	}
}

// measure returns id's readable form and counts it in the longest.
func (x *idIndex) measure(id string) string {
	r := display.ReadableID(id)
	if r != id {
		x.fields = max(x.fields, utf8.RuneCountInString(r))
	} else {
		x.plain = max(x.plain, utf8.RuneCountInString(r))
	}
	return r
}

// prefixLen is how many runes of a readable id the list shows.
func (x *idIndex) prefixLen() int {
	return max(8, min(x.need, max(8, x.plain, x.fields)))
}

// width is the id column's: the longest id as shown, 8 at least.
func (x *idIndex) width() int {
	n := x.prefixLen()
	return max(8, min(n, x.plain), min(x.fields, max(n, 16)))
}

// shownID is an id as the list shows it, cut to n runes (n the index's
// prefixLen); an id read from JSON fields keeps 16.
func shownID(id string, n int) string {
	if r := display.ReadableID(id); r != id {
		return display.Prefix(r, max(n, 16))
	}
	return display.Prefix(id, n)
}

// sharedRunes is how many whole runes a and b begin with alike.
func sharedRunes(a, b string) int {
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	for k > 0 && k < len(a) && !utf8.RuneStart(a[k]) {
		k-- // back to the rune the two share whole
	}
	return utf8.RuneCountInString(a[:k])
}

func stateLabel(s string) string {
	switch s {
	case sessions.StateResubmit:
		return "resubmission"
	case sessions.StateEntered:
		return "data entered"
	case "":
		return "—"
	}
	return display.Safe(s) // a state is the payload's word: hostile until cleaned
}

func shortDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return strconv.Itoa(int(d.Milliseconds())) + "ms"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func plural2(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// wrap breaks a styled line to width w, indenting continuation lines.
func wrap(s string, w, indent int) []string {
	if w <= 0 {
		return nil
	}
	if ansi.StringWidth(s) <= w {
		return []string{s}
	}
	// Word wrap, breaking words only when one is longer than the line
	// (a URL breaks after a "/" first);
	// lipgloss.Wrap carries the styles over each break, so every line
	// stands alone. It breaks after any hyphen too, which cuts flags
	// (--sandbox-webhook) and ids: hyphens become non-breaking meanwhile.
	s = strings.ReplaceAll(s, "-", nbHyphen)
	parts := strings.Split(lipgloss.Wrap(s, w, "/"), "\n")
	if ansi.StringWidth(parts[0]) > w {
		// lipgloss.Wrap can return a line one cell too wide (a long word
		// after a leading space): cut it here, the rest follows below,
		// rather than let the pane cut it with "…" and lose what it hid.
		parts = []string{ansi.Truncate(parts[0], w, ""), ""}
	}
	out := []string{parts[0]}
	if len(parts) > 1 {
		// The rest is what follows the first line in s itself (cut by
		// width, styles kept), not the parts joined again: a token
		// hard-wrapped across lines must not gain a space.
		rest := ansi.TruncateLeft(s, ansi.StringWidth(parts[0]), "")
		plain := ansi.Strip(rest) // the break's spaces may sit after a style
		rest = ansi.TruncateLeft(rest, len(plain)-len(strings.TrimLeft(plain, " ")), "")
		pad := strings.Repeat(" ", min(indent, w/2))
		if t := longestToken(ansi.Strip(rest)); t > w-len(pad) && t < w {
			// An id or a URL part that would be cut at the indent gets
			// the whole line: a token is split only when wider than that.
			pad = pad[:min(len(pad), 1)]
		}
		for _, p := range strings.Split(lipgloss.Wrap(rest, max(1, w-len(pad)), "/"), "\n") {
			for _, q := range hardSplit(p, max(1, w-len(pad))) {
				out = append(out, pad+q)
			}
		}
	}
	for i := range out {
		out[i] = strings.ReplaceAll(out[i], nbHyphen, "-")
	}
	return out
}

// longestToken is the width of the widest run of s that wrap cannot break
// (no space, no "/").
func longestToken(s string) int {
	longest := 0
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '/' }) {
		longest = max(longest, ansi.StringWidth(f))
	}
	return longest
}

// hardSplit cuts a (maybe styled) line wider than w into lines of w cells,
// keeping every character.
func hardSplit(s string, w int) []string {
	if ansi.StringWidth(s) <= w {
		return []string{s}
	}
	if !strings.Contains(s, "\x1b") {
		// Unstyled (a raw body): one pass, however long the line.
		return strings.Split(ansi.Hardwrap(s, w, true), "\n")
	}
	var out []string
	for ansi.StringWidth(s) > w {
		line := ansi.Truncate(s, w, "")
		n := ansi.StringWidth(line)
		if n == 0 { // a character wider than w: it gets a line of its own
			line = ansi.Truncate(s, w+1, "")
			n = ansi.StringWidth(line)
		}
		out = append(out, line)
		s = ansi.TruncateLeft(s, n, "")
	}
	return append(out, s)
}

// nbHyphen stands in for "-" while wrapping (U+2011, one cell wide).
const nbHyphen = "\u2011"

// fitRows makes lines fit rows by dropping blank lines, the last first:
// spacing goes before any text is cut.
func fitRows(lines []string, rows int) []string {
	for i := len(lines) - 1; i >= 0 && len(lines) > rows; i-- {
		if strings.TrimSpace(ansi.Strip(lines[i])) == "" {
			lines = slices.Delete(slices.Clone(lines), i, i+1)
		}
	}
	return lines
}

func joinNonEmpty(ss ...string) string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " · ")
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
