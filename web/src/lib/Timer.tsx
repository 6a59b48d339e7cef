// A live countdown to a deadline, read out to screen readers each minute (every 15 s in the last one).
import { useEffect, useRef, useState } from "preact/hooks";
import { left, type Left, shouldAnnounce } from "./countdown.js";

export function Countdown(props: { deadline: Date; label: string; onExpire?: () => void }) {
  const [now, setNow] = useState(() => new Date());
  const [spoken, setSpoken] = useState("");
  const prev = useRef<Left | null>(null);
  const fired = useRef(false);
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(t);
  }, []);
  const l = left(props.deadline, now);
  useEffect(() => {
    if (shouldAnnounce(prev.current, l)) setSpoken(l.expired ? `${props.label}: time is up` : `${props.label}: ${l.spoken} left`);
    prev.current = l;
    if (l.expired && !fired.current) {
      fired.current = true;
      props.onExpire?.();
    }
  });
  return (
    <div class={`countdown${l.urgent ? " urgent" : ""}${l.expired ? " expired" : ""}`}>
      <span aria-hidden="true">{props.label}: <strong class="clock">{l.text}</strong></span>
      <span class="visually-hidden" aria-live="polite">{spoken}</span>
    </div>
  );
}
