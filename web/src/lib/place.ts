// Where the person is browsing from: a city they picked or the location their browser shared.
import { signal } from "@preact/signals";

/** Place is a point to browse near, with a name to show. */
export type Place = { label: string; latitude: number; longitude: number; city?: string; timeZone?: string };

const key = "marquee.place";

function load(): Place | null {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    return raw ? (JSON.parse(raw) as Place) : null;
  } catch {
    return null;
  }
}

/** place is the current place, or null before one is chosen. */
export const place = signal<Place | null>(load());

/** setPlace remembers a place on this device. */
export function setPlace(p: Place) {
  localStorage.setItem(key, JSON.stringify(p));
  place.value = p;
}
