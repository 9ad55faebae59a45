// VerifiMe's signature: HMAC-SHA256 over the exact body in
// X-VerifiMe-Signature (no API key).

package verifime

import "github.com/kycwatch/kycwatch/internal/webhook"

// The headers VerifiMe sends its webhook with, as it writes them; lookups
// are case-insensitive.
const (
	SignatureHeader = "X-VerifiMe-Signature"
	VersionHeader   = "X-VerifiMe-Version"
)

// Sign is VerifiMe's signature of a body: hex HMAC-SHA256 keyed with the
// webhook secret.
func Sign(secret string, body []byte) string { return webhook.Sign(secret, body) }

// Claims says a request carries VerifiMe's signature header.
func Claims(h map[string][]string) bool {
	_, _, ok := webhook.Header(h, SignatureHeader)
	return ok
}

// Verify checks a VerifiMe delivery's signature over the exact body bytes
// under each of secrets. VerifiMe sends no API key: it is unchecked.
func Verify(h map[string][]string, body []byte, secrets []string) webhook.Verdict {
	v := webhook.CheckHMAC(h, body, []string{SignatureHeader}, secrets, nil)
	v.APIKey = webhook.KeyUnchecked
	return v
}
