// The end-user page (/sandbox/flow/…): a phone-sized flow that starts,
// takes photos and submits, speaking the InContext SDK's messages when it
// runs in a frame.

package sandbox

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
	"github.com/kycwatch/kycwatch/providers/veriff"
	"github.com/kycwatch/kycwatch/sessions"
)

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
	open := st.Status == sessions.StateCreated || st.Status == sessions.StateStarted || st.Status == sessions.StateSubmitted
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
		err, state = h.c.Sim.Start(r.Context(), id), sessions.StateStarted
	case "upload":
		err = h.upload(r, id)
	case "submit":
		err, state = h.c.Sim.Submit(r.Context(), id), sessions.StateSubmitted
	case "decide":
		status := r.FormValue("status")
		if !h.c.Sim.Open(id) {
			err = &veriff.Error{HTTPStatus: 409, Code: "1304", Message: "the session is already decided"}
		} else {
			err, state = h.c.Sim.Decide(r.Context(), id, status, simulator.Known{}), status
		}
	default:
		err = &veriff.Error{HTTPStatus: 404, Code: "404", Message: "no such step"}
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
		return &veriff.Error{HTTPStatus: 400, Code: "1102", Message: "Choose a photo first."}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, h.c.MaxBody))
	if err != nil {
		return &veriff.Error{HTTPStatus: 400, Code: "1104", Message: "The photo could not be read."}
	}
	mime, why := photo(raw)
	if why != "" {
		return &veriff.Error{HTTPStatus: 400, Code: "1104", Message: "That is not a photo: " + why + "."}
	}
	m, err := h.c.Sim.AddMedia(id, "document-front", mime, len(raw), h.c.Now().UTC().Format(time.RFC3339))
	if err == nil {
		h.blobs.put(m.ID, mime, raw)
	}
	return err
}
