// Package webtest drives the browser app in headless Chromium (chromedp) against the real `marquee dev` shape:
// the binary is built once, `marquee dev` runs with a private PostgreSQL, the NATS supercluster, a region child
// per region and the edge, which serves the app and the API on one origin. Each test opens its own browser
// contexts, walks a page flow with the keyboard, mouse or touch, checks every page it passes with axe-core,
// saves screenshots under test-artifacts/screenshots/, and checks the committed state through the Connect API.
//
// Run it with `go test ./internal/webtest` after `make web` (the app must be in web/dist) and `make browser`
// (Chromium). The package only has tests and one benchmark, BenchmarkSeatMapRender.
package webtest
