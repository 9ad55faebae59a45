// Package veriff is Veriff's protocol in one place: its vocabulary (event
// actions, decision codes and statuses, reason texts: vocabulary.go), its
// webhooks as sent (webhooks.go) and as kycwatch reads them (payload.go,
// Decode), their signatures (signature.go: X-HMAC-SIGNATURE and
// X-AUTH-CLIENT), and a client of its API (api.go).
//
// It knows nothing of kycwatch's deliveries: decode, the front door, calls
// Decode and Verify and builds its Delivery from what they return. It
// imports only internal/webhook, what every provider shares, and
// providers/internal/apiclient, what the two API clients share.
package veriff
