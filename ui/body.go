package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"

	"github.com/kycwatch/kycwatch/internal/display"
)

// maxShownBody bounds how much of a body the detail pane formats; the rest
// is counted, not drawn (the database has it all).
const maxShownBody = 256 << 10

func (m Model) bodyLines(body []byte, w int) []string {
	st := m.com.Styles
	if len(body) == 0 {
		return []string{st.Faint.Render(" (empty)")}
	}
	shown := body
	more := 0
	if len(shown) > maxShownBody {
		shown, more = shown[:maxShownBody], len(body)-maxShownBody
	}
	var text string
	var indented bytes.Buffer
	pretty := json.Valid(shown) && json.Indent(&indented, shown, "", "  ") == nil
	if pretty {
		text = m.highlight(indented.String())
	} else {
		text = display.Safe(string(shown))
		text = strings.ReplaceAll(text, "␍␊", "\n") // keep the raw body's own lines
		text = strings.ReplaceAll(text, "␊", "\n")
	}
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if !pretty {
			// What arrived is shown whole, spaces included: a raw body
			// is cut by width, not wrapped at words.
			for _, p := range hardSplit(l, max(1, w-1)) {
				out = append(out, " "+p)
			}
			continue
		}
		out = append(out, wrap(" "+l, w, 1)...)
	}
	if more > 0 {
		out = append(out, st.Faint.Render(fmt.Sprintf(" … %d more bytes not shown", more)))
	}
	return out
}

// highlight colours pretty-printed JSON with chroma's lexer and the theme's
// styles. Every token is made Safe before it is styled: JSON escapes
// control characters, but a string may still hold bidi overrides.
func (m Model) highlight(src string) string {
	st := m.com.Styles
	lx := lexers.Get("json")
	if lx == nil {
		return display.Safe(src)
	}
	it, err := chroma.Coalesce(lx).Tokenise(nil, src)
	if err != nil {
		return display.Safe(src)
	}
	var b strings.Builder
	for tok := it(); tok != chroma.EOF; tok = it() {
		for i, part := range strings.Split(tok.Value, "\n") {
			if i > 0 {
				b.WriteByte('\n')
			}
			if part == "" {
				continue
			}
			s := display.Safe(part)
			switch {
			case tok.Type == chroma.NameTag:
				s = st.JSONKey.Render(s)
			case tok.Type.InCategory(chroma.LiteralString) || tok.Type.InSubCategory(chroma.LiteralString):
				s = st.JSONString.Render(s)
			case tok.Type.InSubCategory(chroma.LiteralNumber):
				s = st.JSONNumber.Render(s)
			case tok.Type.InCategory(chroma.Keyword):
				s = st.JSONLiteral.Render(s)
			case tok.Type == chroma.Punctuation:
				s = st.JSONPunct.Render(s)
			}
			b.WriteString(s)
		}
	}
	return b.String()
}
