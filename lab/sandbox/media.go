// Media: photos uploaded through the API or the end-user page, checked by
// their bytes, held in memory (maxBlobs), and served back.

package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/kycwatch/kycwatch/internal/display"
	"github.com/kycwatch/kycwatch/providers/veriff"
)

func (h *handler) addMedia(w http.ResponseWriter, r *http.Request) {
	c, id, ok := h.writeCall(w, r)
	if !ok {
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
		h.fail(w, r, &c, id, &veriff.Error{HTTPStatus: 400, Code: "1102", Message: "Mandatory parameters are missing from the request (image.context, image.content)."})
		return
	}
	content := req.Image.Content
	if i := strings.Index(content, ";base64,"); i >= 0 {
		content = content[i+len(";base64,"):]
	}
	raw, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		h.fail(w, r, &c, id, &veriff.Error{HTTPStatus: 400, Code: "1104", Message: "image.content is not base64."})
		return
	}
	mime, why := photo(raw)
	if why != "" {
		h.fail(w, r, &c, id, &veriff.Error{HTTPStatus: 400, Code: "1104", Message: "image.content is not a photo: " + why})
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
		h.fail(w, r, &c, "", &veriff.Error{HTTPStatus: 404, Code: "404", Message: "Media " + id + " not found"})
		return
	}
	b, held := h.blobs.get(id)
	if !held {
		h.fail(w, r, &c, m.SessionID, &veriff.Error{HTTPStatus: 404, Code: "404",
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
