// Package decode verifies webhook signatures and turns raw webhook bodies
// into typed, provider-neutral deliveries. Everything here is pure: no I/O,
// no clock, no globals, so it can be fuzzed and tested byte for byte.
package decode

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

// APIKey is the outcome of checking Veriff's X-AUTH-CLIENT header.
type APIKey string

const (
	KeyMatch     APIKey = "match"
	KeyMismatch  APIKey = "mismatch"
	KeyMissing   APIKey = "missing"
	KeyUnchecked APIKey = "unchecked" // no API key configured, or not a Veriff delivery
)

// Provider names who sent a delivery.
type Provider string

const (
	Veriff   Provider = "veriff"
	VerifiMe Provider = "verifime"
	Unknown  Provider = ""
)

// Keys holds what the receiver knows to check deliveries against. Several
// Veriff secrets may be configured (more than one integration, or rotation).
type Keys struct {
	VeriffSecrets   []string
	VeriffAPIKey    string
	VerifiMeSecrets []string
}

// Verdict is what Verify concludes about one delivery.
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

// Header names, lower case; lookups are case-insensitive.
var (
	veriffSigHeaders    = []string{"x-hmac-signature", "vrf-hmac-signature"}
	veriffClientHeaders = []string{"x-auth-client", "vrf-auth-client"}
	legacySigHeader     = "x-signature"
	verifimeSigHeader   = "x-verifime-signature"
)

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

func firstHeader(h map[string][]string, names []string) (value, as string, ok bool) {
	for _, n := range names {
		if v, k, ok := Header(h, n); ok {
			return v, k, true
		}
	}
	return "", "", false
}

// ProviderOf tells which provider a delivery claims to come from: a VerifiMe
// signature header or a VerifiMe-shaped body wins, anything else is Veriff's
// (the kind that a Veriff webhook URL receives) unless kind says otherwise.
func ProviderOf(h map[string][]string, kind Kind) Provider {
	if _, _, ok := Header(h, verifimeSigHeader); ok {
		return VerifiMe
	}
	switch kind {
	case KindRiskAssessment:
		return VerifiMe
	case KindEvent, KindDecision, KindUserStatus, KindWatchlist:
		return Veriff
	}
	if _, _, ok := firstHeader(h, veriffSigHeaders); ok {
		return Veriff
	}
	if _, _, ok := firstHeader(h, veriffClientHeaders); ok {
		return Veriff
	}
	return Unknown
}

// Sign returns the lowercase hex HMAC-SHA256 of msg keyed with secret, the
// scheme Veriff and VerifiMe both use.
func Sign(secret string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery's signature over the exact body bytes received,
// and for Veriff deliveries its API key. provider decides which secrets and
// headers apply; Unknown is checked as Veriff, the default sender.
func Verify(h map[string][]string, body []byte, provider Provider, keys Keys) Verdict {
	if provider == VerifiMe {
		v := checkSignature(h, body, []string{verifimeSigHeader}, keys.VerifiMeSecrets, "")
		v.APIKey = KeyUnchecked
		return v
	}
	v := checkSignature(h, body, veriffSigHeaders, keys.VeriffSecrets, keys.VeriffAPIKey)
	v.APIKey = checkAPIKey(h, keys.VeriffAPIKey)
	if v.APIKey == KeyMismatch || v.APIKey == KeyMissing {
		why := "X-AUTH-CLIENT is not the configured API key"
		if v.APIKey == KeyMissing {
			why = "no X-AUTH-CLIENT header"
		}
		if v.Reason == "" {
			v.Reason = why
		} else {
			v.Reason += "; " + why
		}
	}
	return v
}

func checkAPIKey(h map[string][]string, want string) APIKey {
	if want == "" {
		return KeyUnchecked
	}
	got, _, ok := firstHeader(h, veriffClientHeaders)
	if !ok || strings.TrimSpace(got) == "" {
		return KeyMissing
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1 {
		return KeyMatch
	}
	return KeyMismatch
}

func checkSignature(h map[string][]string, body []byte, headers, secrets []string, apiKey string) Verdict {
	secrets = nonEmpty(secrets)
	got, as, ok := firstHeader(h, headers)
	got = strings.TrimSpace(got)
	if !ok || got == "" {
		if len(secrets) == 0 {
			return Verdict{Signature: SigUnchecked}
		}
		v := Verdict{Signature: SigMissing, Reason: "no signature header"}
		if legacy, _, ok := Header(h, legacySigHeader); ok && legacy != "" {
			v.Reason = "only a legacy X-SIGNATURE header (SHA-256 of body+secret): Veriff now signs with HMAC-SHA256 in X-HMAC-SIGNATURE"
		}
		return v
	}
	if len(secrets) == 0 {
		return Verdict{Signature: SigUnchecked, Header: as}
	}
	sig, err := hex.DecodeString(strings.ToLower(got))
	if err != nil || len(sig) != sha256.Size {
		return Verdict{Signature: SigInvalid, Header: as, Reason: "signature is not a hex SHA-256 digest"}
	}
	for _, s := range secrets {
		if hmacEqual(s, body, sig) {
			return Verdict{Signature: SigValid, Header: as}
		}
	}
	return Verdict{Signature: SigInvalid, Header: as, Reason: explain(body, sig, secrets, apiKey)}
}

func hmacEqual(secret string, msg, sig []byte) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(msg)
	return subtle.ConstantTimeCompare(m.Sum(nil), sig) == 1
}

// explain recomputes the signature the usual wrong ways and names the first
// one that matches, so a failure tells the developer what to fix.
func explain(body, sig []byte, secrets []string, apiKey string) string {
	if apiKey != "" && hmacEqual(apiKey, body, sig) {
		return "signed with the API key instead of the shared secret key"
	}
	for _, s := range secrets {
		legacy := sha256.Sum256(append(append([]byte{}, body...), s...))
		if subtle.ConstantTimeCompare(legacy[:], sig) == 1 {
			return "legacy scheme: SHA-256 of body+secret, not HMAC-SHA256"
		}
	}
	for _, s := range secrets {
		if len(body) > 0 && body[len(body)-1] == '\n' {
			trimmed := bytes.TrimRight(body, "\r\n")
			if hmacEqual(s, trimmed, sig) {
				return "a trailing newline was added to the body after signing"
			}
		}
		if hmacEqual(s, append(append([]byte{}, body...), '\n'), sig) {
			return "the body lost a trailing newline after signing"
		}
	}
	if json.Valid(body) {
		for _, form := range reencodings(body) {
			for _, s := range secrets {
				if hmacEqual(s, form.bytes, sig) {
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
