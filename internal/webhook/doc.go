// Package webhook holds what every provider's webhooks share, and nothing
// about any one provider: a JSON document checked and split in one pass
// (ParseObj), an object read field by field (Obj), header lookup,
// HMAC-SHA256 signing and the verdict on a signature (Sign, CheckHMAC,
// Verdict), and the compact JSON providers send (Marshal).
//
// The provider packages (providers/veriff, providers/verifime) build on it;
// decode, the front door, dispatches to them. It is pure: no I/O, no clock,
// no globals, and it imports nothing of kycwatch's.
package webhook
