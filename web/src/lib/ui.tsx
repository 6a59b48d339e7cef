// Small shared pieces of the pages.
import type { ComponentChildren } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

/** Page is a page's main heading, focused when the page opens so screen readers announce it. */
export function Page(props: { title: string; children: ComponentChildren; wide?: boolean }) {
  const h = useRef<HTMLHeadingElement>(null);
  // Before the page is painted (a layout effect), so focus never moves away from a field someone has already
  // started typing in; and not at all when they have.
  useLayoutEffect(() => {
    document.title = `${props.title} · Marquee`;
    const active = document.activeElement;
    if (active && active !== document.body && active.closest("main") && active.matches("input, select, textarea")) return;
    h.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <div class={props.wide ? "page wide" : "page"}>
      <h1 tabIndex={-1} ref={h}>{props.title}</h1>
      {props.children}
    </div>
  );
}

/** Alert shows an error or a notice, announced when it appears. */
export function Alert(props: { kind?: "error" | "info" | "ok"; children: ComponentChildren }) {
  const kind = props.kind ?? "error";
  return (
    <div class={`alert ${kind}`} role={kind === "error" ? "alert" : "status"}>
      <span class="alert-icon" aria-hidden="true">{kind === "error" ? "!" : kind === "ok" ? "✓" : "i"}</span>
      <span>{props.children}</span>
    </div>
  );
}

/** Loading says a part of the page is on its way. */
export function Loading(props: { what: string }) {
  return <p class="loading" role="status">Loading {props.what}…</p>;
}

/** CardField is the card number input of test mode, with the test cards to use. */
export function CardField(props: { id: string; value: string; onInput: (v: string) => void; declines?: boolean }) {
  return (
    <>
      <label for={props.id}>Card number</label>
      <input id={props.id} inputMode="numeric" autocomplete="cc-number" value={props.value} aria-describedby={`${props.id}-hint`}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
      <p id={`${props.id}-hint`} class="hint">
        Test mode: 4242 4242 4242 4242 pays{props.declines ? "; 4000 0000 0000 0002 is declined" : ""}.
      </p>
    </>
  );
}
