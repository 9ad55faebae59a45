package sessions

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kycwatch/kycwatch/decode"
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

// marshalLineJSON is how the line was encoded before AppendLine: by
// encoding/json, then the dangerous runes escaped in the JSON text. The
// tests hold AppendLine to its bytes.
func marshalLineJSON(r Record) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Line()); err != nil {
		panic(err)
	}
	js := b.Bytes()
	if asciiNoDEL(js) {
		return js // the usual line, as the old code let it through
	}
	var out []byte
	for len(js) > 0 {
		c, n := utf8.DecodeRune(js)
		switch {
		case !dangerousRune(c):
			out = append(out, js[:n]...)
		case c > 0xffff:
			c1, c2 := utf16.EncodeRune(c)
			out = fmt.Appendf(out, `\u%04x\u%04x`, c1, c2)
		default:
			out = fmt.Appendf(out, `\u%04x`, c)
		}
		js = js[n:]
	}
	return out
}

// asciiNoDEL reports whether b is ASCII without DEL, a word at a time.
func asciiNoDEL(b []byte) bool {
	if bytes.IndexByte(b, 0x7f) >= 0 {
		return false
	}
	for ; len(b) >= 8; b = b[8:] {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
	}
	return !slices.ContainsFunc(b, func(c byte) bool { return c >= 0x80 })
}

// nastyStrings are what a payload or a path may carry that an encoder can
// get wrong.
var nastyStrings = []string{
	"", "plain", `"quoted" \back\slash/`, "\b\f\n\r\t", "\x00\x01\x1b[2J\x1f", "\x7f", "<a href='x'>&amp;</a>",
	"\u0080\u0085\u009b\u009f\u00a0\u00ad", "\u2028\u2029", "\u202e\u2066\u2069\u200b\u200e\u200d\ufeff\u061c",
	"\xff\xfe", "a\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\ufffd",
	"é日本", "😀👩‍👩‍👧\U0001F3F4\U000E0067\U000E0062\U000E007F", "\U000E0001\U0001D173\U000110BD\U0010FFFF",
	"2026-11-23T09:00:00Z", "ends with a backslash\\",
}

// lineRecord is a record whose every line field is set, strings from ss in
// turn and the numbers from ns.
func lineRecord(ss []string, at time.Time, ns []int64, truncated bool) Record {
	s := func(i int) string { return ss[i%len(ss)] }
	n := func(i int) int64 { return ns[i%len(ns)] }
	return Record{
		Incoming: Incoming{ReceivedAt: at, Method: s(0), Path: s(1), BodySize: n(0), Truncated: truncated},
		Seq:      n(1), Status: int(n(2)), Answered: int(n(3)), DuplicateOf: n(4), Origin: s(2), StreamSeq: n(5),
		Delivery: decode.Delivery{Kind: decode.Kind(s(3)), Provider: decode.Provider(s(4)), SessionID: s(5), AttemptID: s(6),
			Code: int(n(6)), State: s(7), VendorData: s(8), Note: s(9), Problem: s(10)},
		Verdict: decode.Verdict{Signature: decode.Signature(s(11)), APIKey: decode.APIKey(s(12)), Reason: s(13)},
	}
}

// checkLine fails unless r's line is the old encoding's bytes and reads
// back as r.Line(), with each invalid UTF-8 byte as U+FFFD.
func checkLine(t *testing.T, r Record) {
	t.Helper()
	got, want := r.AppendLine([]byte("kept")), marshalLineJSON(r)
	if !bytes.Equal(got[4:], want) || string(got[:4]) != "kept" {
		t.Fatalf("AppendLine\n got %q\nwant %q", got, want)
	}
	var back Line
	if err := json.Unmarshal(got[4:], &back); err != nil {
		t.Fatalf("%v: %q", err, got)
	}
	if l := validLine(r.Line()); back != l {
		t.Fatalf("read back\n %+v\nwant %+v", back, l)
	}
}

// validLine is l with its strings as encoding/json reads them back.
func validLine(l Line) Line {
	for _, s := range []*string{&l.ReceivedAt, &l.Method, &l.Path, &l.Kind, &l.Provider, &l.SessionID, &l.AttemptID, &l.State,
		&l.Signature, &l.APIKey, &l.Reason, &l.VendorData, &l.Note, &l.Problem, &l.Origin} {
		*s = string([]rune(*s)) // U+FFFD for each bad byte
	}
	return l
}

func TestAppendLineIsTheOldEncoding(t *testing.T) {
	nums := []int64{0, 1, -1, 7001, math.MaxInt64, math.MinInt64, math.MaxInt32 + 1}
	times := []time.Time{t0, t0.Add(123456789 * time.Nanosecond), time.Unix(0, 0), {}, time.Date(12345, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)),
		time.Date(-7, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i, s := range nastyStrings {
		ss := []string{s, nastyStrings[(i+1)%len(nastyStrings)], s + s}
		checkLine(t, lineRecord(ss, times[i%len(times)], append(nums[i%len(nums):], nums...), i%2 == 0))
	}
	checkLine(t, Record{})                                  // the empty line: problem, origin and stream_seq left out
	checkLine(t, lineRecord(nastyStrings, t0, nums, false)) // every string at once
}

// FuzzAppendLine: for any strings, numbers and time, AppendLine writes
// the old encoding's bytes, and they read back as the record's line.
func FuzzAppendLine(f *testing.F) {
	for i, s := range nastyStrings {
		f.Add(s, nastyStrings[len(nastyStrings)-1-i], int64(i)*1e9, int64(i-3), int64(7001), i%2 == 0)
	}
	f.Add("\x7f\u0085", "", int64(math.MinInt64), int64(math.MaxInt64), int64(math.MinInt64), true)
	f.Fuzz(func(t *testing.T, a, b string, at, n1, n2 int64, truncated bool) {
		ss := []string{a, b, a + b, b + a}
		checkLine(t, lineRecord(ss, time.Unix(at/1e9, at%1e9), []int64{n1, n2, 0, n1 ^ n2, -n1}, truncated))
	})
}

// lineBenchRecord is an ordinary delivery: a signed Veriff event.
func lineBenchRecord(b *testing.B) Record {
	body := fixture(b, "veriff-event-7001-started.json")
	r := Judge(Incoming{ReceivedAt: t0.Add(123456 * time.Microsecond), Method: "POST", Path: "/veriff/events",
		Header: signed(body, "s", ""), Body: body, BodySize: int64(len(body))}, decode.Keys{VeriffSecrets: []string{"s"}})
	r.Seq = 123456
	return r
}

// lineSink keeps a benchmark's line on the heap, where a caller's goes.
var lineSink []byte

func BenchmarkMarshalLine(b *testing.B) {
	r := lineBenchRecord(b)
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			lineSink = marshalLineJSON(r)
		}
	})
	b.Run("MarshalLine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			lineSink = r.MarshalLine()
		}
	})
	b.Run("AppendLine", func(b *testing.B) { // one buffer, as headless prints
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf = r.AppendLine(buf[:0])
		}
	})
}
