// Every API call's plumbing: reading it, checking its X-AUTH-CLIENT and
// signature as Veriff does, recording it, and answering it signed.

package sandbox

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/webhook"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

// call is one API request as it is recorded.
type call struct {
	in      sessions.Incoming
	verdict decode.Verdict
}

func (h *handler) read(r *http.Request) call {
	body, _ := io.ReadAll(io.LimitReader(r.Body, h.c.MaxBody))
	return call{in: sessions.Incoming{ReceivedAt: h.c.Now(), Method: r.Method, Path: r.URL.RequestURI(), RemoteAddr: r.RemoteAddr,
		Header: r.Header.Clone(), Body: body, BodySize: int64(len(body))}}
}

// auth checks a call as Veriff does: the API key, and the signature over
// the body (POST, PATCH) or over the session id (GET, DELETE). POST
// /sessions needs none but accepts one.
func (h *handler) auth(c *call, signed []byte, required bool) *veriff.Error {
	hdr := http.Header(c.in.Header)
	key := firstOf(hdr, veriff.ClientHeaders)
	c.verdict = decode.Verdict{Signature: decode.SigUnchecked, APIKey: decode.KeyMatch}
	switch {
	case key == "":
		c.verdict.APIKey = decode.KeyMissing
		return &veriff.Error{HTTPStatus: 401, Code: "1801", Message: "Mandatory X-AUTH-CLIENT header containing the API key is missing from the request."}
	case !sessions.IsUUID(key):
		c.verdict.APIKey = decode.KeyMismatch
		return &veriff.Error{HTTPStatus: 401, Code: "1802", Message: "API key is not a valid UUID."}
	case key != h.c.APIKey:
		c.verdict.APIKey = decode.KeyMismatch
		return &veriff.Error{HTTPStatus: 401, Code: "1803", Message: "Integration with the API key was not found."}
	}
	sig := strings.ToLower(firstOf(hdr, veriff.SignatureHeaders))
	if sig == "" && !required {
		return nil
	}
	c.verdict.Header = veriff.SignatureHeader
	if sig == "" {
		c.verdict.Signature = decode.SigMissing
		if hdr.Get(veriff.LegacyHeader) != "" {
			c.verdict.Header, c.verdict.Reason = veriff.LegacyHeader, "legacy signature scheme"
			return &veriff.Error{HTTPStatus: 401, Code: "1812", Message: "X-HMAC-SIGNATURE is missing. X-SIGNATURE (the legacy SHA-256 of the body and the secret) is no longer accepted: " + expected}
		}
		c.verdict.Reason = "no signature header"
		return &veriff.Error{HTTPStatus: 401, Code: "1812", Message: "X-HMAC-SIGNATURE is missing: " + expected}
	}
	if raw, err := hex.DecodeString(sig); err != nil || len(raw) != 32 {
		c.verdict.Signature = decode.SigMissing
		if sig != "" {
			c.verdict.Signature = decode.SigInvalid
		}
		c.verdict.Reason = "not a SHA-256 hex digest"
		return &veriff.Error{HTTPStatus: 401, Code: "1812", Message: "Signature is not a valid SHA256 hash."}
	}
	if !hmac.Equal([]byte(sig), []byte(veriff.Sign(h.c.Secret, signed))) {
		c.verdict.Signature = decode.SigInvalid
		if c.in.Method == http.MethodGet || c.in.Method == http.MethodDelete {
			c.verdict.Reason = "GET and DELETE are signed over the session id"
			return &veriff.Error{HTTPStatus: 401, Code: "1818", Message: "Signature \"" + sig + "\" does not match the HMAC-SHA256 of query ID."}
		}
		c.verdict.Reason = "the signature is not the HMAC-SHA256 of the body with the sandbox's shared secret"
		return &veriff.Error{HTTPStatus: 401, Code: "1819", Message: "Signature \"" + sig + "\" does not match the HMAC-SHA256 of request body."}
	}
	c.verdict.Signature = decode.SigValid
	return nil
}

// expected is what Veriff expects instead of a missing or legacy signature.
const expected = "send X-HMAC-SIGNATURE, the lowercase hex HMAC-SHA256 of the request body (of the id in the path for GET and DELETE) keyed with the integration's shared secret."

// record stores the call with its answer, on its session's timeline.
func (h *handler) record(ctx context.Context, c call, sessionID, state string, status int, note string) {
	if h.c.Record == nil {
		return
	}
	r := sessions.Record{Incoming: c.in, Status: status, Verdict: c.verdict}
	r.Delivery = decode.Delivery{Kind: decode.KindAPICall, Provider: decode.Veriff, SessionID: sessionID, State: state, Note: note}
	h.c.Record(ctx, r)
}

func (h *handler) reply(w http.ResponseWriter, r *http.Request, c call, sessionID, state string, status int, v any) {
	h.record(r.Context(), c, sessionID, state, status, fmt.Sprintf("%s %s → %d", c.in.Method, strings.TrimPrefix(r.URL.Path, "/sandbox"), status))
	body, _ := webhook.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	h.sign(w, body)
	w.WriteHeader(status)
	w.Write(body)
}

// sign signs an answer as Veriff signs its API's answers: X-AUTH-CLIENT
// (the API key) and X-HMAC-SIGNATURE, the HMAC-SHA256 of the answer's body
// with the shared secret, so a client can check it came from the sandbox.
func (h *handler) sign(w http.ResponseWriter, body []byte) {
	w.Header().Set(veriff.ClientHeader, h.c.APIKey)
	w.Header().Set(veriff.SignatureHeader, veriff.Sign(h.c.Secret, body))
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, c *call, sessionID string, e *veriff.Error) {
	cc := call{}
	if c != nil {
		cc = *c
	} else {
		cc = h.read(r)
	}
	h.reply(w, r, cc, sessionID, "", e.HTTPStatus, veriff.ErrorResponse{Status: "fail", Code: e.Code, Message: e.Message})
}

// asAPIError turns the simulator's errors into Veriff's.
func asAPIError(err error) *veriff.Error {
	if e, ok := err.(*veriff.Error); ok {
		return e
	}
	return &veriff.Error{HTTPStatus: http.StatusBadGateway, Code: "502", Message: "the webhook could not be delivered: " + err.Error()}
}

// readCall authenticates a GET or DELETE, signed over the id in its path.
func (h *handler) readCall(w http.ResponseWriter, r *http.Request) (call, string, bool) {
	return h.sessionCall(w, r, false)
}

// writeCall authenticates a POST or PATCH to the session in its path,
// signed over its body.
func (h *handler) writeCall(w http.ResponseWriter, r *http.Request) (call, string, bool) {
	return h.sessionCall(w, r, true)
}

// sessionCall authenticates a call to the session in its path, signed over
// its body, or (overBody false) over the session's id. A refused call is
// answered here (ok false).
func (h *handler) sessionCall(w http.ResponseWriter, r *http.Request, overBody bool) (c call, id string, ok bool) {
	c, id = h.read(r), r.PathValue("id")
	signed := []byte(id)
	if overBody {
		signed = c.in.Body
	}
	if e := h.auth(&c, signed, true); e != nil {
		h.fail(w, r, &c, id, e)
		return c, id, false
	}
	return c, id, true
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// firstOf is the first of the headers names that has a value, spaces
// trimmed ("" for none).
func firstOf(hdr http.Header, names []string) string {
	for _, n := range names {
		if v := strings.TrimSpace(hdr.Get(n)); v != "" {
			return v
		}
	}
	return ""
}
