// Package decode is kycwatch's front door to the providers' webhooks: it
// tells which provider a delivery comes from, has that provider's package
// (providers/veriff, providers/verifime) verify its signature and decode
// its body, and turns what they return into one provider-neutral Delivery.
// It also bounds what it reads (depth, emptiness) and masks personal data
// (MaskPII). Everything here is pure: no I/O, no clock, no globals, so it
// can be fuzzed and tested byte for byte.
package decode

import (
	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/providers/verifime"
)

// The verdict on a delivery's signature and API key. They are defined in
// internal/webhook, where the provider packages (which must not import
// decode) can produce them; the rest of kycwatch names them here.
type (
	Verdict   = webhook.Verdict
	Signature = webhook.Signature
	APIKey    = webhook.APIKey
)

// The outcomes of a signature check.
const (
	SigValid     = webhook.SigValid
	SigInvalid   = webhook.SigInvalid
	SigMissing   = webhook.SigMissing
	SigUnchecked = webhook.SigUnchecked
)

// The outcomes of an API key check.
const (
	KeyMatch     = webhook.KeyMatch
	KeyMismatch  = webhook.KeyMismatch
	KeyMissing   = webhook.KeyMissing
	KeyUnchecked = webhook.KeyUnchecked
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

// Sign returns the lowercase hex HMAC-SHA256 of msg keyed with secret, the
// scheme Veriff and VerifiMe both use (webhook.Sign).
func Sign(secret string, msg []byte) string { return webhook.Sign(secret, msg) }

// ProviderOf tells which provider a delivery claims to come from: a VerifiMe
// signature header or a VerifiMe-shaped body wins, anything else is Veriff's
// (the kind that a Veriff webhook URL receives) unless kind says otherwise.
func ProviderOf(h map[string][]string, kind Kind) Provider {
	if verifime.Claims(h) {
		return VerifiMe
	}
	switch kind {
	case KindRiskAssessment:
		return VerifiMe
	case KindEvent, KindDecision, KindUserStatus, KindWatchlist:
		return Veriff
	}
	if veriff.Claims(h) {
		return Veriff
	}
	return Unknown
}

// Verify checks a delivery's signature over the exact body bytes received,
// and for Veriff deliveries its API key, with the provider's own scheme.
// provider decides which secrets and headers apply; Unknown is checked as
// Veriff, the default sender.
func Verify(h map[string][]string, body []byte, provider Provider, keys Keys) Verdict {
	if provider == VerifiMe {
		return verifime.Verify(h, body, keys.VerifiMeSecrets)
	}
	return veriff.Verify(h, body, keys.VeriffSecrets, keys.VeriffAPIKey)
}
