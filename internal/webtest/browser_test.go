package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// tabLimit bounds everything one browser tab of a test does.
const tabLimit = 2 * time.Minute

// tab opens a tab in a browser context of its own (its own cookies and storage), closed when the test ends.
// When the test fails, the tab's console messages and uncaught exceptions are printed.
func (s *stack) tab(t testing.TB, name string, opts ...chromedp.Action[chromedp.Void]) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx, opts...); err != nil {
		cancel()
		t.Fatalf("open tab %s: %v", name, err)
	}
	var mu sync.Mutex
	var console []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m.String())
			mu.Unlock()
		}
	}()
	limited, stop := context.WithTimeout(ctx, tabLimit)
	t.Cleanup(func() {
		if t.Failed() {
			url, _ := chromedp.Run(ctx, chromedp.Location())
			mu.Lock()
			t.Logf("tab %s at %s; console:\n  %s", name, url, strings.Join(console, "\n  "))
			mu.Unlock()
		}
		stop()
		cancel()
	})
	return limited
}

// do runs actions in the tab and fails the test with what it was doing if one fails.
func do(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise) and decodes its value into T.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", short(expr), err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy in the page, polling every 20 ms, and fails the test
// after limit. It returns how long it took.
func waitJS(t testing.TB, ctx context.Context, limit time.Duration, what, expr string) time.Duration {
	t.Helper()
	start := time.Now()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(`+expr+`)`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main")?.innerText ?? ""`))
		t.Fatalf("%s: not within %v (%v); the page says:\n%s", what, limit, err, body)
	}
	return time.Since(start)
}

// waitHeading waits for the page's h1 to read title.
func waitHeading(t testing.TB, ctx context.Context, title string) {
	t.Helper()
	waitJS(t, ctx, 20*time.Second, fmt.Sprintf("heading %q", title),
		fmt.Sprintf(`document.querySelector("h1")?.textContent === %s`, js(title)))
}

// waitText waits until the main part of the page contains text.
func waitText(t testing.TB, ctx context.Context, limit time.Duration, text string) {
	t.Helper()
	waitJS(t, ctx, limit, fmt.Sprintf("text %q", text),
		fmt.Sprintf(`document.querySelector("main")?.innerText.includes(%s)`, js(text)))
}

// path is the page's path (without origin or query).
func path(t testing.TB, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `location.pathname`)
}

// button selects a button by its visible text (trimmed, spaces collapsed).
func button(text string) string {
	return fmt.Sprintf(`//button[normalize-space()=%s]`, xpathString(text))
}

// link selects a link by its visible text.
func link(text string) string {
	return fmt.Sprintf(`//a[normalize-space()=%s]`, xpathString(text))
}

// seat selects the seat button of a seat by the start of its accessible name ("Row F, seat 12, ...").
func seat(row string, number int) string {
	return fmt.Sprintf(`button[aria-label^="Row %s, seat %d,"]`, row, number)
}

// seatJS is a JavaScript expression for the seat's button.
func seatJS(row string, number int) string {
	return fmt.Sprintf(`document.querySelector(%s)`, js(seat(row, number)))
}

// find is a JavaScript expression for the first element sel selects: an XPath when it starts with "/", else
// CSS.
func find(sel string) string {
	if strings.HasPrefix(sel, "/") {
		return fmt.Sprintf(`document.evaluate(%s, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue`, js(sel))
	}
	return fmt.Sprintf(`document.querySelector(%s)`, js(sel))
}

// point is where a person would touch or click an element: its centre, in the viewport.
type point struct {
	X, Y    float64
	Covered string // what is on top of the element at that point, if something else is
}

// locate waits until the element sel selects is shown, scrolls it to the middle of the viewport (and of any
// box that scrolls it) and returns its centre; it fails if another element covers that point.
func locate(t testing.TB, ctx context.Context, sel string) point {
	t.Helper()
	waitJS(t, ctx, 10*time.Second, "visible: "+sel, fmt.Sprintf(`(() => { const r = %s?.getBoundingClientRect();
		return r && r.width > 0 && r.height > 0; })()`, find(sel)))
	p := eval[point](t, ctx, fmt.Sprintf(`(() => {
		const e = %s;
		e.scrollIntoView({block: "center", inline: "center"});
		const r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
		const hit = document.elementFromPoint(x, y);
		return {X: x, Y: y, Covered: hit && (hit === e || e.contains(hit)) ? "" : (hit?.outerHTML ?? "nothing").slice(0, 160)};
	})()`, find(sel)))
	if p.Covered != "" {
		t.Fatalf("%s is covered by %s", sel, p.Covered)
	}
	return p
}

// click clicks the element sel selects with the mouse (press and release at its centre), once it is shown.
func click(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	p := locate(t, ctx, sel)
	do(t, ctx, "click "+sel, chromedp.MouseClickXY(p.X, p.Y))
}

// tap touches the element sel selects at its centre (the tab must emulate a touch screen).
func tap(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	p := locate(t, ctx, sel)
	do(t, ctx, "tap "+sel, chromedp.TapXY(p.X, p.Y))
}

// focus gives the element sel selects the focus, as a person's click or Tab would.
func focus(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	waitJS(t, ctx, 10*time.Second, "focusable: "+sel, find(sel))
	if !eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = %s; e.focus(); return document.activeElement === e; })()`, find(sel))) {
		t.Fatalf("%s does not take the focus", sel)
	}
}

// typeInto focuses the field sel selects and types text into it, key by key.
func typeInto(t testing.TB, ctx context.Context, sel, text string) {
	t.Helper()
	focus(t, ctx, sel)
	do(t, ctx, "type into "+sel, chromedp.KeyEvent(text))
}

// session is what the app keeps in localStorage under "marquee.session".
type session struct {
	Token        string `json:"token"`
	RefreshToken string `json:"refreshToken"`
	ExpiresAt    int64  `json:"expiresAt"` // ms since the epoch
	UserID       string `json:"userId"`
	Email        string `json:"email"`
}

// signedIn returns the session of the user signed in in the tab.
func signedIn(t testing.TB, ctx context.Context) session {
	t.Helper()
	raw := eval[string](t, ctx, `localStorage.getItem("marquee.session") ?? ""`)
	var s session
	if err := json.Unmarshal([]byte(raw), &s); err != nil || s.Token == "" {
		t.Fatalf("no session in localStorage (%q): %v", raw, err)
	}
	return s
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// violation is one failed axe rule and the nodes it failed on.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeResult is what axe found on a page.
type axeResult struct {
	Passed     int         `json:"passed"`
	Review     []string    `json:"review"` // rules axe could not decide, such as contrast over a gradient
	Violations []violation `json:"violations"`
}

// axe runs axe-core (web/node_modules/axe-core) on the page with the WCAG 2.1 A and AA rules and the best
// practices, and fails the test listing every violation; state names the page and state for the message.
func axe(t testing.TB, ctx context.Context, state string) {
	t.Helper()
	axeOnce.Do(func() {
		var b []byte
		b, axeErr = os.ReadFile(filepath.Join(shared.root, "web", "node_modules", "axe-core", "axe.min.js"))
		axeSource = string(b)
	})
	if axeErr != nil {
		t.Fatalf("axe-core: %v (run make web first)", axeErr)
	}
	if !eval[bool](t, ctx, `typeof window.axe === "object"`) {
		do(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](axeSource, func(p *runtime.EvaluateParams) {
			p.ReturnByValue = new(false)
		}))
	}
	res := eval[axeResult](t, ctx, `axe.run(document, {runOnly: {type: "tag",
		values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
		.then((r) => ({passed: r.passes.length, review: r.incomplete.map((v) => v.id),
			violations: r.violations.map((v) => ({id: v.id, impact: v.impact ?? "", help: v.help,
				nodes: v.nodes.map((n) => n.target.join(" ") + (n.failureSummary ? " (" + n.failureSummary.replace(/\s+/g, " ") + ")" : ""))}))}))`)
	t.Logf("axe %s: %d rules passed, %d violated, to review by hand: %v", state, res.Passed, len(res.Violations), res.Review)
	vs := res.Violations
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    %s", n)
		}
	}
	t.Errorf("axe: %d violations at %s:%s", len(vs), state, b.String())
}

// shot saves a full-page PNG screenshot as test-artifacts/screenshots/NAME.png at the repository root.
func shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join(shared.root, "test-artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// check runs axe on the page and saves its screenshot.
func check(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	axe(t, ctx, name)
	shot(t, ctx, name)
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsArray quotes ss as a JavaScript array of strings.
func jsArray(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// xpathString quotes s for XPath 1.0, which has no escapes.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `concat("` + strings.ReplaceAll(s, `"`, `", '"', "`) + `")`
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
