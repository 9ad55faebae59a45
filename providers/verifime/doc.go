// Package verifime is VerifiMe's protocol in one place: its vocabulary
// (tracking statuses, assessment statuses, risk levels: vocabulary.go), its
// RISK_ASSESSMENT_UPDATED webhook as sent and as kycwatch reads it
// (payload.go, Decode), its signature (signature.go:
// X-VerifiMe-Signature), and a client of its onboarding API (api.go).
//
// Like providers/veriff it knows nothing of kycwatch's deliveries: decode
// calls it. It imports only internal/webhook and providers/internal/apiclient.
package verifime
