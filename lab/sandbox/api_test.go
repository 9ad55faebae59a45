package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kycwatch/kycwatch/decode"
	"github.com/kycwatch/kycwatch/lab/simulator"
)

// pngBytes is a 1×1 PNG: a photo by its bytes.
var pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")

// answer is one API answer with its headers.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(a.body, &out); err != nil {
		t.Fatalf("answered %d with non-JSON %q", a.status, a.body)
	}
	return out
}

// signed reports whether the answer is signed as Veriff signs its API's
// answers: X-AUTH-CLIENT the API key, X-HMAC-SIGNATURE the HMAC-SHA256 of
// the body with the shared secret.
func (a answer) signed() bool {
	return a.header.Get("X-AUTH-CLIENT") == key && a.header.Get("X-HMAC-SIGNATURE") == decode.Sign(secret, a.body)
}

// do sends a request signed over sigOver ("" leaves the signature out).
func (g *rig) do(t *testing.T, method, path, body, sigOver string, extra map[string]string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, g.url+APIPrefix+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-AUTH-CLIENT", key)
	if sigOver != "" {
		req.Header.Set("X-HMAC-SIGNATURE", decode.Sign(secret, []byte(sigOver)))
	}
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, raw}
}

func TestCORSPreflightForAnyOrigin(t *testing.T) {
	g := newRig(t)
	for _, path := range []string{APIPrefix + "/sessions", APIPrefix + "/sessions/x/decision", VerifiMeAPIPrefix + "/user/invite"} {
		req, _ := http.NewRequest(http.MethodOptions, g.url+path, nil)
		req.Header.Set("Origin", "https://shop.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-auth-client,x-origin,vrf-integration-id")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, h)
		}
		for _, m := range []string{"POST", "PATCH", "GET", "DELETE"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Methods"), m) {
				t.Errorf("%s: methods %q lack %s", path, h.Get("Access-Control-Allow-Methods"), m)
			}
		}
		for _, x := range []string{"content-type", "x-auth-client", "x-origin", "vrf-integration-id", "x-hmac-signature"} {
			if !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), x) {
				t.Errorf("%s: headers %q lack %s", path, h.Get("Access-Control-Allow-Headers"), x)
			}
		}
	}
	// The call itself carries the origin's permission and shows the
	// signature headers to the page.
	a := g.do(t, "POST", "/sessions", `{"verification":{}}`, "", map[string]string{"Origin": "https://shop.example", "X-Origin": "js-sdk"})
	if a.status != 201 || a.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(a.header.Get("Access-Control-Expose-Headers"), "X-HMAC-SIGNATURE") {
		t.Fatalf("%d %v", a.status, a.header)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.records) != 1 {
		t.Errorf("%d records: preflights are not the session's calls", len(g.records))
	}
}

// TestEveryEndpointAnswersSignedInVeriffsShapes walks every endpoint of
// ../shared/protocol.md and those real clients call besides (person,
// watchlist screening, an attempt's media, a media file), and checks each
// answer's shape and signature, errors included.
func TestEveryEndpointAnswersSignedInVeriffsShapes(t *testing.T) {
	g := newRig(t)
	create := `{"verification":{"callback":"https://app.example/back","person":{"firstName":"Ada","lastName":"Lovelace"},"vendorData":"user-7"}}`
	a := g.do(t, "POST", "/sessions", create, create, nil)
	out := a.json(t)
	if a.status != 201 || !a.signed() {
		t.Fatalf("create: %d signed=%v %s", a.status, a.signed(), a.body)
	}
	id := out["verification"].(map[string]any)["id"].(string)
	media := `{"image":{"context":"document-front","content":"` + base64.StdEncoding.EncodeToString(pngBytes) + `"}}`
	steps := []struct {
		name, method, path, body, sigOver string
		status                            int
		check                             func(map[string]any) bool
	}{
		{"upload media", "POST", "/sessions/" + id + "/media", media, media, 200, func(m map[string]any) bool {
			return m["image"].(map[string]any)["mimetype"] == "image/png"
		}},
		{"list media", "GET", "/sessions/" + id + "/media", "", id, 200, func(m map[string]any) bool {
			return len(m["images"].([]any)) == 1 && m["videos"] != nil
		}},
		{"person before a decision", "GET", "/sessions/" + id + "/person", "", id, 200, func(m map[string]any) bool {
			p := m["person"].(map[string]any)
			return m["status"] == "success" && p["firstName"] == "ADA" && p["lastName"] == "LOVELACE" && p["pepSanctionMatches"] != nil
		}},
		{"watchlist screening", "GET", "/sessions/" + id + "/watchlist-screening", "", id, 200, func(m map[string]any) bool {
			d := m["data"].(map[string]any)
			return d["matchStatus"] == "no_match" && d["checkType"] == "initial_result" && d["totalHits"] == 0.0 &&
				d["searchTerm"].(map[string]any)["name"] == "ADA LOVELACE" && d["vendorData"] == "user-7"
		}},
		{"submit", "PATCH", "/sessions/" + id, `{"verification":{"status":"submitted"}}`, `{"verification":{"status":"submitted"}}`, 200, nil},
		{"decision before one", "GET", "/sessions/" + id + "/decision", "", id, 200, func(m map[string]any) bool { return m["verification"] == nil }},
		{"attempts", "GET", "/sessions/" + id + "/attempts", "", id, 200, func(m map[string]any) bool { return len(m["verifications"].([]any)) == 1 }},
		{"abandon", "DELETE", "/sessions/" + id, "", id, 200, func(m map[string]any) bool {
			return m["verification"].(map[string]any)["status"] == "abandoned"
		}},
		{"decision", "GET", "/sessions/" + id + "/decision", "", id, 200, func(m map[string]any) bool {
			return m["verification"].(map[string]any)["status"] == "abandoned"
		}},
		{"person after the decision", "GET", "/sessions/" + id + "/person", "", id, 200, func(m map[string]any) bool {
			return m["person"].(map[string]any)["firstName"] == "ADA" // abandoned: the decision has no person
		}},
		{"an error", "GET", "/sessions/" + id + "/person", "", "another-id", 401, func(m map[string]any) bool { return m["code"] == "1818" }},
		{"an unknown attempt", "GET", "/attempts/6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e/media", "", "6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e", 404, nil},
		{"an unknown media", "GET", "/media/6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e", "", "6f1c2a7e-0d4b-4c55-9d0e-2b3f4a5c6d7e", 404, nil},
	}
	var mediaID, mediaURL string
	for _, s := range steps {
		a := g.do(t, s.method, s.path, s.body, s.sigOver, nil)
		m := a.json(t)
		if a.status != s.status || !a.signed() || (s.check != nil && !s.check(m)) {
			t.Fatalf("%s: %d signed=%v %s", s.name, a.status, a.signed(), a.body)
		}
		if s.name == "list media" {
			im := m["images"].([]any)[0].(map[string]any)
			mediaID, mediaURL = im["id"].(string), im["url"].(string)
		}
	}
	// GET /v1/media/{id}, where the list points: the bytes uploaded.
	if mediaURL != g.url+APIPrefix+"/media/"+mediaID {
		t.Fatalf("media url %q", mediaURL)
	}
	a = g.do(t, "GET", "/media/"+mediaID, "", mediaID, nil)
	if a.status != 200 || !bytes.Equal(a.body, pngBytes) || a.header.Get("Content-Type") != "image/png" || !a.signed() {
		t.Fatalf("media file: %d %v %q", a.status, a.header, a.body)
	}
	// GET /v1/attempts/{id}/media, signed over the attempt id.
	a = g.do(t, "GET", "/sessions/"+id+"/attempts", "", id, nil)
	attempt := a.json(t)["verifications"].([]any)[0].(map[string]any)["id"].(string)
	a = g.do(t, "GET", "/attempts/"+attempt+"/media", "", attempt, nil)
	if m := a.json(t); a.status != 200 || !a.signed() || len(m["images"].([]any)) != 1 || m["images"].([]any)[0].(map[string]any)["id"] != mediaID {
		t.Fatalf("attempt media: %d %s", a.status, a.body)
	}
	if a = g.do(t, "GET", "/attempts/"+attempt+"/media", "", id, nil); a.status != 401 || a.json(t)["code"] != "1818" {
		t.Errorf("attempt media signed over the session id: %d %s", a.status, a.body)
	}
}

func TestTheLegacySignatureIsNamed(t *testing.T) {
	g := newRig(t)
	_, out := g.call(t, "POST", "/sessions", `{"verification":{}}`, key, "", "")
	id := out["verification"].(map[string]any)["id"].(string)
	body := `{"verification":{"status":"submitted"}}`
	a := g.do(t, "PATCH", "/sessions/"+id, body, "", map[string]string{"X-SIGNATURE": decode.Sign(secret, []byte(body))})
	m := a.json(t)
	msg, _ := m["message"].(string)
	if a.status != 401 || m["code"] != "1812" || !strings.Contains(msg, "X-HMAC-SIGNATURE is missing") ||
		!strings.Contains(msg, "X-SIGNATURE") || !strings.Contains(msg, "HMAC-SHA256") || strings.Contains(msg, "not a valid SHA256") {
		t.Fatalf("%d %s", a.status, a.body)
	}
	a = g.do(t, "PATCH", "/sessions/"+id, body, "", nil)
	if msg, _ := a.json(t)["message"].(string); a.status != 401 || !strings.Contains(msg, "X-HMAC-SIGNATURE is missing") {
		t.Fatalf("no signature at all: %d %s", a.status, a.body)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if v := g.records[1].Verdict; v.Header != "X-SIGNATURE" || v.Reason != "legacy signature scheme" {
		t.Errorf("verdict %+v", v)
	}
}

func TestOnlyPhotosAreTaken(t *testing.T) {
	g := newRig(t)
	_, out := g.call(t, "POST", "/sessions", `{"verification":{}}`, key, "", "")
	id := out["verification"].(map[string]any)["id"].(string)
	for name, content := range map[string]string{
		"empty":            "",
		"text":             base64.StdEncoding.EncodeToString([]byte("hello, this is not a photo")),
		"html as data URL": "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("<html><body>x</body></html>")),
	} {
		body := `{"image":{"context":"document-front","content":"` + content + `"}}`
		a := g.do(t, "POST", "/sessions/"+id+"/media", body, body, nil)
		if a.status != 400 {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
	// The page: an empty file, a text file, no file.
	if _, err := http.PostForm(g.url+FlowPrefix+id+"/start", nil); err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string][]byte{"empty": {}, "text": []byte("plain text"), "none": nil} {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if file != nil {
			fw, _ := mw.CreateFormFile("image", name+".jpg")
			fw.Write(file)
		}
		mw.Close()
		resp, err := http.Post(g.url+FlowPrefix+id+"/upload", mw.FormDataContentType(), &b)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(page, []byte(`id="problem"`)) || !bytes.Contains(page, []byte(`<span id="media">0</span>`)) {
			t.Errorf("%s file: the page took it:\n%s", name, page)
		}
	}
	a := g.do(t, "GET", "/sessions/"+id+"/media", "", id, nil)
	if n := len(a.json(t)["images"].([]any)); n != 0 {
		t.Errorf("%d images taken", n)
	}
}

// TestThePagesFormsAreStoredWithTheirBodies: a form post is kept with the
// bytes it came with.
func TestThePagesFormsAreStoredWithTheirBodies(t *testing.T) {
	g := newRig(t)
	_, out := g.call(t, "POST", "/sessions", `{"verification":{}}`, key, "", "")
	id := out["verification"].(map[string]any)["id"].(string)
	resp, err := http.PostForm(g.url+FlowPrefix+id+"/decide", url.Values{"status": {"approved"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.records[len(g.records)-1]
	if string(r.Body) != "status=approved" || r.BodySize != 15 || http.Header(r.Header).Get("Content-Length") != "15" {
		t.Fatalf("stored %q (%d bytes), Content-Length %s", r.Body, r.BodySize, http.Header(r.Header).Get("Content-Length"))
	}
}

// TestASessionTakesBoundedMedia: the sandbox is on the internet; a session
// keeps simulator.MaxMedia images, then refuses more in Veriff's shape.
func TestASessionTakesBoundedMedia(t *testing.T) {
	g := newRig(t)
	_, out := g.call(t, "POST", "/sessions", `{"verification":{}}`, key, "", "")
	id := out["verification"].(map[string]any)["id"].(string)
	body := `{"image":{"context":"document-front","content":"` + base64.StdEncoding.EncodeToString(pngBytes) + `"}}`
	for i := 0; i < simulator.MaxMedia; i++ {
		if a := g.do(t, "POST", "/sessions/"+id+"/media", body, body, nil); a.status != 200 {
			t.Fatalf("image %d: %d %s", i, a.status, a.body)
		}
	}
	a := g.do(t, "POST", "/sessions/"+id+"/media", body, body, nil)
	if m := a.json(t); a.status != 400 || m["status"] != "fail" || m["code"] != "1104" || !a.signed() {
		t.Fatalf("one more: %d %s", a.status, a.body)
	}
}
