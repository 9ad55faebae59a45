// Signatures: the HMAC-SHA256 both providers sign webhooks with, checked
// over the exact bytes received, and the verdict kycwatch shows.

package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Signature is the outcome of checking a delivery's HMAC signature.
type Signature string

const (
	SigValid     Signature = "valid"
	SigInvalid   Signature = "invalid"
	SigMissing   Signature = "missing"
	SigUnchecked Signature = "unchecked" // no secret configured for this provider
)

// APIKey is the outcome of checking an API key header (Veriff's
// X-AUTH-CLIENT).
type APIKey string

const (
	KeyMatch     APIKey = "match"
	KeyMismatch  APIKey = "mismatch"
	KeyMissing   APIKey = "missing"
	KeyUnchecked APIKey = "unchecked" // no API key configured, or not a Veriff delivery
)

// Verdict is what is concluded about one delivery's signature and key.
type Verdict struct {
	Signature Signature `json:"signature"`
	APIKey    APIKey    `json:"api_key"`
	// Reason explains an invalid signature where it can be told, or a
	// mismatched API key. Empty when all is well.
	Reason string `json:"reason,omitempty"`
	// Header is the header the signature was read from, as named in the
	// request (e.g. "X-Hmac-Signature").
	Header string `json:"header,omitempty"`
}

// Header returns the first value of the named header, matching the name
// case-insensitively whatever form the map's keys are in.
func Header(h map[string][]string, name string) (value, as string, ok bool) {
	if vs, found := h[name]; found && len(vs) > 0 {
		return vs[0], name, true
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0], k, true
		}
	}
	return "", "", false
}

// FirstHeader is Header for the first of names present.
func FirstHeader(h map[string][]string, names []string) (value, as string, ok bool) {
	for _, n := range names {
		if v, k, ok := Header(h, n); ok {
			return v, k, true
		}
	}
	return "", "", false
}

// Sign returns the lowercase hex HMAC-SHA256 of msg keyed with secret, the
// scheme Veriff and VerifiMe both use.
func Sign(secret string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// Signs says sig is the HMAC-SHA256 of msg keyed with secret, in constant
// time.
func Signs(secret string, msg, sig []byte) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(msg)
	return subtle.ConstantTimeCompare(m.Sum(nil), sig) == 1
}

// Explain names what a sender did wrong when no secret signs the body:
// sig is the digest received. It returns "" when it cannot tell.
type Explain func(body, sig []byte, secrets []string) string

// CheckHMAC checks the hex signature in the first of headers present
// against body under each non-empty secret. When none matches, the
// provider's own explain (may be nil) is asked first, then the mistakes
// any sender makes (the legacy SHA-256 of body+secret, a newline added or
// lost, a re-encoded body). The
// verdict's APIKey is left empty for the provider to set.
func CheckHMAC(h map[string][]string, body []byte, headers, secrets []string, explain Explain) Verdict {
	secrets = nonEmpty(secrets)
	got, as, ok := FirstHeader(h, headers)
	got = strings.TrimSpace(got)
	if !ok || got == "" {
		if len(secrets) == 0 {
			return Verdict{Signature: SigUnchecked}
		}
		return Verdict{Signature: SigMissing, Reason: "no signature header"}
	}
	if len(secrets) == 0 {
		return Verdict{Signature: SigUnchecked, Header: as}
	}
	sig, err := hex.DecodeString(strings.ToLower(got))
	if err != nil || len(sig) != sha256.Size {
		return Verdict{Signature: SigInvalid, Header: as, Reason: "signature is not a hex SHA-256 digest"}
	}
	for _, s := range secrets {
		if Signs(s, body, sig) {
			return Verdict{Signature: SigValid, Header: as}
		}
	}
	why := ""
	if explain != nil {
		why = explain(body, sig, secrets)
	}
	if why == "" {
		why = explainAny(body, sig, secrets)
	}
	return Verdict{Signature: SigInvalid, Header: as, Reason: why}
}

// explainAny recomputes the signature the usual wrong ways and names the
// first one that matches, so a failure tells the developer what to fix.
func explainAny(body, sig []byte, secrets []string) string {
	for _, s := range secrets {
		legacy := sha256.Sum256(append(append([]byte{}, body...), s...))
		if subtle.ConstantTimeCompare(legacy[:], sig) == 1 {
			return "legacy scheme: SHA-256 of body+secret, not HMAC-SHA256"
		}
	}
	for _, s := range secrets {
		if len(body) > 0 && body[len(body)-1] == '\n' {
			trimmed := bytes.TrimRight(body, "\r\n")
			if Signs(s, trimmed, sig) {
				return "a trailing newline was added to the body after signing"
			}
		}
		if Signs(s, append(append([]byte{}, body...), '\n'), sig) {
			return "the body lost a trailing newline after signing"
		}
	}
	if json.Valid(body) {
		for _, form := range reencodings(body) {
			for _, s := range secrets {
				if Signs(s, form.bytes, sig) {
					return "signed over a re-encoded body (" + form.name + "), not the bytes sent"
				}
			}
		}
	}
	return "no configured secret matches: wrong secret, or the body changed after signing"
}

type encoding struct {
	name  string
	bytes []byte
}

// reencodings lists the forms a sender commonly signs instead of the bytes it
// sends: compact JSON (JSON.stringify), and pretty-printed with 2 or 4 spaces.
func reencodings(body []byte) []encoding {
	var out []encoding
	var c bytes.Buffer
	if json.Compact(&c, body) == nil && !bytes.Equal(c.Bytes(), body) {
		out = append(out, encoding{"compact JSON", c.Bytes()})
	}
	for _, ind := range []string{"  ", "    ", "\t"} {
		var p bytes.Buffer
		if json.Indent(&p, body, "", ind) == nil && !bytes.Equal(p.Bytes(), body) {
			out = append(out, encoding{"pretty-printed JSON", p.Bytes()})
		}
	}
	return out
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Marshal encodes v as the providers send JSON: compact, no trailing
// newline, no HTML escaping, so that a client that re-encodes with
// JSON.stringify gets the same bytes.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
