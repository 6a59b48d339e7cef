// Money, times and distances as people read them.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Money } from "../../../api/marquee/v1/common_pb.js";

const digits: Record<string, number> = { JPY: 0, KRW: 0 };

/** money formats an amount in minor units in its currency ("$12.50", "₹240.00"). */
export function money(m: Money | undefined): string {
  if (!m || !m.currencyCode) return "";
  const d = digits[m.currencyCode] ?? 2;
  return new Intl.NumberFormat(undefined, { style: "currency", currency: m.currencyCode }).format(
    Number(m.amountMinor) / 10 ** d,
  );
}

/** sum adds amounts of one currency. */
export function sum(ms: (Money | undefined)[]): Money | undefined {
  const first = ms.find((m) => m?.currencyCode);
  if (!first) return undefined;
  let total = 0n;
  for (const m of ms) if (m) total += m.amountMinor;
  return { ...first, amountMinor: total };
}

/** date turns a protobuf Timestamp into a Date. */
export function date(t: Timestamp | Date | undefined): Date {
  if (t instanceof Date) return t;
  return t ? new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)) : new Date(NaN);
}

/** when formats a show's start in the theatre's time zone when known ("Fri 5 Dec, 19:30"). */
export function when(t: Timestamp | Date | undefined, timeZone?: string): string {
  return date(t).toLocaleString(undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    ...(timeZone ? { timeZone } : {}),
  });
}

/** time formats only the time of day. */
export function time(t: Timestamp | undefined, timeZone?: string): string {
  return date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", ...(timeZone ? { timeZone } : {}) });
}

/** dayKey is the YYYY-MM-DD of a timestamp in a time zone (the page's when none is given). */
export function dayKey(d: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", ...(timeZone ? { timeZone } : {}) }).format(d);
  return parts;
}

/** dayLabel names a YYYY-MM-DD for a tab ("Today", "Tomorrow", "Sat 6 Dec"). */
export function dayLabel(day: string, today = dayKey(new Date())): string {
  const d = new Date(day + "T12:00:00");
  const t = new Date(today + "T12:00:00");
  const diff = Math.round((d.getTime() - t.getTime()) / 86400000);
  if (diff === 0) return "Today";
  if (diff === 1) return "Tomorrow";
  return d.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short" });
}

/** km formats a distance. */
export function km(d: number): string {
  return d < 10 ? `${d.toFixed(1)} km` : `${Math.round(d)} km`;
}

/** distanceKm is the great-circle distance between two points. */
export function distanceKm(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const r = (x: number) => (x * Math.PI) / 180;
  const dLat = r(bLat - aLat), dLon = r(bLon - aLon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(r(aLat)) * Math.cos(r(bLat)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** language names a language code in the reader's language ("de" -> "German"), or returns it as given. */
export function language(code: string): string {
  if (!code) return "";
  try {
    return new Intl.DisplayNames(undefined, { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}
