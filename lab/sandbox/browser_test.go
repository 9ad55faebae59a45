package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycwatch/kycwatch/lab/simulator"
)

// chromium finds Debian's Chromium (CI installs it; .ci/run).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is required in CI (.ci/run installs it)")
	}
	t.Skip("chromium not installed")
	return ""
}

// browser starts headless Chromium at a window size, offline but for
// 127.0.0.1 (every other host name fails to resolve: pages that ask for
// web fonts or the like get nothing, and nothing leaves the machine).
func browser(t *testing.T, bin string, w, h int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true), chromedp.Flag("no-pings", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel(); cancelAlloc() })
	return ctx
}

// TestEndUserPageInChromium drives the end-user's page in headless Chromium
// at a phone's size: start, add a photo, submit, then the outcome. Each
// step sends its webhook, signed.
func TestEndUserPageInChromium(t *testing.T) {
	bin := chromium(t)
	g := newRig(t)
	_, out := g.call(t, "POST", "/sessions", `{"verification":{"vendorData":"browser-test","callback":"https://app.example/done"}}`, key, "", "")
	url := out["verification"].(map[string]any)["url"].(string)

	ctx := browser(t, bin, 390, 844)
	photo := filepath.Join(t.TempDir(), "document.png")
	if err := os.WriteFile(photo, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Click(chromedp.ID("start")),
		chromedp.WaitVisible(chromedp.ID("submit")),
	); err != nil {
		t.Fatalf("start: %v", err)
	}
	if status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status"))); err != nil || status != "started" {
		t.Fatalf("status after start: %q %v", status, err)
	}
	// Each step is a form post and a new page: wait for what only the new
	// page shows before the next click.
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("image"), []string{photo}), chromedp.Click(chromedp.ID("upload"))); err != nil {
		t.Fatalf("upload: %v", err)
	}
	waitJS(t, ctx, `!!document.getElementById("media") && document.getElementById("media").textContent === "1"`)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("approved")),
		chromedp.Click(chromedp.ID("approved")),
		chromedp.WaitVisible(chromedp.ID("decision")),
	); err != nil {
		t.Fatalf("flow: %v", err)
	}
	decision, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("decision")))
	if err != nil || decision != "approved" {
		t.Fatalf("decision %q %v", decision, err)
	}
	back, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("back"), "href"))
	if err != nil || back.Value != "https://app.example/done" {
		t.Fatalf("back link %+v %v", back, err)
	}
	got := g.sink.wait(t, 3)
	if got[0].Code != 7001 || got[1].Code != 7002 || got[2].Code != 9001 {
		t.Fatalf("webhooks %d %d %d", got[0].Code, got[1].Code, got[2].Code)
	}
	g.sink.mu.Lock()
	defer g.sink.mu.Unlock()
	if g.sink.bad != 0 {
		t.Errorf("%d badly signed webhooks", g.sink.bad)
	}
	// The page's steps are on the session's timeline too.
	g.mu.Lock()
	defer g.mu.Unlock()
	steps := 0
	for _, r := range g.records {
		if r.Delivery.SessionID != "" && r.Delivery.Note != "" && r.Method == "POST" && len(r.Path) > len(FlowPrefix) {
			steps++
		}
	}
	if steps < 4 {
		t.Errorf("%d end-user steps recorded", steps)
	}
}

// waitJS waits until expr is true on the page, across the navigation a
// form post makes (chromedp's Poll does not survive one).
func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never had %s (last error %v)", expr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPagesFitAPhone: every state of the end-user pages (Veriff's and
// VerifiMe's), with long data, fits 390×844 with no horizontal overflow.
func TestPagesFitAPhone(t *testing.T) {
	bin := chromium(t)
	g := newRig(t, byHand, func(c *simulator.Config) { c.AssessAfter = time.Hour }) // assessed only when told
	long := strings.Repeat("customer-reference-", 40)                               // one unbroken 760-character word
	mk := func(callback string) string {
		body := `{"verification":{"vendorData":"` + long + `"` + callback + `}}`
		_, out := g.call(t, "POST", "/sessions", body, key, "", "")
		return out["verification"].(map[string]any)["id"].(string)
	}
	step := func(id, name string, form url.Values) {
		resp, err := http.PostForm(g.url+FlowPrefix+id+"/"+name, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	created := mk(`,"callback":"https://app.example/` + long + `"`)
	started := mk("")
	step(started, "start", nil)
	submitted := mk("")
	step(submitted, "start", nil)
	step(submitted, "submit", nil)
	approved := mk(`,"callback":"https://app.example/done"`)
	step(approved, "decide", url.Values{"status": {"approved"}})
	expired := mk("")
	step(expired, "decide", url.Values{"status": {"expired"}})
	pages := map[string]string{
		"created":                   FlowPrefix + created,
		"started":                   FlowPrefix + started,
		"started, with a problem":   FlowPrefix + started + "?problem=" + url.QueryEscape("That is not a photo: its bytes are text/plain; charset=utf-8, not JPEG, PNG or WebP."+long),
		"submitted":                 FlowPrefix + submitted,
		"approved, back to the app": FlowPrefix + approved,
		"expired, no callback":      FlowPrefix + expired,
		"an unknown session":        FlowPrefix + "nope",
	}
	inv := g.invite(t, long)
	pages["VerifiMe invite, Inactive"] = strings.TrimPrefix(inv.InviteURL, g.url)
	done := g.invite(t, "order-"+long)
	get(t, done.InviteURL)
	resp, err := http.PostForm(done.InviteURL+"/complete", url.Values{"name": {long}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pages["VerifiMe, Completed, waiting for the assessment"] = strings.TrimPrefix(done.InviteURL, g.url)
	assessed := g.invite(t, "assessed-"+long)
	get(t, assessed.InviteURL)
	resp, err = http.PostForm(assessed.InviteURL+"/complete", url.Values{"name": {long}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := g.sim.Assess(context.Background(), "assessed-"+long, "NO RISK DETECTED", ""); err != nil {
		t.Fatal(err)
	}
	_, _, page := get(t, assessed.InviteURL)
	i := bytes.Index(page, []byte(g.url+simulator.AssessmentPage))
	if i < 0 || !bytes.Contains(page, []byte("<b>ASSESSED</b>")) {
		t.Fatalf("not assessed:\n%s", page)
	}
	pages["VerifiMe, assessed"] = strings.TrimPrefix(assessed.InviteURL, g.url)
	pages["VerifiMe, the assessment portal"] = strings.TrimPrefix(string(page[i:i+bytes.IndexByte(page[i:], '"')]), g.url)

	ctx := browser(t, bin, 390, 844)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	for name, path := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(g.url+path)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The page's width, and the right edge of its widest element.
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
  var w = window.innerWidth, right = 0, who = "";
  document.querySelectorAll("body *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > right) { right = r.right; who = e.tagName + (e.id ? "#" + e.id : ""); }
  });
  return w + " " + document.documentElement.scrollWidth + " " + Math.ceil(right) + " " + who;
})()`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var w, scroll, right int
		var who string
		fmt.Sscan(got, &w, &scroll, &right, &who)
		if w != 390 || scroll > w || right > w {
			t.Errorf("%s overflows: viewport %d, scroll width %d, %s reaches %d", name, w, scroll, who, right)
		}
	}
}
