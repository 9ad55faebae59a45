package decode

import (
	"os"
	"strings"
	"testing"
)

func benchBody(b *testing.B) []byte {
	body, err := os.ReadFile("../testdata/payloads/veriff-decision-approved.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkVerify: one valid Veriff delivery checked against two secrets
// (the matching one second) and an API key.
func BenchmarkVerify(b *testing.B) {
	body := benchBody(b)
	keys := Keys{VeriffSecrets: []string{"old", "sec"}, VeriffAPIKey: "k"}
	h := map[string][]string{"X-Hmac-Signature": {Sign("sec", body)}, "X-Auth-Client": {"k"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if v := Verify(h, body, Veriff, keys); v.Signature != SigValid {
			b.Fatal(v)
		}
	}
}

// BenchmarkVerifyExplained: a failing signature, which recomputes the usual
// mistakes to explain it (the slow path).
func BenchmarkVerifyExplained(b *testing.B) {
	body := benchBody(b)
	keys := Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k"}
	h := map[string][]string{"X-Hmac-Signature": {Sign("wrong", body)}, "X-Auth-Client": {"k"}}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		Verify(h, body, Veriff, keys)
	}
}

// BenchmarkDecode: the full decision sample (person, document, risk labels).
func BenchmarkDecode(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if d := Decode(body); d.Kind != KindDecision {
			b.Fatal(d.Kind)
		}
	}
}

// BenchmarkDecodeEvent: a 2 KiB session event, as the load tool sends
// (../shared/bench/load): the flood's common case.
func BenchmarkDecodeEvent(b *testing.B) {
	body := []byte(`{"id":"00000001-0000-4000-8000-000000000001","attemptId":"00000000-0000-4000-8000-000000000001",` +
		`"feature":"selfid","code":7001,"action":"started","vendorData":"` + strings.Repeat("x", 1648) + `","endUserId":null}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if d := Decode(body); d.Kind != KindEvent {
			b.Fatal(d.Kind)
		}
	}
}
