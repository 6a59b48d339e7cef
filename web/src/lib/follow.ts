// Following a server stream for as long as a page shows it: any end of the stream (a region restarting, the
// edge failing over, the network) means "watch again", with a growing pause, until the page goes away.
import { Code } from "@connectrpc/connect";
import { code } from "./api.js";

/** Follow are the callbacks of follow. */
export type Follow<T> = {
  /** open starts one stream. */
  open: (signal: AbortSignal) => AsyncIterable<T>;
  /** onStream runs when a stream starts (before its first message): state that is per stream resets here. */
  onStream?: () => void;
  onMessage: (m: T) => void;
  /** onLost runs when a stream ended and another will be tried. */
  onLost?: () => void;
  /** onGone runs on an answer that watching again cannot change (not found, bad request); following stops. */
  onGone: (c: Code) => void;
};

/** follow watches a stream until the returned function is called. */
export function follow<T>(f: Follow<T>): () => void {
  const ctl = new AbortController();
  let tries = 0;
  (async () => {
    while (!ctl.signal.aborted) {
      try {
        f.onStream?.();
        for await (const m of f.open(ctl.signal)) {
          tries = 0;
          f.onMessage(m);
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        const c = code(e);
        if (c === Code.NotFound || c === Code.InvalidArgument || c === Code.PermissionDenied) {
          f.onGone(c);
          return;
        }
      }
      f.onLost?.();
      await new Promise((r) => setTimeout(r, Math.min(8000, 500 * 2 ** tries++)));
    }
  })();
  return () => ctl.abort();
}
