// Veriff's signatures: HMAC-SHA256 over the exact body in X-HMAC-SIGNATURE
// (or vrf-hmac-signature), and the integration's API key in X-AUTH-CLIENT.

package veriff

import (
	"crypto/subtle"
	"strings"

	"github.com/kycwatch/kycwatch/internal/webhook"
)

// The headers Veriff signs with, as it writes them.
const (
	SignatureHeader = "X-HMAC-SIGNATURE"
	ClientHeader    = "X-AUTH-CLIENT" // the integration's API key
	// LegacyHeader is the old scheme's (SHA-256 of body+secret).
	LegacyHeader = "X-SIGNATURE"
)

// The names a signature and an API key are read from, with their vrf-
// forms; lookups are case-insensitive.
var (
	SignatureHeaders = []string{SignatureHeader, "vrf-hmac-signature"}
	ClientHeaders    = []string{ClientHeader, "vrf-auth-client"}
)

// Sign is Veriff's signature of a body: hex HMAC-SHA256 keyed with the
// integration's shared secret.
func Sign(secret string, body []byte) string { return webhook.Sign(secret, body) }

// Claims says a request carries one of Veriff's signature or API key
// headers.
func Claims(h map[string][]string) bool {
	_, _, sig := webhook.FirstHeader(h, SignatureHeaders)
	_, _, key := webhook.FirstHeader(h, ClientHeaders)
	return sig || key
}

// Verify checks a Veriff delivery: its signature over the exact body bytes
// under each of secrets, and its API key against apiKey ("" leaves it
// unchecked).
func Verify(h map[string][]string, body []byte, secrets []string, apiKey string) webhook.Verdict {
	v := webhook.CheckHMAC(h, body, SignatureHeaders, secrets, func(body, sig []byte, _ []string) string {
		if apiKey != "" && webhook.Signs(apiKey, body, sig) {
			return "signed with the API key instead of the shared secret key"
		}
		return ""
	})
	if v.Signature == webhook.SigMissing {
		if legacy, _, ok := webhook.Header(h, LegacyHeader); ok && legacy != "" {
			v.Reason = "only a legacy X-SIGNATURE header (SHA-256 of body+secret): Veriff now signs with HMAC-SHA256 in X-HMAC-SIGNATURE"
		}
	}
	v.APIKey = checkAPIKey(h, apiKey)
	if v.APIKey == webhook.KeyMismatch || v.APIKey == webhook.KeyMissing {
		why := "X-AUTH-CLIENT is not the configured API key"
		if v.APIKey == webhook.KeyMissing {
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

func checkAPIKey(h map[string][]string, want string) webhook.APIKey {
	if want == "" {
		return webhook.KeyUnchecked
	}
	got, _, ok := webhook.FirstHeader(h, ClientHeaders)
	if !ok || strings.TrimSpace(got) == "" {
		return webhook.KeyMissing
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1 {
		return webhook.KeyMatch
	}
	return webhook.KeyMismatch
}
