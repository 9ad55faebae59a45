package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
