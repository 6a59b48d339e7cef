// The holds this tab has made, kept in sessionStorage so checkout survives a reload.

/** HeldSeats is what checkout needs to show a hold without asking the server again. */
export type HeldSeats = {
  holdId: string;
  showtimeId: string;
  seatIds: string[];
  expiresAt: number; // ms since the epoch
  title: string;
  theatre: string;
  startsAt: number;
  timeZone?: string;
};

const key = (id: string) => `marquee.hold.${id}`;

/** remember stores a hold. */
export function remember(h: HeldSeats) {
  sessionStorage.setItem(key(h.holdId), JSON.stringify(h));
}

/** recall returns a stored hold, or null. */
export function recall(id: string): HeldSeats | null {
  const raw = sessionStorage.getItem(key(id));
  return raw ? (JSON.parse(raw) as HeldSeats) : null;
}

/** forget drops a stored hold. */
export function forget(id: string) {
  sessionStorage.removeItem(key(id));
}
