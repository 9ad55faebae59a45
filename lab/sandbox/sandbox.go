// Package sandbox serves kycwatch's simulator as a Veriff-compatible API
// under /sandbox/v1, with Veriff's authentication and error answers, and
// the end-user's side of the flow as a small web page under /sandbox/flow:
// a backend written for Veriff runs against kycwatch by changing only its
// base URL. Every call is recorded for the session's timeline.
package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/providers/veriff"
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
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/media", sessionGet(h, "images", (*simulator.Simulator).MediaOf, field{"videos", []any{}}))
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/decision", sessionGet(h, "verification", (*simulator.Simulator).DecisionOf))
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/attempts", sessionGet(h, "verifications", (*simulator.Simulator).Attempts))
	h.mux.HandleFunc("DELETE "+APIPrefix+"/sessions/{id}", h.remove)
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/person", sessionGet(h, "person", (*simulator.Simulator).PersonOf))
	h.mux.HandleFunc("GET "+APIPrefix+"/sessions/{id}/watchlist-screening", sessionGet(h, "data", (*simulator.Simulator).WatchlistOf))
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
		h.fail(w, r, nil, "", &veriff.Error{HTTPStatus: http.StatusNotFound, Code: "404", Message: "No such endpoint: " + r.Method + " " + r.URL.Path})
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
		h.fail(w, r, &c, "", &veriff.Error{HTTPStatus: 400, Code: "1102", Message: "Mandatory parameters are missing from the request."})
		return
	}
	var v map[string]json.RawMessage
	json.Unmarshal(*req.Verification, &v)
	if raw, ok := v["vendorData"]; ok && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			h.fail(w, r, &c, "", &veriff.Error{HTTPStatus: 400, Code: "1501", Message: "vendorData must be a string."})
			return
		}
	}
	var sr veriff.SessionRequest
	if err := json.Unmarshal(c.in.Body, &sr); err != nil {
		h.fail(w, r, &c, "", &veriff.Error{HTTPStatus: 400, Code: "1104", Message: "Request includes invalid parameters: " + err.Error()})
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
	h.reply(w, r, c, created.ID, sessions.StateCreated, http.StatusCreated, veriff.SessionResponse{Status: "success", Verification: created})
}

func (h *handler) patch(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.writeCall(w, r)
	if !ok {
		return
	}
	var req struct {
		Verification struct {
			Status string `json:"status"`
		} `json:"verification"`
	}
	if json.Unmarshal(c.in.Body, &req) != nil {
		h.fail(w, r, &c, id, &veriff.Error{HTTPStatus: 400, Code: "1102", Message: "Mandatory parameters are missing from the request."})
		return
	}
	if req.Verification.Status != sessions.StateSubmitted {
		h.fail(w, r, &c, id, &veriff.Error{HTTPStatus: 400, Code: "1303", Message: "Invalid status: only \"submitted\" can be set."})
		return
	}
	if err := h.c.Sim.Submit(r.Context(), id); err != nil {
		h.fail(w, r, &c, id, asAPIError(err))
		return
	}
	st, _ := h.c.Sim.State(id)
	h.reply(w, r, c, id, sessions.StateSubmitted, http.StatusOK, map[string]any{"status": "success",
		"verification": map[string]any{"id": id, "vendorData": nullable(st.VendorData), "status": sessions.StateSubmitted}})
}

// sessionGet answers a GET of one session's data, the call signed over its
// id: what of gives, under key, beside "status": "success" and the
// answer's fixed fields.
func sessionGet[T any](h *handler, key string, of func(*simulator.Simulator, string) (T, error), fixed ...field) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, id, ok := h.readCall(w, r)
		if !ok {
			return
		}
		v, err := of(h.c.Sim, id)
		if err != nil {
			h.fail(w, r, &c, id, asAPIError(err))
			return
		}
		body := map[string]any{"status": "success", key: v}
		for _, f := range fixed {
			body[f.key] = f.value
		}
		h.reply(w, r, c, id, "", http.StatusOK, body)
	}
}

// field is one of an answer's fields.
type field struct {
	key   string
	value any
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

// --- the end-user's page ---

// --- VerifiMe's two endpoints (no authentication, as VerifiMe's) ---
