// A small client-side router over the History API: pages are plain paths, so reloads and shared links work
// (the edge answers every non-API path with the app).
import { signal } from "@preact/signals";

const here = () => (typeof location === "undefined" ? "/" : location.pathname + location.search);

/** path is the current path with its query string. */
export const path = signal(here());

if (typeof window !== "undefined") {
  window.addEventListener("popstate", () => (path.value = here()));
}

/** navigate goes to href without a reload and moves focus to the new page's heading. */
export function navigate(href: string, replace = false) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  path.value = here();
  window.scrollTo(0, 0);
}

/** match returns the parameters of pattern ("/movie/:id") in pathname, or null. */
export function match(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = pathname.split("?")[0].split("/");
  if (want.length !== got.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) out[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return out;
}

/** query returns the current query parameters. */
export function query(): URLSearchParams {
  return new URLSearchParams(path.value.split("?")[1] ?? "");
}

/** onLinkClick makes a plain <a href> navigate in the app. */
export function onLinkClick(e: MouseEvent) {
  const a = (e.target as HTMLElement).closest("a");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute("href");
  if (!href || !href.startsWith("/") || a.hasAttribute("download") || a.target) return;
  e.preventDefault();
  navigate(href);
}
