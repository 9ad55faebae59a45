package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"image/png"
	"io"
	"net/http"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/providers/verifime"
	"github.com/kycwatch/kycwatch/sessions"
)

// The customer's side of a simulated VerifiMe invite, in VerifiMe's order:
// the customer opens the invite (tracking status Active) and enters their
// details (Completed: phase 1, data entry only); VerifiMe's back office
// then sends the signed RISK_ASSESSMENT_UPDATED webhooks (phase 2), each
// with an assessment-portal URL that opens here too. Invites made by the
// sandbox's API and by the TUI's `i` both open.

var invitePage = template.Must(template.New("invite").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{if .Waiting}}<meta http-equiv="refresh" content="3">{{end}}
<title>VerifiMe · kycwatch sandbox</title>
<style>` + style + `</style></head><body><main>
<h1>Verify your identity</h1>
<div class="muted">VerifiMe, simulated by kycwatch · {{.ReferenceData}}</div>
<div class="status" id="status">{{.Status}}</div>
{{if .Completed}}
  <p id="done">Thank you: your details are sent. This ends your part (phase 1, tracking status
  <b>Completed</b>). VerifiMe now checks them; the result goes to the business as a signed
  webhook (phase 2), not to this page.</p>
  {{range .Assessments}}<p class="assessment">Assessment <b>{{.AssessmentStatus}}</b>{{if .RiskLevel}} · risk {{.RiskLevel}}{{end}} ·
    <a href="{{.AssessmentPortalURL}}" style="color:#a371f7">as the business sees it</a></p>{{end}}
  {{if .Waiting}}<p class="muted" id="waiting">Waiting for the assessment…</p>{{end}}
{{else}}
  <p>This is where your customer would enter their details and capture their documents.</p>
  <form method="post" action="{{.Base}}/complete">
    <label for="name">Full name</label><input type="text" id="name" name="name" value="{{.Customer}}" maxlength="200">
    <label for="dob">Date of birth</label><input type="date" id="dob" name="dob">
    <label for="email">Email</label><input type="email" id="email" name="email" value="{{.Email}}" maxlength="200">
    <button id="complete">Send my details</button></form>
{{end}}
{{if .Problem}}<p class="muted" id="problem">{{.Problem}}</p>{{end}}
</main></body></html>`))

var assessmentPage = template.Must(template.New("assessment").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assessment · kycwatch sandbox</title>
<style>` + style + `</style></head><body><main>
<h1>Risk assessment</h1>
<div class="muted">VerifiMe's portal, simulated by kycwatch</div>
<div class="status" id="status">{{.A.AssessmentStatus}}</div>
<p>Customer: <b id="customer">{{.A.CustomerName}}</b><br>
Risk level: <b id="risk">{{if .A.RiskLevel}}{{.A.RiskLevel}}{{else}}not yet{{end}}</b><br>
Reference (metadata): {{.A.Metadata}}<br>
Event: {{.A.EventID}} at {{.A.EventTimestamp}}</p>
</main></body></html>`))

// vmSim is the simulator holding the invite (or assessment) key: the
// sandbox's own, else the other that made it (Config.Others); the
// sandbox's own when none does (it answers that it knows no such invite).
func (h *handler) vmSim(key string) *simulator.Simulator {
	for _, s := range append([]*simulator.Simulator{h.c.Sim}, h.c.Others...) {
		if _, ok := s.Invitation(key); ok {
			return s
		}
		if _, _, ok := s.Assessment(key); ok {
			return s
		}
	}
	return h.c.Sim
}

func (h *handler) invitation(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	sim := h.vmSim(ref)
	before, ok := sim.Invitation(ref)
	if !ok {
		http.Error(w, "No such invite.", http.StatusNotFound)
		return
	}
	st, err := sim.OpenInvite(ref)
	if err != nil {
		http.Error(w, "No such invite.", http.StatusNotFound)
		return
	}
	if before.Status == verifime.Inactive {
		c := h.read(r)
		h.recordVM(r.Context(), c, st.ReferenceData, "", http.StatusOK, "customer: opened the invite → Active")
	}
	waiting := st.Status == verifime.Completed
	for _, a := range st.Assessments {
		waiting = waiting && a.AssessmentStatus != verifime.Assessed
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	invitePage.Execute(w, map[string]any{"ReferenceData": st.ReferenceData, "Status": st.Status,
		"Completed": st.Status == verifime.Completed, "Customer": st.Customer,
		"Email": st.Email, "Assessments": st.Assessments, "Waiting": waiting, "Base": simulator.InvitePage + ref,
		"Problem": r.URL.Query().Get("problem")})
}

// completeInvite is the customer sending their details.
func (h *handler) completeInvite(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	body, rerr := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<16))
	c := h.read(r)
	c.in.Body, c.in.BodySize = body, int64(len(body))
	sim := h.vmSim(ref)
	st, ok := sim.Invitation(ref)
	if !ok {
		http.Error(w, "No such invite.", http.StatusNotFound)
		return
	}
	target := simulator.InvitePage + ref
	err := rerr
	if err == nil {
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		err = sim.EnterData(ref, r.FormValue("name"))
	}
	if err != nil {
		h.recordVM(r.Context(), c, st.ReferenceData, "", http.StatusConflict, "customer: details refused ("+err.Error()+")")
		http.Redirect(w, r, target+"?problem="+template.URLQueryEscaper(err.Error()), http.StatusSeeOther)
		return
	}
	h.recordVM(r.Context(), c, st.ReferenceData, "", http.StatusSeeOther, "customer: details sent → Completed (phase 1)")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// inviteQR is the invite's QR code, as VerifiMe's qrCodeUrl: a PNG of the
// invite's URL at the address it was asked at.
func (h *handler) inviteQR(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	if _, ok := h.vmSim(ref).Invitation(ref); !ok {
		http.Error(w, "No such invite.", http.StatusNotFound)
		return
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	code, err := qr.Encode(scheme+"://"+r.Host+simulator.InvitePage+ref, qr.M, qr.Auto)
	if err == nil {
		code, err = barcode.Scale(code, 256, 256)
	}
	if err != nil {
		http.Error(w, "The QR code could not be drawn.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	png.Encode(w, code)
}

func (h *handler) assessment(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a, _, ok := h.vmSim(id).Assessment(id)
	if !ok {
		if a2, _, ok2 := h.c.Sim.Assessment(id); ok2 {
			a, ok = a2, true
		}
	}
	if !ok {
		http.Error(w, "No such assessment.", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	assessmentPage.Execute(w, map[string]any{"A": a})
}

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
	var req verifime.InviteRequest
	answer := func(status int, v any, sessionID string) {
		h.recordVM(r.Context(), c, sessionID, "", status, fmt.Sprintf("POST /verifime/v1/user/invite → %d", status))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	if err := json.Unmarshal(c.in.Body, &req); err != nil {
		answer(http.StatusBadRequest, map[string]any{"request": nil, "validationResults": []verifime.ValidationResult{
			{Name: "body", ResultName: "InvalidJson", Message: "The request body is not valid JSON"}}}, "")
		return
	}
	inv, err := h.c.Sim.Invite(r.Context(), req)
	if err != nil {
		var results []verifime.ValidationResult
		if e, ok := err.(*verifime.Error); ok {
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
