package decode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kycwatch/kycwatch/internal/piitest"
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

// TestMaskPIIEveryFixture: no name, date of birth, document number,
// address, email, phone or IP of any payload kind survives masking, nested
// in arrays and objects (watchlist aka and associates), under snake_case
// keys, or as numbers.
func TestMaskPIIEveryFixture(t *testing.T) {
	files, _ := filepath.Glob("../testdata/payloads/*.json")
	bodies := map[string][]byte{
		"contact details": []byte(`{"person":{"email":"jane@example.com","phone_number":"+372 5555 1234","addresses":[{"fullAddress":"Main St 1, Tallinn","parsedAddress":{"city":"Tallinn","street":"Main St"}}]},"technicalData":{"ip":"2001:db8::1"}}`),
		"escaped key":     []byte(`{"first\u004eame":"Hidden Person","x":1}`),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(f)] = b
	}
	for name, b := range bodies {
		t.Run(name, func(t *testing.T) {
			out := MaskPII(b)
			if !json.Valid(out) {
				t.Fatalf("masking broke the JSON: %s", out)
			}
			for _, v := range piitest.Values(b) {
				if strings.Contains(string(out), v) {
					t.Errorf("%q survived masking", v)
				}
			}
		})
	}
	if vs := piitest.Values(bodies["veriff-watchlist-pep.json"]); !slices.Contains(vs, "Olena Petrenko") || !slices.Contains(vs, "1971") {
		t.Fatalf("the test's own list misses the watchlist's names: %q", vs)
	}
}
