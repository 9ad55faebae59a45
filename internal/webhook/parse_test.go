package webhook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// agrees checks ParseObj and items against encoding/json on doc.
func agrees(t *testing.T, doc []byte) {
	t.Helper()
	const limit = 8
	got, what := ParseObj(doc, limit)
	var want Obj
	err := json.Unmarshal(doc, &want)
	_, syntax := err.(*json.SyntaxError)
	switch {
	case Nesting(doc) > limit || syntax:
		if what != Invalid {
			t.Fatalf("%q: ParseObj says %d, want Invalid (err %v)", doc, what, err)
		}
	case err != nil || want == nil:
		if what != NotObject {
			t.Fatalf("%q: ParseObj says %d, want NotObject (err %v)", doc, what, err)
		}
	default:
		if what != IsObject || len(got) != len(want) {
			t.Fatalf("%q: ParseObj says %d %q, want %q", doc, what, got, want)
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || !bytes.Equal(g, v) {
				t.Fatalf("%q: field %q is %q, want %q", doc, k, g, v)
			}
		}
	}
	var wantItems []json.RawMessage
	arrErr := json.Unmarshal(doc, &wantItems)
	gotItems, ok := items(doc)
	if (arrErr == nil && wantItems != nil) != ok {
		t.Fatalf("%q: items ok %v, encoding/json says %v", doc, ok, arrErr)
	}
	for i := range wantItems {
		if ok && !bytes.Equal(gotItems[i], wantItems[i]) {
			t.Fatalf("%q: item %d is %q, want %q", doc, i, gotItems[i], wantItems[i])
		}
	}
}

var parseCases = []string{
	``, ` `, `{}`, ` { } `, `[]`, `[ ]`, `null`, `true`, `false`, `nul`, `truex`, `"s"`, `0`, `-0`, `01`, `-`,
	`1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.25e+10`, `1.5.5`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`,
	`{"a":1 "b":2}`, `{a:1}`, `{"a":1}x`, `{"a":1}{}`, `[1,]`, `[,1]`, `[1 2]`, `{"a":[1,{"b":null}],"c":"d"}`,
	`{"a":1,"a":2}`, `{"\u0041":1}`, `{"\u00e9t\u00e9":"\ud83d\ude00"}`, `{"a\"b":"c\\d"}`, `"\x"`, `"\u12"`,
	`"\u12G4"`, `"a` + "\x01" + `b"`, `"a` + "\x7f\xff\xfe" + `"`, `{"` + "\xff" + `":1}`, `"\/"`, "\t{\n\"a\"\r:\n1}\n",
	`{"a":"}"}`, `{"a":"\\"}`, `{"a":"\\\""}`, `[[[[[[[[[]]]]]]]]]`, `[[[[[[[[]]]]]]]]`, `{"a":[[[[[[[1]]]]]]]}`,
	`{"a":[[[[[[[[1]]]]]]]]}`, `"[[[[[[[[[[[["`, `[[[[[[[[[[`, `{"a":1}` + "\x00", "\u00a0{}",
}

func TestParseAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range parseCases {
		agrees(t, []byte(c))
	}
}

func FuzzParseAgreesWithEncodingJSON(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c))
	}
	payloads, _ := filepath.Glob("../../testdata/payloads/*.json")
	broken, _ := filepath.Glob("../../testdata/payloads/broken/*")
	for _, p := range append(payloads, broken...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte) { agrees(t, doc) })
}

func TestParseObjValuesAreTheDocumentsBytes(t *testing.T) {
	doc := []byte(`{"id" : "s-1", "code":7001 ,"context":{"reason":"x"},"list":[1, 2]}`)
	o, what := ParseObj(doc, 64)
	if what != IsObject {
		t.Fatal(what)
	}
	want := map[string]string{"id": `"s-1"`, "code": `7001`, "context": `{"reason":"x"}`, "list": `[1, 2]`}
	for k, v := range want {
		if string(o[k]) != v {
			t.Errorf("%s: %q, want %q", k, o[k], v)
		}
	}
	if o.Obj("context").Str("reason") != "x" || len(o.Arr("list")) != 2 {
		t.Errorf("nested reads: %q %q", o.Obj("context"), o.Arr("list"))
	}
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	if _, what := ParseObj([]byte(deep), 64); what != Invalid {
		t.Errorf("65 levels under a bound of 64: %d", what)
	}
	if _, what := ParseObj([]byte(deep[1:len(deep)-1]), 64); what != NotObject {
		t.Errorf("64 levels under a bound of 64: %d", what)
	}
}
