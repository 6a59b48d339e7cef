// Access tokens last minutes: the auth interceptor renews one with the refresh token before it expires, and
// once more when a call is answered unauthenticated, then signs out. Every refresh token works once (one used
// twice ends the session), so tabs take turns: a refresh runs under a Web Lock and first looks whether another
// tab has already renewed the session.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AccountService } from "../../../api/marquee/v1/account_pb.js";
import { fromTokens, needsRefresh, session, signIn, signOut, stored, type Session } from "./session.js";

const baseUrl = typeof location === "undefined" ? "http://localhost" : location.origin;

// The refresh calls go through a client of their own, without the interceptor that would renew them.
const plain = createClient(AccountService, createConnectTransport({ baseUrl, useBinaryFormat: true }));

let inflight: Promise<Session | null> | null = null;

/** refresh renews the session whose access token is stale, once per tab and across tabs at a time; it
 * resolves to the renewed session, or null (signed out) when the refresh token was refused. */
export function refresh(stale: Session): Promise<Session | null> {
  inflight ??= withLock(async () => {
    const now = stored();
    if (!now) return null;
    if (now.token !== stale.token) return now; // another tab renewed it meanwhile
    try {
      const r = await plain.refreshToken({ refreshToken: now.refreshToken });
      const next = fromTokens(r);
      signIn(next);
      return next;
    } catch (err) {
      if (ConnectError.from(err).code === Code.Unauthenticated) {
        signOut();
        return null;
      }
      throw err;
    }
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? (locks.request("marquee.refresh", fn) as Promise<T>) : fn();
}

/** auth sends the signed-in user's access token, renewed first when it is about to expire; a unary call
 * answered unauthenticated is renewed and tried once more. */
export const auth: Interceptor = (next) => async (req) => {
  let s = session.value;
  if (s && needsRefresh(s, Date.now())) s = await refresh(s);
  if (s) req.header.set("Authorization", `Bearer ${s.token}`);
  try {
    return await next(req);
  } catch (err) {
    if (!s || req.stream || ConnectError.from(err).code !== Code.Unauthenticated) throw err;
    if (!s.refreshToken) {
      signOut(); // a session kept from before refresh tokens: sign in again
      throw err;
    }
    const renewed = await refresh(s);
    if (!renewed) throw err;
    req.header.set("Authorization", `Bearer ${renewed.token}`);
    return await next(req);
  }
};

/** logOut ends the session on the server (its tokens stop working everywhere) and forgets it here. */
export async function logOut(): Promise<void> {
  const s = session.value;
  signOut();
  if (!s) return;
  try {
    await plain.logout({}, { headers: { Authorization: `Bearer ${s.token}` } });
  } catch {
    // Signed out here either way; an expired token's session ends when its refresh token expires.
  }
}
