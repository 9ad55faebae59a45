package sessions

import (
	"encoding/json"
	"testing"
)

// TestLineEscapesAstralFormatRunes: the tag characters (U+E0020–U+E007F,
// in the flags of England, Scotland and Wales) and the other format
// characters above U+FFFF are escaped as a UTF-16 surrogate pair, as JSON
// spells them; \ue0067 would read back as U+E006 and a "7".
func TestLineEscapesAstralFormatRunes(t *testing.T) {
	flag := "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"
	r := Record{Incoming: Incoming{ReceivedAt: t0, Path: "/" + flag + "\U0001D173"}}
	line := r.MarshalLine()
	var back Line
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatal(err)
	}
	if back.Path != r.Path {
		t.Errorf("path read back %+q, want %+q: %s", back.Path, r.Path, line)
	}
}
