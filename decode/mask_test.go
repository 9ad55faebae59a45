package decode

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestMaskPII(t *testing.T) {
	body, err := os.ReadFile("../testdata/payloads/veriff-decision-approved.json")
	if err != nil {
		t.Fatal(err)
	}
	out := MaskPII(body)
	for _, secret := range []string{"SARAH", "MORGAN", "1967-03-30", "MORGA753116SM9IJ", "1234 Ridge Road", "186.153.67.122", "MADRID"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("%q survived masking", secret)
		}
	}
	if !json.Valid(out) {
		t.Fatal("masking broke the JSON")
	}
	// What is not personal stays: ids, statuses, codes, the shape.
	for _, kept := range []string{`"status": "approved"`, `"code": 9001`, "12df6045-3846-3e45-946a-14fa6136d78b", `"gender": null`} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("%q was lost", kept)
		}
	}
	// Escaped quotes inside a value, and hostile bytes, are handled.
	if got := string(MaskPII([]byte(`{"firstName":"A \"B\" C","x":"firstName"}`))); got != `{"firstName":"•••","x":"firstName"}` {
		t.Errorf("got %s", got)
	}
	MaskPII([]byte{0xff, '"', 'i', 'p', '"', ':', '"'})
}

func FuzzMaskPII(f *testing.F) {
	f.Add([]byte(`{"firstName":"x","ip":"1.2.3.4"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := MaskPII(b)
		if json.Valid(b) && !json.Valid(out) {
			t.Fatalf("valid JSON became invalid: %q -> %q", b, out)
		}
	})
}
