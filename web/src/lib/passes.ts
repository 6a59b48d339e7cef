// Admission passes from showtimes' waiting rooms, kept in sessionStorage so a reload of the seat map keeps
// the person's turn; holds of that showtime send the pass.

/** Pass is an admission pass and when it stops letting its holder hold seats. */
export type Pass = { pass: string; expiresAt: number }; // ms since the epoch

const key = (showtimeId: string) => `marquee.pass.${showtimeId}`;

/** keepPass stores the pass of a showtime. */
export function keepPass(showtimeId: string, p: Pass) {
  sessionStorage.setItem(key(showtimeId), JSON.stringify(p));
}

/** passFor returns the stored pass of a showtime that has not expired at now, or "". */
export function passFor(showtimeId: string, now = Date.now()): string {
  const raw = sessionStorage.getItem(key(showtimeId));
  if (!raw) return "";
  const p = JSON.parse(raw) as Pass;
  return p.expiresAt > now ? p.pass : "";
}

/** dropPass forgets the pass of a showtime. */
export function dropPass(showtimeId: string) {
  sessionStorage.removeItem(key(showtimeId));
}

/** wait says a wait in words: "about 3 minutes", "less than a minute". */
export function wait(seconds: number): string {
  if (seconds < 60) return "less than a minute";
  const m = Math.round(seconds / 60);
  if (m < 60) return `about ${m} minute${m === 1 ? "" : "s"}`;
  const h = Math.round(m / 6) / 10;
  return `about ${h} hour${h === 1 ? "" : "s"}`;
}
