package sessions

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
)

// nastyHeaders are header maps an encoder can get wrong.
var nastyHeaders = []map[string][]string{
	nil, {}, {"A": nil}, {"A": {}}, {"A": {""}}, {"": {"empty key"}},
	{"Content-Type": {"application/json"}, "X-Hmac-Signature": {"6af6d958"}, "Accept": {"a", "b", "c"}},
	{"b": {"1"}, "B": {"2"}, "a": {"3"}, "ä": {"4"}, "Z": {"5"}, "_": {"6"}, "a\xff": {"7"}, "a\u2028": {"8"}},
	{"X-Html": {"<script>alert('x&y')</script>", `"quoted" \back\slash/`}, "<&>": {"key"}},
	{"X-Ctl": {"\x00\x01\b\f\n\r\t\x1b\x1f\x7f", "\u0080\u009b\u00ad\u202e\u200b\ufeff"}},
	{"X-Utf8": {"\xff\xfe", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\ufffd", "é日本😀\U000E0067", "\u2028\u2029"}},
}

// checkHeader fails unless h's JSON is json.Marshal's.
func checkHeader(t *testing.T, h map[string][]string) {
	t.Helper()
	want, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendHeaderJSON([]byte("kept"), h); !bytes.Equal(got[4:], want) || string(got[:4]) != "kept" {
		t.Fatalf("appendHeaderJSON\n got %q\nwant %q", got, want)
	}
}

func TestHeaderJSONIsJSONMarshal(t *testing.T) {
	all := map[string][]string{}
	for _, h := range nastyHeaders {
		checkHeader(t, h)
		maps.Copy(all, h)
	}
	checkHeader(t, all)
}

// FuzzHeaderJSON: for any keys and values, appendHeaderJSON writes what
// json.Marshal does.
func FuzzHeaderJSON(f *testing.F) {
	for _, h := range nastyHeaders {
		for k, vs := range h {
			for _, v := range vs {
				f.Add(k, v, "X-"+v, v+k, uint8(len(vs)))
			}
		}
	}
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, shape uint8) {
		h := map[string][]string{k1: {v1, v2}, k2: {v2}, k1 + k2: {}, v1: nil}
		switch shape % 4 { // a key whose value is the empty or the nil slice, one value, or none of them
		case 1:
			h[v2] = []string{}
		case 2:
			h[v2] = nil
		case 3:
			h = map[string][]string{k1: {v1}}
		}
		checkHeader(t, h)
	})
}

// headerSink keeps a benchmark's JSON on the heap, where Append's goes.
var headerSink []byte

// BenchmarkHeaderJSON: a signed Veriff delivery's headers, as a server
// reads them.
func BenchmarkHeaderJSON(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Veriff-Webhooks/1.0"}, "Accept-Encoding": {"gzip"},
		"X-Hmac-Signature": {"6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67"}, "Content-Length": {"183"},
		"X-Auth-Client": {"0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f"}, "X-Forwarded-For": {"203.0.113.9"}}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			headerSink, _ = json.Marshal(map[string][]string(h))
		}
	})
	b.Run("appendHeaderJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			headerSink = appendHeaderJSON(nil, h)
		}
	})
}
