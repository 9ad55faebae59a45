// Package sessions stores deliveries, folds them into verification sessions
// and their timelines, and tells the app's bus when new ones are stored.
package sessions

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/decode"
)

// Record is one delivery as kycwatch received, judged and answered it.
// Summaries (from Store.Recent) have no Header and no Body.
type Record struct {
	Incoming
	Seq    int64
	Status int // kycwatch's verdict as an HTTP status
	// Answered is what the provider was answered when that was not
	// kycwatch's verdict (--answer app: the app's status, or 502); 0 when
	// it was Status.
	Answered    int
	Delivery    decode.Delivery
	Verdict     decode.Verdict
	DuplicateOf int64
	// Team mode (a follower's store): the instance that received the
	// delivery, its reference there (instance/store/seq, unique), and the
	// delivery's sequence in the JetStream stream. Empty for a delivery
	// this instance received itself.
	Origin    string
	OriginRef string
	StreamSeq int64
}

// Accepted reports whether kycwatch answered 200: only accepted deliveries
// move a session's state, so a forged one cannot approve anybody.
func (r Record) Accepted() bool { return r.Status == http.StatusOK }

// ProviderStatus is the HTTP status the provider was answered.
func (r Record) ProviderStatus() int {
	if r.Answered != 0 {
		return r.Answered
	}
	return r.Status
}

// Failed reports whether the delivery failed a check it was held to.
func (r Record) Failed() bool {
	return r.Verdict.Signature == decode.SigInvalid || r.Verdict.Signature == decode.SigMissing ||
		r.Verdict.APIKey == decode.KeyMismatch || r.Verdict.APIKey == decode.KeyMissing
}

// Incoming is a request as the listener read it.
type Incoming struct {
	ReceivedAt time.Time
	Method     string
	Path       string
	RemoteAddr string
	Header     map[string][]string
	Body       []byte
	BodySize   int64
	Truncated  bool  // body over the size limit: Body holds its first bytes
	ReplayOf   int64 // sent again from kycwatch (X-Kycwatch-Replay): the original's seq
}

// Receiver judges and stores deliveries. It is the one place the listener
// hands requests to; the same path serves real providers and the
// simulator. Consumers learn of what it stored from the store (Stored
// events), never from the receiver.
type Receiver struct {
	store  *Store
	events Publisher // nil: none

	mu   sync.RWMutex
	keys decode.Keys
}

// KeysChanged is the event the receiver publishes when the keys it checks
// deliveries with change: the header shows what is enforced.
type KeysChanged struct{ Keys decode.Keys }

// NewReceiver returns a receiver that checks deliveries against keys and
// publishes its key changes to events (nil for none).
func NewReceiver(store *Store, keys decode.Keys, events Publisher) *Receiver {
	return &Receiver{store: store, keys: keys, events: events}
}

// Keys are the secrets deliveries are checked against.
func (rc *Receiver) Keys() decode.Keys {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return rc.keys
}

// UpdateKeys changes the keys in place, all at once, e.g. when the
// simulator brings its own: change gets them and says whether it changed
// them. A change is said on the bus, under the same lock, so two updates
// neither lose each other's change nor are told in the wrong order (Publish
// never blocks).
func (rc *Receiver) UpdateKeys(change func(k *decode.Keys) bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	k := rc.keys
	k.VeriffSecrets = slices.Clone(k.VeriffSecrets)
	k.VerifiMeSecrets = slices.Clone(k.VerifiMeSecrets)
	if !change(&k) {
		return
	}
	rc.keys = k
	if rc.events != nil {
		rc.events.Publish(KeysChanged{Keys: k})
	}
}

// CallbackPath is where kycwatch asks Veriff to send the end-user back
// (with ?ref=…, kycwatch's reference for the session).
const CallbackPath = "/veriff/callback"

// Returned records the end-user arriving at the callback URL: the end of
// the flow on their side (phase 1), before any decision. It is a browser
// redirect, so there is nothing to verify; ref says which session.
func (rc *Receiver) Returned(ctx context.Context, in Incoming, ref string) (Record, error) {
	r := Record{Incoming: in, Status: http.StatusOK}
	r.Verdict = decode.Verdict{Signature: decode.SigUnchecked, APIKey: decode.KeyUnchecked}
	r.Delivery = decode.Delivery{Kind: decode.KindCallback, Provider: decode.Veriff, State: "returned",
		Note: "the end-user came back from the verification flow (no decision yet)"}
	if t, ok := rc.store.TestSessionByRef(ctx, ref); ok {
		r.Delivery.SessionID, r.Delivery.VendorData, r.Delivery.EndUserID = t.ID, t.VendorData, t.EndUserID
	} else {
		r.Delivery.Note = "a callback with no known session reference"
	}
	return rc.keep(ctx, r)
}

// Judge decides the answer for a request without storing it: decode,
// verify, and the status Veriff's retry rules call for.
func Judge(in Incoming, keys decode.Keys) Record {
	r := Record{Incoming: in}
	if in.Truncated {
		r.Delivery = decode.Delivery{Kind: decode.KindInvalid, Problem: "body over the size limit", Note: "body over the size limit"}
		r.Delivery.Provider = decode.ProviderOf(in.Header, r.Delivery.Kind)
		r.Verdict = decode.Verify(in.Header, in.Body, r.Delivery.Provider, keys)
		if r.Verdict.Signature == decode.SigInvalid {
			r.Verdict.Reason = "body over the size limit: only its first bytes were kept, so it cannot be verified"
		}
		r.Status = http.StatusRequestEntityTooLarge
		return r
	}
	r.Delivery = decode.Decode(in.Body)
	r.Delivery.Provider = decode.ProviderOf(in.Header, r.Delivery.Kind)
	r.Verdict = decode.Verify(in.Header, in.Body, r.Delivery.Provider, keys)
	switch {
	case r.Verdict.Signature == decode.SigInvalid || r.Verdict.Signature == decode.SigMissing,
		r.Verdict.APIKey == decode.KeyMismatch || r.Verdict.APIKey == decode.KeyMissing:
		r.Status = http.StatusUnauthorized
	case r.Delivery.Kind == decode.KindInvalid:
		r.Status = http.StatusBadRequest
	default:
		r.Status = http.StatusOK
	}
	return r
}

// Judge decides the answer for in with the receiver's keys, storing
// nothing (with --answer app the provider's answer is known only later).
func (rc *Receiver) Judge(in Incoming) Record { return Judge(in, rc.Keys()) }

// Receive judges and stores one request, and returns the record with the
// status to answer, once it is committed. When storing fails the error is
// returned: the listener answers 500 so the provider retries.
func (rc *Receiver) Receive(ctx context.Context, in Incoming) (Record, error) {
	r := Judge(in, rc.Keys())
	return rc.keep(ctx, r)
}

// Keep stores a record made elsewhere (the sandbox's API calls): every
// request kycwatch answers is stored, and shown.
func (rc *Receiver) Keep(ctx context.Context, r Record) (Record, error) { return rc.keep(ctx, r) }

func (rc *Receiver) keep(ctx context.Context, r Record) (Record, error) {
	return rc.store.Append(ctx, r)
}
