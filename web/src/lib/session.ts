// The signed-in user, kept in localStorage so a reload keeps them signed in.
import { signal } from "@preact/signals";

/** Session is who is signed in and their bearer token. */
export type Session = { token: string; userId: string; email: string; name: string; homeRegion: string };

const key = "marquee.session";

function load(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

/** session is the current user, or null when signed out. */
export const session = signal<Session | null>(load());

/** signIn stores a session. */
export function signIn(s: Session) {
  localStorage.setItem(key, JSON.stringify(s));
  session.value = s;
}

/** signOut forgets the session on this device. */
export function signOut() {
  localStorage.removeItem(key);
  session.value = null;
}

/** signInAs stores the session an account call (Login, Register) answered with. */
export function signInAs(r: { token: string; user?: { id: string; email: string; displayName: string; homeRegion: string } }) {
  signIn({ token: r.token, userId: r.user?.id ?? "", email: r.user?.email ?? "", name: r.user?.displayName ?? "", homeRegion: r.user?.homeRegion ?? "" });
}
