// Package sandbox serves kycwatch's simulator as a Veriff-compatible API
// under /sandbox/v1, with Veriff's authentication and error answers, and
// the end-user's side of the flow as a small web page under /sandbox/flow:
// a backend written for Veriff runs against kycwatch by changing only its
// base URL. Every call is recorded for the session's timeline.
package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/providers/veriffapi"
	"github.com/kycwatch/kycwatch/providers/verifimeapi"
	"github.com/kycwatch/kycwatch/sessions"
)

// Prefixes the sandbox answers under.
const (
	APIPrefix         = "/sandbox/v1"
	FlowPrefix        = "/sandbox/flow/"
	VerifiMeAPIPrefix = "/sandbox/verifime/v1"
)

// Config is the sandbox's integration (its API key and shared secret) and
// where its news goes.
type Config struct {
	Sim *simulator.Simulator // Manual, signing with Secret and APIKey
	// Others are the other simulators whose VerifiMe invites the end-user
	// pages open (the TUI's, whose `i` invites point here).
	Others         []*simulator.Simulator
	APIKey, Secret string
	// Record stores an API call or end-user step and shows it.
	Record func(ctx context.Context, r sessions.Record)
	// Created remembers a new session and shows it.
	Created func(ctx context.Context, t sessions.TestSession)
	Now     func() time.Time
	MaxBody int64
}

type handler struct {
	c     Config
	mux   *http.ServeMux
	blobs blobs
}

// Handler answers /sandbox/v1/… and /sandbox/flow/….
func Handler(c Config) http.Handler {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxBody <= 0 {
		c.MaxBody = 10 << 20
	}
	h := &handler{c: c, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST "+APIPrefix+"/sessions", h.create)
	h.mux.HandleFunc("PATCH "+APIPrefix+"/sessions/{id}", h.patch)
	h.mux.HandleFunc("POST "+APIPrefix+"/sessions/{id}/media", h.addMedia)
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/media", h.media)
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/decision", h.decision)
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/attempts", h.attempts)
	h.mux.HandleFunc("DELETE "+APIPrefix+"/sessions/{id}", h.remove)
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/person", h.person)
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/watchlist-screening", h.watchlist)
	h.mux.HandleFunc("GET "+APIPrefix+"/attempts/{id}/media", h.attemptMedia)
	h.mux.HandleFunc("GET "+APIPrefix+"/media/{id}", h.mediaFile)
	h.mux.HandleFunc("GET "+FlowPrefix+"{id}", h.page)
	h.mux.HandleFunc("POST "+FlowPrefix+"{id}/{step}", h.step)
	h.mux.HandleFunc("POST "+VerifiMeAPIPrefix+"/user/invite", h.invite)
	h.mux.HandleFunc("GET "+VerifiMeAPIPrefix+"/user/signup/tracking/{ref}/status", h.tracking)
	h.mux.HandleFunc("GET "+simulator.InvitePage+"{ref}", h.invitation)
	h.mux.HandleFunc("POST "+simulator.InvitePage+"{ref}/complete", h.completeInvite)
	h.mux.HandleFunc("GET "+simulator.InviteQR+"{ref}", h.inviteQR)
	h.mux.HandleFunc("GET "+simulator.AssessmentPage+"{id}", h.assessment)
	h.mux.HandleFunc(APIPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, nil, "", &veriffapi.Error{HTTPStatus: http.StatusNotFound, Code: "404", Message: "No such endpoint: " + r.Method + " " + r.URL.Path})
	})
	return h
}

// ServeHTTP answers CORS for the APIs before anything else: Veriff's
// browser SDK (@veriff/js-sdk) creates sessions from the integrator's
// page, on another origin, with the API key (public in that model; the
// shared secret never goes to a browser). Any origin may call, without
// credentials; the preflight is answered for the methods and headers
// Veriff's clients send.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, APIPrefix+"/") || strings.HasPrefix(r.URL.Path, VerifiMeAPIPrefix+"/") {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Expose-Headers", "X-AUTH-CLIENT, X-HMAC-SIGNATURE")
		if r.Method == http.MethodOptions {
			hd.Set("Access-Control-Allow-Methods", corsMethods)
			hd.Set("Access-Control-Allow-Headers", corsHeaders)
			hd.Set("Access-Control-Max-Age", "600")
			hd.Set("Allow", corsMethods)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// What a preflight may ask for: the API's methods, and the headers of
// Veriff's clients (js-sdk sends x-auth-client, x-origin and, when set,
// vrf-integration-id; servers sign with x-hmac-signature).
const (
	corsMethods = "GET, POST, PATCH, DELETE, OPTIONS"
	corsHeaders = "Content-Type, X-AUTH-CLIENT, X-HMAC-SIGNATURE, X-ORIGIN, VRF-AUTH-CLIENT, VRF-HMAC-SIGNATURE, VRF-INTEGRATION-ID"
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
func (h *handler) auth(c *call, signed []byte, required bool) *veriffapi.Error {
	hdr := http.Header(c.in.Header)
	key := hdr.Get("X-AUTH-CLIENT")
	if key == "" {
		key = hdr.Get("Vrf-Auth-Client")
	}
	c.verdict = decode.Verdict{Signature: decode.SigUnchecked, APIKey: decode.KeyMatch}
	switch {
	case key == "":
		c.verdict.APIKey = decode.KeyMissing
		return &veriffapi.Error{HTTPStatus: 401, Code: "1801", Message: "Mandatory X-AUTH-CLIENT header containing the API key is missing from the request."}
	case !sessions.IsUUID(key):
		c.verdict.APIKey = decode.KeyMismatch
		return &veriffapi.Error{HTTPStatus: 401, Code: "1802", Message: "API key is not a valid UUID."}
	case key != h.c.APIKey:
		c.verdict.APIKey = decode.KeyMismatch
		return &veriffapi.Error{HTTPStatus: 401, Code: "1803", Message: "Integration with the API key was not found."}
	}
	sig := strings.ToLower(strings.TrimSpace(hdr.Get("X-HMAC-SIGNATURE")))
	if sig == "" {
		sig = strings.ToLower(strings.TrimSpace(hdr.Get("Vrf-Hmac-Signature")))
	}
	if sig == "" && !required {
		return nil
	}
	c.verdict.Header = "X-HMAC-SIGNATURE"
	if sig == "" {
		c.verdict.Signature = decode.SigMissing
		if hdr.Get("X-SIGNATURE") != "" {
			c.verdict.Header, c.verdict.Reason = "X-SIGNATURE", "legacy signature scheme"
			return &veriffapi.Error{HTTPStatus: 401, Code: "1812", Message: "X-HMAC-SIGNATURE is missing. X-SIGNATURE (the legacy SHA-256 of the body and the secret) is no longer accepted: " + expected}
		}
		c.verdict.Reason = "no signature header"
		return &veriffapi.Error{HTTPStatus: 401, Code: "1812", Message: "X-HMAC-SIGNATURE is missing: " + expected}
	}
	if raw, err := hex.DecodeString(sig); err != nil || len(raw) != 32 {
		c.verdict.Signature = decode.SigMissing
		if sig != "" {
			c.verdict.Signature = decode.SigInvalid
		}
		c.verdict.Reason = "not a SHA-256 hex digest"
		return &veriffapi.Error{HTTPStatus: 401, Code: "1812", Message: "Signature is not a valid SHA256 hash."}
	}
	if !hmac.Equal([]byte(sig), []byte(decode.Sign(h.c.Secret, signed))) {
		c.verdict.Signature = decode.SigInvalid
		if c.in.Method == http.MethodGet || c.in.Method == http.MethodDelete {
			c.verdict.Reason = "GET and DELETE are signed over the session id"
			return &veriffapi.Error{HTTPStatus: 401, Code: "1818", Message: "Signature \"" + sig + "\" does not match the HMAC-SHA256 of query ID."}
		}
		c.verdict.Reason = "the signature is not the HMAC-SHA256 of the body with the sandbox's shared secret"
		return &veriffapi.Error{HTTPStatus: 401, Code: "1819", Message: "Signature \"" + sig + "\" does not match the HMAC-SHA256 of request body."}
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
	body, _ := veriffapi.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	h.sign(w, body)
	w.WriteHeader(status)
	w.Write(body)
}

// sign signs an answer as Veriff signs its API's answers: X-AUTH-CLIENT
// (the API key) and X-HMAC-SIGNATURE, the HMAC-SHA256 of the answer's body
// with the shared secret, so a client can check it came from the sandbox.
func (h *handler) sign(w http.ResponseWriter, body []byte) {
	w.Header().Set("X-AUTH-CLIENT", h.c.APIKey)
	w.Header().Set("X-HMAC-SIGNATURE", decode.Sign(h.c.Secret, body))
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, c *call, sessionID string, e *veriffapi.Error) {
	cc := call{}
	if c != nil {
		cc = *c
	} else {
		cc = h.read(r)
	}
	h.reply(w, r, cc, sessionID, "", e.HTTPStatus, veriffapi.ErrorResponse{Status: "fail", Code: e.Code, Message: e.Message})
}

// asAPIError turns the simulator's errors into Veriff's.
func asAPIError(err error) *veriffapi.Error {
	if e, ok := err.(*veriffapi.Error); ok {
		return e
	}
	return &veriffapi.Error{HTTPStatus: http.StatusBadGateway, Code: "502", Message: "the webhook could not be delivered: " + err.Error()}
}

func (h *handler) create(w http.ResponseWriter, r *http.Request) {
	c := h.read(r)
	if e := h.auth(&c, c.in.Body, false); e != nil {
		h.fail(w, r, &c, "", e)
		return
	}
	var req struct {
		Verification *json.RawMessage `json:"verification"`
	}
	if json.Unmarshal(c.in.Body, &req) != nil || req.Verification == nil {
		h.fail(w, r, &c, "", &veriffapi.Error{HTTPStatus: 400, Code: "1102", Message: "Mandatory parameters are missing from the request."})
		return
	}
	var v map[string]json.RawMessage
	json.Unmarshal(*req.Verification, &v)
	if raw, ok := v["vendorData"]; ok && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			h.fail(w, r, &c, "", &veriffapi.Error{HTTPStatus: 400, Code: "1501", Message: "vendorData must be a string."})
			return
		}
	}
	var sr veriffapi.SessionRequest
	if err := json.Unmarshal(c.in.Body, &sr); err != nil {
		h.fail(w, r, &c, "", &veriffapi.Error{HTTPStatus: 400, Code: "1104", Message: "Request includes invalid parameters: " + err.Error()})
		return
	}
	created, err := h.c.Sim.CreateSession(r.Context(), sr)
	if err != nil {
		h.fail(w, r, &c, "", asAPIError(err))
		return
	}
	if h.c.Created != nil {
		t := sessions.TestSession{ID: created.ID, CreatedAt: c.in.ReceivedAt, Source: sessions.SourceSandbox,
			VendorData: sr.Verification.VendorData, EndUserID: sr.Verification.EndUserID, URL: created.URL, Callback: sr.Verification.Callback}
		if p := sr.Verification.Person; p != nil {
			t.FirstName, t.LastName = p.FirstName, p.LastName
		}
		h.c.Created(r.Context(), t)
	}
	h.reply(w, r, c, created.ID, "created", http.StatusCreated, veriffapi.SessionResponse{Status: "success", Verification: created})
}

func (h *handler) patch(w http.ResponseWriter, r *http.Request) {
	c, id := h.read(r), r.PathValue("id")
	if e := h.auth(&c, c.in.Body, true); e != nil {
		h.fail(w, r, &c, id, e)
		return
	}
	var req struct {
		Verification struct {
			Status string `json:"status"`
		} `json:"verification"`
	}
	if json.Unmarshal(c.in.Body, &req) != nil {
		h.fail(w, r, &c, id, &veriffapi.Error{HTTPStatus: 400, Code: "1102", Message: "Mandatory parameters are missing from the request."})
		return
	}
	if req.Verification.Status != "submitted" {
		h.fail(w, r, &c, id, &veriffapi.Error{HTTPStatus: 400, Code: "1303", Message: "Invalid status: only \"submitted\" can be set."})
		return
	}
	if err := h.c.Sim.Submit(r.Context(), id); err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	st, _ := h.c.Sim.State(id)
	h.reply(w, r, c, id, "submitted", http.StatusOK, map[string]any{"status": "success",
		"verification": map[string]any{"id": id, "vendorData": nullable(st.VendorData), "status": "submitted"}})
}

func (h *handler) addMedia(w http.ResponseWriter, r *http.Request) {
	c, id := h.read(r), r.PathValue("id")
	if e := h.auth(&c, c.in.Body, true); e != nil {
		h.fail(w, r, &c, id, e)
		return
	}
	var req struct {
		Image *struct {
			Context   string `json:"context"`
			Content   string `json:"content"`
			Timestamp string `json:"timestamp"`
		} `json:"image"`
	}
	if json.Unmarshal(c.in.Body, &req) != nil || req.Image == nil || req.Image.Context == "" || req.Image.Content == "" {
		h.fail(w, r, &c, id, &veriffapi.Error{HTTPStatus: 400, Code: "1102", Message: "Mandatory parameters are missing from the request (image.context, image.content)."})
		return
	}
	content := req.Image.Content
	if i := strings.Index(content, ";base64,"); i >= 0 {
		content = content[i+len(";base64,"):]
	}
	raw, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		h.fail(w, r, &c, id, &veriffapi.Error{HTTPStatus: 400, Code: "1104", Message: "image.content is not base64."})
		return
	}
	mime, why := photo(raw)
	if why != "" {
		h.fail(w, r, &c, id, &veriffapi.Error{HTTPStatus: 400, Code: "1104", Message: "image.content is not a photo: " + why})
		return
	}
	m, err := h.c.Sim.AddMedia(id, req.Image.Context, mime, len(raw), req.Image.Timestamp)
	if err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	h.blobs.put(m.ID, mime, raw)
	h.reply(w, r, c, id, "", http.StatusOK, map[string]any{"status": "success", "image": m})
}

// photo tells whether raw is an image the sandbox takes, by its bytes
// (not by what the client claims): JPEG, PNG or WebP, not empty.
func photo(raw []byte) (mime, why string) {
	if len(raw) == 0 {
		return "", "the file is empty"
	}
	switch mime = http.DetectContentType(raw); mime {
	case "image/jpeg", "image/png", "image/webp":
		return mime, ""
	}
	return "", "its bytes are " + mime + ", not JPEG, PNG or WebP"
}

// blobs holds uploaded images' bytes in memory, up to maxBlobs bytes in
// all (the oldest go first), for GET /v1/media/{id}. They do not outlive
// a restart; their descriptions do.
type blobs struct {
	mu    sync.Mutex
	m     map[string]blob
	order []string
	total int
}

type blob struct {
	mime string
	data []byte
}

const maxBlobs = 64 << 20

func (b *blobs) put(id, mime string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]blob{}
	}
	if len(data) > maxBlobs {
		return
	}
	b.m[id] = blob{mime, data}
	b.order = append(b.order, id)
	b.total += len(data)
	for b.total > maxBlobs && len(b.order) > 0 {
		old := b.order[0]
		b.order = b.order[1:]
		b.total -= len(b.m[old].data)
		delete(b.m, old)
	}
}

func (b *blobs) get(id string) (blob, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	x, ok := b.m[id]
	return x, ok
}

// readCall authenticates a GET or DELETE, signed over the id in its path.
func (h *handler) readCall(w http.ResponseWriter, r *http.Request) (call, string, bool) {
	c, id := h.read(r), r.PathValue("id")
	if e := h.auth(&c, []byte(id), true); e != nil {
		h.fail(w, r, &c, id, e)
		return c, id, false
	}
	return c, id, true
}

func (h *handler) media(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	ms, err := h.c.Sim.MediaOf(id)
	if err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	h.reply(w, r, c, id, "", http.StatusOK, map[string]any{"status": "success", "images": ms, "videos": []any{}})
}

func (h *handler) person(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	p, err := h.c.Sim.PersonOf(id)
	if err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	h.reply(w, r, c, id, "", http.StatusOK, map[string]any{"status": "success", "person": p})
}

func (h *handler) watchlist(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	d, err := h.c.Sim.WatchlistOf(id)
	if err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	h.reply(w, r, c, id, "", http.StatusOK, map[string]any{"status": "success", "data": d})
}

// attemptMedia is GET /v1/attempts/{id}/media, signed over the attempt id.
func (h *handler) attemptMedia(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	ms, session, err := h.c.Sim.AttemptMedia(id)
	if err != nil {
		h.fail(w, r, &c, "", asAPIError(err))
		return
	}
	h.reply(w, r, c, session, "", http.StatusOK, map[string]any{"status": "success", "images": ms, "videos": []any{}})
}

// mediaFile is GET /v1/media/{id}, signed over the media id: the image's
// bytes, as uploaded.
func (h *handler) mediaFile(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	m, found := h.c.Sim.MediaByID(id)
	if !found {
		h.fail(w, r, &c, "", &veriffapi.Error{HTTPStatus: 404, Code: "404", Message: "Media " + id + " not found"})
		return
	}
	b, held := h.blobs.get(id)
	if !held {
		h.fail(w, r, &c, m.SessionID, &veriffapi.Error{HTTPStatus: 404, Code: "404",
			Message: "Media " + id + " is listed, but its bytes are no longer held: the sandbox keeps uploads in memory (64 MiB in all), not across restarts"})
		return
	}
	h.record(r.Context(), c, m.SessionID, "", http.StatusOK, fmt.Sprintf("GET /v1/media/%s → 200 (%s, %d bytes)", display.ShortID(id), b.mime, len(b.data)))
	w.Header().Set("Content-Type", b.mime)
	w.Header().Set("Content-Length", fmt.Sprint(len(b.data)))
	h.sign(w, b.data)
	w.WriteHeader(http.StatusOK)
	w.Write(b.data)
}

func (h *handler) decision(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	v, err := h.c.Sim.DecisionOf(id)
	if err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	h.reply(w, r, c, id, "", http.StatusOK, map[string]any{"status": "success", "verification": v})
}

func (h *handler) attempts(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	as, err := h.c.Sim.Attempts(id)
	if err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	h.reply(w, r, c, id, "", http.StatusOK, map[string]any{"status": "success", "verifications": as})
}

func (h *handler) remove(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.readCall(w, r)
	if !ok {
		return
	}
	if err := h.c.Sim.Cancel(r.Context(), id); err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	st, _ := h.c.Sim.State(id)
	h.reply(w, r, c, id, st.Status, http.StatusOK, map[string]any{"status": "success", "verification": map[string]any{"id": id, "status": st.Status}})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// --- the end-user's page ---

// style is the pages' look: phone first (390 px wide and up), nothing
// wider than the screen, long words broken.
const style = `*,*::before,*::after{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#0d1117;color:#e6edf3}
main{max-width:28rem;margin:0 auto;padding:1.5rem;overflow-wrap:anywhere}
h1{font-size:1.3rem;margin:0 0 .25rem}
.muted{color:#8b949e;font-size:.9rem}
.status{display:inline-block;max-width:100%;padding:.1rem .6rem;border-radius:1rem;background:#30363d;margin:.75rem 0}
button,.button{display:block;width:100%;max-width:100%;padding:.8rem;margin:.5rem 0;border:0;border-radius:.5rem;font-size:1rem;background:#8250df;color:#fff;text-align:center;text-decoration:none}
button.secondary,.button.secondary{background:#30363d}
button.good{background:#1a7f37} button.bad{background:#cf222e} button.warn{background:#9a6700}
form{margin:0} input[type=file]{display:block;max-width:100%;margin:.5rem 0;color:#8b949e}
input[type=text],input[type=email],input[type=date],select{display:block;width:100%;padding:.6rem;margin:.25rem 0 .75rem;border-radius:.5rem;border:1px solid #30363d;background:#161b22;color:#e6edf3;font-size:1rem}
label{display:block;font-size:.9rem;color:#8b949e}
[hidden]{display:none!important}`

var page = template.Must(template.New("flow").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verification · kycwatch sandbox</title>
<style>` + style + `</style></head><body data-event="{{.Event}}"><main>
<h1>Identity verification</h1>
<div class="muted">kycwatch sandbox · session {{.ShortID}}{{if .VendorData}} · {{.VendorData}}{{end}}</div>
<div class="status" id="status">{{.Status}}</div>
{{if eq .Status "created"}}
  <p>This is where your customer would take photos of a document and of their face.</p>
  <form method="post" action="{{.Base}}/start"><button id="start">Start verification</button></form>
{{else if eq .Status "started"}}
  <p>Add a photo of an identity document (<span id="media">{{.Media}}</span> added), then submit.</p>
  <form method="post" action="{{.Base}}/upload" enctype="multipart/form-data">
    <input type="file" name="image" id="image" accept="image/jpeg,image/png,image/webp" capture="environment">
    <button class="secondary" id="upload">Add the photo</button></form>
  <form method="post" action="{{.Base}}/submit"><button id="submit">Submit</button></form>
{{else if eq .Status "submitted"}}
  <p>Submitted. Veriff would now check it; here, <b>you</b> choose the outcome:</p>
  <form method="post" action="{{.Base}}/decide"><input type="hidden" name="status" value="approved"><button class="good" id="approved">Approve</button></form>
  <form method="post" action="{{.Base}}/decide"><input type="hidden" name="status" value="declined"><button class="bad" id="declined">Decline</button></form>
  <form method="post" action="{{.Base}}/decide"><input type="hidden" name="status" value="resubmission_requested"><button class="warn" id="resubmission_requested">Ask to resubmit</button></form>
  <form method="post" action="{{.Base}}/decide"><input type="hidden" name="status" value="review"><button class="secondary" id="review">Send to review</button></form>
{{else}}
  <p>Decision sent: <b id="decision">{{.Status}}</b>.</p>
  {{if .Callback}}<a class="button" href="{{.Callback}}" target="_top" id="back">Back to the app</a>
  {{else}}<button id="back" hidden>Back to the app</button>{{end}}
{{end}}
{{if .Open}}<button class="secondary" id="close" hidden>Close</button>{{end}}
{{if .Problem}}<p class="muted" id="problem">{{.Problem}}</p>{{end}}
</main>
<script>` + inContext + `</script>
</body></html>`))

// inContext speaks Veriff's InContext SDK protocol (@veriff/incontext-sdk,
// learnt from its code) when the page runs in a frame: it posts
// "VERIFF_HANDSHAKE" to the parent, which answers {name:"VERIFF_RENDER"};
// then "VERIFF_STARTED" and "VERIFF_SUBMITTED" as the end-user gets there,
// "VERIFF_FINISHED" when they leave after the decision (the SDK closes
// its modal), "VERIFF_CANCELED" when they close the flow. Back to the app
// then goes through the SDK, not inside the frame; in a frame without the
// SDK, it opens in the whole window.
const inContext = `(function () {
  var framed = window.parent !== window;
  var event = document.body.getAttribute("data-event");
  if (location.search) history.replaceState(null, "", location.pathname);
  if (!framed) return;
  var sdk = false;
  window.addEventListener("message", function (e) {
    if (e.source === window.parent && e.data && e.data.name === "VERIFF_RENDER") {
      sdk = true;
      document.documentElement.setAttribute("data-sdk", (e.data.payload && e.data.payload.version) || "yes");
      var back = document.getElementById("back");
      if (back) back.hidden = false;
      var close = document.getElementById("close");
      if (close) close.hidden = false;
    }
  });
  function post(name) { window.parent.postMessage(name, "*"); }
  post("VERIFF_HANDSHAKE");
  if (event) post(event);
  var back = document.getElementById("back");
  if (back) back.addEventListener("click", function (e) {
    if (sdk) { e.preventDefault(); post("VERIFF_FINISHED"); }
  });
  var close = document.getElementById("close");
  if (close) close.addEventListener("click", function () { post("VERIFF_CANCELED"); });
})();`

// events are the InContext messages a step's page posts once.
var events = map[string]string{"start": "VERIFF_STARTED", "submit": "VERIFF_SUBMITTED"}

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, ok := h.c.Sim.State(id)
	if !ok {
		http.Error(w, "No such sandbox session.", http.StatusNotFound)
		return
	}
	short := id
	if len(short) > 8 {
		short = short[:8]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	open := st.Status == "created" || st.Status == "started" || st.Status == "submitted"
	page.Execute(w, map[string]any{"ShortID": short, "VendorData": st.VendorData, "Status": st.Status, "Media": st.Media,
		"Base": FlowPrefix + id, "Callback": template.URL(safeURL(st.Callback)), "Problem": r.URL.Query().Get("problem"),
		"Event": events[r.URL.Query().Get("done")], "Open": open})
}

// safeURL lets only http(s) callbacks become links.
func safeURL(u string) string {
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return u
	}
	return ""
}

// step is an end-user action on the page: start, upload, submit, or the
// outcome the person testing chooses.
func (h *handler) step(w http.ResponseWriter, r *http.Request) {
	id, stepName := r.PathValue("id"), r.PathValue("step")
	// The form's bytes are read here, kept for the timeline as they came,
	// then parsed from the copy.
	body, rerr := io.ReadAll(http.MaxBytesReader(w, r.Body, h.c.MaxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	c := call{in: sessions.Incoming{ReceivedAt: h.c.Now(), Method: r.Method, Path: r.URL.RequestURI(), RemoteAddr: r.RemoteAddr,
		Header: r.Header.Clone(), Body: body, BodySize: int64(len(body))}}
	c.verdict = decode.Verdict{Signature: decode.SigUnchecked, APIKey: decode.KeyUnchecked}
	if rerr != nil {
		h.record(r.Context(), c, id, "", http.StatusRequestEntityTooLarge, "end-user: "+stepName+" (too large)")
		http.Redirect(w, r, FlowPrefix+id+"?problem="+template.URLQueryEscaper(fmt.Sprintf("That was more than %d bytes.", h.c.MaxBody)), http.StatusSeeOther)
		return
	}
	var err error
	state := ""
	switch stepName {
	case "start":
		err, state = h.c.Sim.Start(r.Context(), id), "started"
	case "upload":
		err = h.upload(r, id)
	case "submit":
		err, state = h.c.Sim.Submit(r.Context(), id), "submitted"
	case "decide":
		status := r.FormValue("status")
		if !h.c.Sim.Open(id) {
			err = &veriffapi.Error{HTTPStatus: 409, Code: "1304", Message: "the session is already decided"}
		} else {
			err, state = h.c.Sim.Decide(r.Context(), id, status, simulator.Known{}), status
		}
	default:
		err = &veriffapi.Error{HTTPStatus: 404, Code: "404", Message: "no such step"}
	}
	status := http.StatusSeeOther
	target := FlowPrefix + id + "?done=" + stepName
	if err != nil {
		target = FlowPrefix + id
		status = asAPIError(err).HTTPStatus
		target += "?problem=" + template.URLQueryEscaper(asAPIError(err).Message)
		state = ""
	}
	h.record(r.Context(), c, id, state, status, "end-user: "+stepName)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// upload is the page's photo: a JPEG, PNG or WebP by its bytes, not empty.
func (h *handler) upload(r *http.Request, id string) error {
	f, _, err := r.FormFile("image")
	if err != nil {
		return &veriffapi.Error{HTTPStatus: 400, Code: "1102", Message: "Choose a photo first."}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, h.c.MaxBody))
	if err != nil {
		return &veriffapi.Error{HTTPStatus: 400, Code: "1104", Message: "The photo could not be read."}
	}
	mime, why := photo(raw)
	if why != "" {
		return &veriffapi.Error{HTTPStatus: 400, Code: "1104", Message: "That is not a photo: " + why + "."}
	}
	m, err := h.c.Sim.AddMedia(id, "document-front", mime, len(raw), h.c.Now().UTC().Format(time.RFC3339))
	if err == nil {
		h.blobs.put(m.ID, mime, raw)
	}
	return err
}

// --- VerifiMe's two endpoints (no authentication, as VerifiMe's) ---

func (h *handler) recordVM(ctx context.Context, c call, sessionID, state string, status int, note string) {
	if h.c.Record == nil {
		return
	}
	r := sessions.Record{Incoming: c.in, Status: status,
		Verdict: decode.Verdict{Signature: decode.SigUnchecked, APIKey: decode.KeyUnchecked}}
	r.Delivery = decode.Delivery{Kind: decode.KindAPICall, Provider: decode.VerifiMe, SessionID: sessionID, State: state, Note: note}
	h.c.Record(ctx, r)
}

func (h *handler) invite(w http.ResponseWriter, r *http.Request) {
	c := h.read(r)
	var req verifimeapi.InviteRequest
	answer := func(status int, v any, sessionID string) {
		h.recordVM(r.Context(), c, sessionID, "", status, fmt.Sprintf("POST /verifime/v1/user/invite → %d", status))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	if err := json.Unmarshal(c.in.Body, &req); err != nil {
		answer(http.StatusBadRequest, map[string]any{"request": nil, "validationResults": []verifimeapi.ValidationResult{
			{Name: "body", ResultName: "InvalidJson", Message: "The request body is not valid JSON"}}}, "")
		return
	}
	inv, err := h.c.Sim.Invite(r.Context(), req)
	if err != nil {
		var results []verifimeapi.ValidationResult
		if e, ok := err.(*verifimeapi.Error); ok {
			results = e.Results
		}
		answer(http.StatusBadRequest, map[string]any{"request": json.RawMessage(c.in.Body), "validationResults": results}, "")
		return
	}
	if h.c.Created != nil {
		h.c.Created(r.Context(), sessions.TestSession{ID: req.ReferenceData, CreatedAt: c.in.ReceivedAt, Source: sessions.SourceSandboxVM,
			VendorData: req.ReferenceData, FirstName: req.CustomerContext.FirstName, LastName: req.CustomerContext.FamilyName,
			Email: req.Email, URL: inv.InviteURL, Ref: inv.TrackingReference})
	}
	answer(http.StatusOK, inv, req.ReferenceData)
}

func (h *handler) tracking(w http.ResponseWriter, r *http.Request) {
	c, ref := h.read(r), r.PathValue("ref")
	status, _, err := h.c.Sim.TrackingStatus(r.Context(), ref)
	sessionID := h.c.Sim.InviteReference(ref)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		h.recordVM(r.Context(), c, sessionID, "", http.StatusNotFound, "GET tracking status → 404")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"Tracking reference not found"}`)
		return
	}
	h.recordVM(r.Context(), c, sessionID, "", http.StatusOK, "GET tracking status → "+status)
	json.NewEncoder(w).Encode(map[string]string{"status": status})
}
