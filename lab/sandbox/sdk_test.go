package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// sdkDir is where `npm ci` (in testdata/sdk, run by .ci/run) puts Veriff's
// browser SDKs, at the versions pinned in package-lock.json.
const sdkDir = "testdata/sdk/node_modules/@veriff"

// sdks returns the installed SDKs' directory, or skips the test (fails it
// in CI, where .ci/run installs them).
func sdks(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sdkDir, "js-sdk", "lib", "veriff.js")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Veriff's SDKs are not installed (%v): .ci/run installs them with npm ci in lab/sandbox/testdata/sdk", err)
		}
		t.Skip("Veriff's SDKs are not installed: run `npm ci` in lab/sandbox/testdata/sdk")
	}
	return sdkDir
}

// appOrigin serves an integrator's page and the SDK files from a second
// origin (another port: the browser applies CORS to every call the page
// makes to the sandbox).
func appOrigin(t *testing.T, dir, page string) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/sdk/", http.StripPrefix("/sdk/", http.FileServer(http.Dir(dir))))
	mux.HandleFunc("/app", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestJSSDKCreatesASessionFromAnotherOrigin: an integrator's page loads
// @veriff/js-sdk, points its host at the sandbox, and the end-user submits
// the SDK's form. The browser's CORS preflight must pass for the POST to go.
func TestJSSDKCreatesASessionFromAnotherOrigin(t *testing.T) {
	bin, dir := chromium(t), sdks(t)
	g := newRig(t)
	// The SDK is a CommonJS bundle (module.exports.Veriff): a bundler
	// would wrap it; a one-line shim does here.
	page := `<!doctype html><html><head><meta charset="utf-8"></head><body>
<div id="veriff-root"></div>
<script>var module = {exports: {}};</script>
<script src="/sdk/js-sdk/lib/veriff.js"></script>
<script>
window.result = null;
var veriff = module.exports.Veriff({
  host: "` + g.url + `/sandbox",
  apiKey: "` + key + `",
  parentId: "veriff-root",
  onSession: function (err, response) { window.result = {err: err, response: response}; }
});
veriff.setParams({vendorData: "js-sdk-test", callback: "https://app.example/done"});
veriff.mount({submitBtnText: "Start"});
</script></body></html>`
	app := appOrigin(t, dir, page)
	ctx := browser(t, bin, 1024, 768)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app+"/app"),
		chromedp.WaitVisible(chromedp.ID("veriff-given-name")),
		chromedp.SendKeys(chromedp.ID("veriff-given-name"), "Ada"),
		chromedp.SendKeys(chromedp.ID("veriff-last-name"), "Lovelace"),
		chromedp.Click(chromedp.ID("veriff-submit-btn")),
	); err != nil {
		t.Fatalf("the SDK's form: %v", err)
	}
	waitJS(t, ctx, `window.result !== null`)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(window.result)`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `"url":"`+g.url+FlowPrefix) || !strings.Contains(got, `"err":null`) {
		t.Fatalf("onSession got %s", got)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.created) != 1 || g.created[0].VendorData != "js-sdk-test" || g.created[0].FirstName != "Ada" {
		t.Fatalf("created %+v", g.created)
	}
	r := g.records[0]
	if r.Status != 201 || r.Header["X-Origin"] == nil || r.Header["Origin"][0] != app {
		t.Errorf("recorded %d %v", r.Status, r.Header)
	}
}

// TestInContextSDKEventsInOrder: an integrator's page (another origin)
// opens a sandbox session with @veriff/incontext-sdk; the end-user goes
// through the flow inside the SDK's frame; the SDK hears STARTED,
// SUBMITTED, FINISHED in that order and closes its modal, and the app is
// not opened inside the frame. Closing another session's flow gives
// CANCELED, and the modal closes too.
func TestInContextSDKEventsInOrder(t *testing.T) {
	bin, dir := chromium(t), sdks(t)
	g := newRig(t)
	_, out := g.call(t, "POST", "/sessions", `{"verification":{"vendorData":"incontext","callback":"https://app.example/done"}}`, key, "", "")
	url := out["verification"].(map[string]any)["url"].(string)
	page := `<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<h1 id="app">The app</h1>
<script src="/sdk/incontext-sdk/dist/index.umd.js"></script>
<script>
window.events = [];
window.frameHandle = veriffSDK.createVeriffFrame({
  url: new URLSearchParams(location.search).get("session"),
  onEvent: function (msg) { window.events.push(msg); }
});
</script></body></html>`
	app := appOrigin(t, dir, page)
	ctx := browser(t, bin, 390, 844)
	photo := filepath.Join(t.TempDir(), "document.png")
	if err := os.WriteFile(photo, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(session string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(app+"/app?session="+neturl.QueryEscape(session))); err != nil {
			t.Fatal(err)
		}
	}
	open(url)
	// inFrame waits for sel in the frame's current document (each step is a
	// form post: the document changes), then runs act there.
	inFrame := func(sel string, act func(frame *chromedp.Node) chromedp.Action[chromedp.Void]) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.ID("veriffFrame"), chromedp.AtLeast(0)))
			if err == nil && len(frames) == 1 {
				var found []*chromedp.Node
				found, err = chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(sel), chromedp.FromNode(frames[0]), chromedp.AtLeast(0)))
				if err == nil && len(found) > 0 {
					if err = chromedp.Do(ctx, act(frames[0])); err == nil {
						return
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never came in the frame (%v)", sel, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	click := func(sel string) func(*chromedp.Node) chromedp.Action[chromedp.Void] {
		return func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
			return chromedp.Click(chromedp.CSS(sel), chromedp.FromNode(f))
		}
	}
	inFrame("#start", click("#start"))
	waitJS(t, ctx, `window.events.length === 1`)
	inFrame("#image", func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.SetUploadFiles(chromedp.CSS("#image"), []string{photo}, chromedp.FromNode(f)),
			chromedp.Click(chromedp.CSS("#upload"), chromedp.FromNode(f)))
	})
	inFrame(`#media`, func(f *chromedp.Node) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx2 context.Context, _ *chromedp.Target) error {
			n, err := chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("#media"), chromedp.FromNode(f)))
			if err != nil || n != "1" {
				return fmt.Errorf("%q photos (%v)", n, err)
			}
			return chromedp.Do(ctx2, chromedp.Click(chromedp.CSS("#submit"), chromedp.FromNode(f)))
		})
	})
	inFrame("#approved", click("#approved"))
	inFrame("html[data-sdk] #back", click("#back"))
	waitJS(t, ctx, `window.events.length === 3 && document.getElementById("veriffFrame") === null`)
	got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`window.events.join(",") + " " + location.href + " " + document.getElementById("app").textContent`))
	if got != "STARTED,SUBMITTED,FINISHED "+app+"/app?session="+neturl.QueryEscape(url)+" The app" {
		t.Fatalf("events, page: %s", got)
	}
	if d := g.sink.wait(t, 3); d[2].State != "approved" {
		t.Errorf("decision %+v", d[2])
	}
	// Another session, closed by the end-user before they start: CANCELED,
	// and the modal closes.
	_, out = g.call(t, "POST", "/sessions", `{"verification":{"vendorData":"incontext-2"}}`, key, "", "")
	open(out["verification"].(map[string]any)["url"].(string))
	inFrame("html[data-sdk] #close", click("#close"))
	waitJS(t, ctx, `window.events.join(",") === "CANCELED" && document.getElementById("veriffFrame") === null`)
}
