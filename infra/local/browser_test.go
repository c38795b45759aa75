package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium through the pages of the real
// local stack, check every page with axe-core (WCAG 2.2 A and AA) and, with
// SOHOA_SHOTS=dir, save a screenshot of every page at 390 and 1280 px.

// axeTags are the axe-core rule tags of WCAG 2.0, 2.1 and 2.2, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// chromiumPath finds Chromium; with CI=true a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("SOHOA_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install chromium); the browser tests cannot run")
	}
	t.Skip("chromium is not installed (apt-get install chromium): browser tests skipped; CI=true makes this a failure")
	return ""
}

// axeSource reads axe-core's script, installed by `make axe` under build/axe.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SOHOA_AXE")
	if path == "" {
		path = filepath.Join("..", "..", "build", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core not found at %s (make axe installs it): %v", path, err)
		}
		t.Skipf("axe-core not found at %s (make axe installs it): browser tests skipped; CI=true makes this a failure", path)
	}
	return string(b)
}

// pageStat is what the test measured of one page.
type pageStat struct {
	Name       string
	Bytes      int     // HTML + CSS + JS, as transferred before images
	FirstPaint float64 // ms from navigation start to first contentful paint
	Response   float64 // ms from navigation start to the end of the HTML
}

// browser is one Chromium tab with the test's checks.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	axe    string
	shots  string
	prefix string
	n      *int
	stats  *[]pageStat
	// secret strings no page title or URL may hold (personal data).
	secret []string
	// noScript: the tab runs no script, so axe-core (asynchronous) cannot
	// run in it; the same templates are checked in the journeys with scripts.
	noScript bool
}

func newBrowser(t *testing.T, base string) (*browser, func()) {
	t.Helper()
	exe := chromiumPath(t)
	axe := axeSource(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	n := 0
	var stats []pageStat
	b := &browser{t: t, ctx: ctx, base: base, axe: axe, shots: os.Getenv("SOHOA_SHOTS"), n: &n, stats: &stats}
	if b.shots != "" {
		if err := os.MkdirAll(b.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return b, func() { cancel(); cancelAlloc() }
}

// fresh returns a tab in a new browser context: no cookies of the others.
func (b *browser) fresh(prefix string) (*browser, func()) {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		b.t.Fatalf("new browser context: %v", err)
	}
	nb := *b
	nb.ctx, nb.prefix = ctx, prefix
	return &nb, cancel
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.60q: %v", js, err)
	}
	return v
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	l, _ := chromedp.Run(ctx, chromedp.Location())
	return l
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.location())
	}
	return s
}

// mark tags the current document so that waitNew knows when it is replaced.
func (b *browser) mark() {
	b.t.Helper()
	eval[chromedp.Void](b, `window.__sohoaOld = true`)
}

// waitNew waits until the marked document was replaced by a loaded one.
func (b *browser) waitNew(what string) {
	b.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.__sohoaOld === "undefined" && document.readyState === "complete"`))
		cancel()
		if err == nil && done {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("%s: no new page after 90 s (at %s)", what, b.location())
}

// open navigates to path and checks the page.
func (b *browser) open(name, path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.check(name)
}

// submit clicks a form's button and checks the page it leads to.
func (b *browser) submit(name, button string) {
	b.t.Helper()
	b.mark()
	b.do("click "+button, chromedp.Click(chromedp.CSS(button)))
	b.waitNew("after " + button)
	b.check(name)
}

// press clicks a button and waits for the page it leads to, unchecked: for
// a page that replaces itself (the live status reloads when it changes).
func (b *browser) press(button string) {
	b.t.Helper()
	b.mark()
	b.do("click "+button, chromedp.Click(chromedp.CSS(button)))
	b.waitNew("after " + button)
}

// follow clicks a link and checks the page it leads to.
func (b *browser) follow(name, link string) { b.t.Helper(); b.submit(name, link) }

// check runs the checks every page gets: no personal data in the title or
// URL, axe-core with zero violations, page weight, timing and screenshots.
func (b *browser) check(name string) {
	b.t.Helper()
	name = b.prefix + name
	title := eval[string](b, `document.title`)
	loc := b.location()
	for _, s := range b.secret {
		if strings.Contains(title, s) || strings.Contains(loc, s) {
			b.t.Errorf("page %s: personal data %q in the title %q or URL %s", name, s, title, loc)
		}
	}
	if lang := eval[string](b, `document.documentElement.lang`); lang != "vi" && lang != "en" {
		b.t.Errorf("page %s: html lang = %q", name, lang)
	}
	if !b.noScript {
		b.axeCheck(name)
	}
	var st pageStat
	raw := eval[string](b, `(() => {
		const nav = performance.getEntriesByType("navigation")[0];
		let bytes = nav ? nav.encodedBodySize : document.documentElement.outerHTML.length;
		for (const r of performance.getEntriesByType("resource")) {
			if (r.initiatorType !== "img" && r.initiatorType !== "xmlhttprequest" && r.initiatorType !== "fetch") bytes += r.encodedBodySize || r.decodedBodySize;
		}
		const fcp = performance.getEntriesByName("first-contentful-paint")[0];
		return JSON.stringify({Bytes: bytes, FirstPaint: fcp ? fcp.startTime : -1, Response: nav ? nav.responseEnd : -1});
	})()`)
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		b.t.Fatal(err)
	}
	st.Name = name
	*b.stats = append(*b.stats, st)
	if st.Bytes > 100<<10 {
		b.t.Errorf("page %s weighs %d bytes before images; the budget is 100 KB", name, st.Bytes)
	}
	*b.n++
	for _, w := range []int64{390, 1280} {
		b.do("viewport", chromedp.EmulateViewport(w, 900))
		// Responsive: nothing wider than the window (WCAG 1.4.10 reflow).
		if sw := eval[int](b, `document.documentElement.scrollWidth`); sw > int(w) {
			b.t.Errorf("page %s is %d px wide in a %d px window", name, sw, w)
		}
		if b.shots == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(b.shots, fmt.Sprintf("%02d-%s-%d.png", *b.n, name, w))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("viewport", chromedp.EmulateViewport(1280, 900))
}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any
		FailureSummary string
	}
}

func (b *browser) axeCheck(name string) {
	b.t.Helper()
	if !eval[bool](b, `typeof window.axe !== "undefined"`) {
		eval[chromedp.Void](b, b.axe)
	}
	tags, _ := json.Marshal(axeTags)
	raw := eval[string](b, `axe.run(document, {runOnly: {type: "tag", values: `+string(tags)+`}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		b.t.Fatalf("axe on %s: %v", name, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+": "+n.FailureSummary)
		}
		b.t.Errorf("axe on page %s: %s (%s) %s\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
	}
}

// fetched is what the page's own session gets for a link (PDF, CSV).
type fetched struct {
	Status int
	Type   string
	Head   string
	Size   int
	Text   string
}

// fetch downloads href with the tab's cookies, as a click on a download would.
func (b *browser) fetch(href string) fetched {
	b.t.Helper()
	hb, _ := json.Marshal(href)
	raw := eval[string](b, `fetch(`+string(hb)+`, {credentials: "same-origin"}).then(async r => {
		const buf = new Uint8Array(await r.arrayBuffer());
		let head = ""; for (const c of buf.slice(0, 5)) head += String.fromCharCode(c);
		const text = (r.headers.get("content-type") || "").startsWith("text/") ? new TextDecoder().decode(buf) : "";
		return JSON.stringify({Status: r.status, Type: r.headers.get("content-type") || "", Head: head, Size: buf.length, Text: text});
	})`)
	var f fetched
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		b.t.Fatal(err)
	}
	return f
}

func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	sb, _ := json.Marshal(sel)
	nb, _ := json.Marshal(name)
	return eval[string](b, `(document.querySelector(`+string(sb)+`) || {getAttribute(){return ""}}).getAttribute(`+string(nb)+`) || ""`)
}

func (b *browser) typeIn(sel, text string) {
	b.t.Helper()
	sb, _ := json.Marshal(sel)
	eval[chromedp.Void](b, `document.querySelector(`+string(sb)+`).value = ""`)
	b.do("type in "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (b *browser) upload(sel, file string) {
	b.t.Helper()
	b.do("choose "+file, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{file}))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// signIn uses the development sign-in page as the person whose label contains who.
func (b *browser) signIn(name, who string) {
	b.t.Helper()
	b.open(name+"-signin", "/signin")
	wb, _ := json.Marshal(who)
	id := eval[string](b, `(() => { for (const l of document.querySelectorAll("form[action='/signin'] label")) if (l.textContent.includes(`+string(wb)+`)) return l.htmlFor; return ""; })()`)
	if id == "" {
		b.t.Fatalf("nobody like %q on the sign-in page", who)
	}
	b.click("#" + id)
	b.submit(name, "form[action='/signin'] button")
}

func (b *browser) signOut() {
	b.t.Helper()
	b.mark()
	b.click("form[action='/signout'] button")
	b.waitNew("sign out")
}

// waitText reloads nothing: it waits until the element's text contains want
// (the page's own script updates it or reloads the page).
func (b *browser) waitText(sel, want string, limit time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(limit)
	last := ""
	sb, _ := json.Marshal(sel)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+string(sb)+`) || {textContent: ""}).textContent`))
		cancel()
		if err == nil {
			last = s
			if strings.Contains(s, want) {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("%s still says %q after %s, want %q", sel, last, limit, want)
	return ""
}

func (b *browser) report() {
	st := *b.stats
	if len(st) == 0 {
		return
	}
	paints := make([]float64, 0, len(st))
	maxBytes := 0
	for _, s := range st {
		b.t.Logf("page %-28s %6d bytes  response %6.1f ms  first paint %6.1f ms", s.Name, s.Bytes, s.Response, s.FirstPaint)
		if s.FirstPaint >= 0 {
			paints = append(paints, s.FirstPaint)
		}
		maxBytes = max(maxBytes, s.Bytes)
	}
	slices.Sort(paints)
	if len(paints) > 0 {
		b.t.Logf("%d pages: heaviest %d bytes; first contentful paint median %.0f ms, max %.0f ms",
			len(st), maxBytes, paints[len(paints)/2], paints[len(paints)-1])
	}
}
