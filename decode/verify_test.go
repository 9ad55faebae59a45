package decode

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const publishedSecret = "abcdef12-abcd-abcd-abcd-abcdef012345"

// TestVectorsFromOpenSSL checks Sign and Verify against digests computed by
// openssl (testdata/vectors/gen.sh), including Veriff's published vectors.
func TestVectorsFromOpenSSL(t *testing.T) {
	f, err := os.Open("../testdata/vectors/signatures.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("bad line %q", sc.Text())
		}
		scheme, secret, file, want := cols[0], cols[1], cols[2], cols[3]
		body, err := os.ReadFile(filepath.Join("../testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		n++
		switch scheme {
		case "hmac":
			if got := Sign(secret, body); got != want {
				t.Errorf("%s: Sign = %s, openssl %s", file, got, want)
			}
			h := map[string][]string{"X-Hmac-Signature": {strings.ToUpper(want)}}
			if v := Verify(h, body, Veriff, Keys{VeriffSecrets: []string{"other", secret}}); v.Signature != SigValid {
				t.Errorf("%s: Verify = %+v", file, v)
			}
		case "legacy":
			h := map[string][]string{"X-Hmac-Signature": {want}}
			v := Verify(h, body, Veriff, Keys{VeriffSecrets: []string{secret}})
			if v.Signature != SigInvalid || !strings.Contains(v.Reason, "legacy") {
				t.Errorf("%s: legacy digest: %+v", file, v)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestPublishedVector(t *testing.T) {
	msg := `{"verification":{"callback":"https://veriff.com","person":{"firstName":"John","lastName":"Smith"},"document":{"type":"PASSPORT","country":"EE"},"vendorData":"unique id of a user","timestamp":"2016-05-19T08:30:25.597Z"}}`
	if got := Sign(publishedSecret, []byte(msg)); got != "6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67" {
		t.Fatal(got)
	}
	if got := Sign(publishedSecret, []byte("aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7")); got != "895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd" {
		t.Fatal(got)
	}
}

func TestVerifyOutcomes(t *testing.T) {
	body := []byte(`{"id":"s1","code":7001,"action":"started"}`)
	good := Sign("sec", body)
	legacy := sha256.Sum256(append(append([]byte{}, body...), "sec"...))
	pretty, _ := indent(body)
	cases := []struct {
		name    string
		h       map[string][]string
		body    []byte
		keys    Keys
		sig     Signature
		key     APIKey
		reason  string
		headerO string
	}{
		{"valid", hdr("X-HMAC-SIGNATURE", good, "X-AUTH-CLIENT", "k"), body, Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k"}, SigValid, KeyMatch, "", "X-HMAC-SIGNATURE"},
		{"lowercase header names", hdr("x-hmac-signature", good, "x-auth-client", "k"), body, Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k"}, SigValid, KeyMatch, "", ""},
		{"vrf variants", hdr("vrf-hmac-signature", good, "vrf-auth-client", "k"), body, Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k"}, SigValid, KeyMatch, "", ""},
		{"uppercase hex", hdr("X-Hmac-Signature", strings.ToUpper(good)), body, Keys{VeriffSecrets: []string{"sec"}}, SigValid, KeyUnchecked, "", ""},
		{"second secret (rotation)", hdr("X-Hmac-Signature", good), body, Keys{VeriffSecrets: []string{"new", "sec"}}, SigValid, KeyUnchecked, "", ""},
		{"no secret configured", hdr("X-Hmac-Signature", good), body, Keys{}, SigUnchecked, KeyUnchecked, "", ""},
		{"no secret, no header", hdr(), body, Keys{}, SigUnchecked, KeyUnchecked, "", ""},
		{"missing", hdr(), body, Keys{VeriffSecrets: []string{"sec"}}, SigMissing, KeyUnchecked, "no signature header", ""},
		{"missing, legacy header", hdr("X-Signature", hex.EncodeToString(legacy[:])), body, Keys{VeriffSecrets: []string{"sec"}}, SigMissing, KeyUnchecked, "legacy", ""},
		{"wrong secret", hdr("X-Hmac-Signature", Sign("nope", body)), body, Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "no configured secret matches", ""},
		{"api key used as secret", hdr("X-Hmac-Signature", Sign("k", body), "X-Auth-Client", "k"), body, Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k"}, SigInvalid, KeyMatch, "API key", ""},
		{"legacy scheme", hdr("X-Hmac-Signature", hex.EncodeToString(legacy[:])), body, Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "legacy", ""},
		{"newline added", hdr("X-Hmac-Signature", good), append(append([]byte{}, body...), '\n'), Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "trailing newline was added", ""},
		{"newline stripped", hdr("X-Hmac-Signature", Sign("sec", append(append([]byte{}, body...), '\n'))), body, Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "lost a trailing newline", ""},
		{"signed compact, sent pretty", hdr("X-Hmac-Signature", good), pretty, Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "compact JSON", ""},
		{"signed pretty, sent compact", hdr("X-Hmac-Signature", Sign("sec", pretty)), body, Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "pretty-printed", ""},
		{"truncated body", hdr("X-Hmac-Signature", good), body[:10], Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "no configured secret", ""},
		{"not hex", hdr("X-Hmac-Signature", "zz"), body, Keys{VeriffSecrets: []string{"sec"}}, SigInvalid, KeyUnchecked, "not a hex", ""},
		{"api key mismatch", hdr("X-Hmac-Signature", good, "X-Auth-Client", "other"), body, Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k"}, SigValid, KeyMismatch, "not the configured API key", ""},
		{"api key missing", hdr("X-Hmac-Signature", good), body, Keys{VeriffSecrets: []string{"sec"}, VeriffAPIKey: "k"}, SigValid, KeyMissing, "no X-AUTH-CLIENT", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Verify(c.h, c.body, Veriff, c.keys)
			if v.Signature != c.sig || v.APIKey != c.key {
				t.Fatalf("got %+v, want %s/%s", v, c.sig, c.key)
			}
			if c.reason == "" && v.Reason != "" || !strings.Contains(v.Reason, c.reason) {
				t.Fatalf("reason %q, want it to contain %q", v.Reason, c.reason)
			}
			if c.headerO != "" && v.Header != c.headerO {
				t.Fatalf("header %q, want %q", v.Header, c.headerO)
			}
		})
	}
}

func TestVerifyVerifiMe(t *testing.T) {
	body, _ := os.ReadFile("../testdata/payloads/verifime-risk-assessed.json")
	h := hdr("X-VerifiMe-Signature", Sign("vm", body), "X-VerifiMe-Version", "1")
	if p := ProviderOf(h, Decode(body).Kind); p != VerifiMe {
		t.Fatalf("provider %q", p)
	}
	keys := Keys{VeriffSecrets: []string{"veriff"}, VeriffAPIKey: "k", VerifiMeSecrets: []string{"vm"}}
	if v := Verify(h, body, VerifiMe, keys); v.Signature != SigValid || v.APIKey != KeyUnchecked {
		t.Fatalf("%+v", v)
	}
	// The Veriff secret does not sign VerifiMe deliveries.
	h = hdr("X-VerifiMe-Signature", Sign("veriff", body))
	if v := Verify(h, body, VerifiMe, keys); v.Signature != SigInvalid {
		t.Fatalf("%+v", v)
	}
	if v := Verify(hdr(), body, VerifiMe, Keys{VeriffSecrets: []string{"x"}}); v.Signature != SigUnchecked {
		t.Fatalf("%+v", v)
	}
}

func hdr(kv ...string) map[string][]string {
	h := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	return h
}

func indent(b []byte) ([]byte, error) {
	var out bytes.Buffer
	err := json.Indent(&out, b, "", "  ")
	return out.Bytes(), err
}

func FuzzVerify(f *testing.F) {
	body, _ := os.ReadFile("../testdata/payloads/veriff-event-7002-submitted.json")
	f.Add(body, Sign("sec", body), "k", "sec")
	f.Add([]byte(`{"a":1}`), "zz", "", "")
	f.Add([]byte("\n"), strings.Repeat("0", 64), "sec", "sec")
	f.Fuzz(func(t *testing.T, body []byte, sig, apiKey, secret string) {
		h := hdr("X-Hmac-Signature", sig, "X-Auth-Client", apiKey)
		keys := Keys{VeriffSecrets: []string{secret}, VeriffAPIKey: apiKey, VerifiMeSecrets: []string{secret}}
		for _, p := range []Provider{Veriff, VerifiMe, Unknown} {
			v := Verify(h, body, p, keys)
			if secret != "" && v.Signature == SigValid && Sign(secret, body) != strings.ToLower(strings.TrimSpace(sig)) {
				t.Fatalf("accepted a wrong signature: %+v", v)
			}
		}
		if secret != "" {
			h["X-Hmac-Signature"] = []string{Sign(secret, body)}
			if v := Verify(h, body, Veriff, keys); v.Signature != SigValid {
				t.Fatalf("rejected its own signature: %+v", v)
			}
		}
	})
}
