// The countdown of a hold or an offer: what is left, how to say it, and when to warn.

/** Left is the time remaining until a deadline. */
export type Left = { ms: number; expired: boolean; urgent: boolean; text: string; spoken: string };

/** left says how long until deadline at now; urgent in the last minute. */
export function left(deadline: Date, now: Date = new Date()): Left {
  const ms = Math.max(0, deadline.getTime() - now.getTime());
  const total = Math.ceil(ms / 1000);
  const m = Math.floor(total / 60), s = total % 60;
  const text = `${m}:${String(s).padStart(2, "0")}`;
  const spoken = m > 0 ? `${m} minute${m === 1 ? "" : "s"}${s ? ` ${s} second${s === 1 ? "" : "s"}` : ""}` : `${s} second${s === 1 ? "" : "s"}`;
  return { ms, expired: ms === 0, urgent: ms > 0 && ms <= 60_000, text, spoken };
}

/** shouldAnnounce says whether a screen reader should hear the time left now: each minute, every 15 s in the
 * last one, and when it runs out. */
export function shouldAnnounce(prev: Left | null, cur: Left): boolean {
  if (!prev) return true;
  if (cur.expired !== prev.expired) return true;
  const ps = Math.ceil(prev.ms / 1000), cs = Math.ceil(cur.ms / 1000);
  if (cur.urgent) return Math.floor(ps / 15) !== Math.floor(cs / 15);
  return Math.floor(ps / 60) !== Math.floor(cs / 60);
}
