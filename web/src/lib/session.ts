// The signed-in user, kept in localStorage so a reload keeps them signed in: a short-lived access token and
// the refresh token that renews it (see auth.ts).
import { signal } from "@preact/signals";

/** Session is who is signed in, their access token (until expiresAt, ms since the epoch) and refresh token. */
export type Session = {
  token: string;
  refreshToken: string;
  expiresAt: number;
  userId: string;
  email: string;
  name: string;
  homeRegion: string;
};

const key = "marquee.session";

/** stored reads the session from localStorage, as this tab or another one last wrote it. */
export function stored(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

/** session is the current user, or null when signed out. */
export const session = signal<Session | null>(stored());

// Another tab signing in, refreshing or signing out changes this one's session too.
globalThis.addEventListener?.("storage", (e: StorageEvent) => {
  if (e.key === key) session.value = stored();
});

/** signIn stores a session. */
export function signIn(s: Session) {
  localStorage.setItem(key, JSON.stringify(s));
  session.value = s;
}

/** signOut forgets the session on this device (auth.ts's logOut also ends it on the server). */
export function signOut() {
  localStorage.removeItem(key);
  session.value = null;
}

/** Tokens is what Login, Register and RefreshToken answer with. */
export type Tokens = {
  token: string;
  refreshToken: string;
  tokenExpiresAt?: { seconds: bigint };
  user?: { id: string; email: string; displayName: string; homeRegion: string };
};

/** fromTokens is the session an account call answered with. */
export function fromTokens(r: Tokens): Session {
  return {
    token: r.token,
    refreshToken: r.refreshToken,
    expiresAt: r.tokenExpiresAt ? Number(r.tokenExpiresAt.seconds) * 1000 : 0,
    userId: r.user?.id ?? "",
    email: r.user?.email ?? "",
    name: r.user?.displayName ?? "",
    homeRegion: r.user?.homeRegion ?? "",
  };
}

/** signInAs stores the session an account call (Login, Register) answered with. */
export function signInAs(r: Tokens) {
  signIn(fromTokens(r));
}

/** refreshMargin is how long before its expiry an access token is renewed rather than sent. */
export const refreshMargin = 30_000;

/** needsRefresh reports whether s's access token should be renewed before a call at now (ms). */
export function needsRefresh(s: Session, now: number): boolean {
  return s.refreshToken !== "" && s.expiresAt > 0 && now >= s.expiresAt - refreshMargin;
}
