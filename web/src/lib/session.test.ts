import { test } from "node:test";
import assert from "node:assert/strict";
import { fromTokens, needsRefresh, refreshMargin } from "./session.js";

const s = fromTokens({
  token: "access",
  refreshToken: "mqr_x",
  tokenExpiresAt: { seconds: 1_000n },
  user: { id: "u1", email: "ana@example.com", displayName: "Ana", homeRegion: "us-east1" },
});

test("fromTokens keeps both tokens and the access token's expiry in ms", () => {
  assert.deepEqual(s, { token: "access", refreshToken: "mqr_x", expiresAt: 1_000_000, userId: "u1",
    email: "ana@example.com", name: "Ana", homeRegion: "us-east1" });
});

test("an access token is renewed from refreshMargin before it expires, not earlier", () => {
  assert.equal(needsRefresh(s, 1_000_000 - refreshMargin - 1), false);
  assert.equal(needsRefresh(s, 1_000_000 - refreshMargin), true);
  assert.equal(needsRefresh(s, 2_000_000), true);
});

test("a session without a refresh token or expiry is never renewed", () => {
  assert.equal(needsRefresh({ ...s, refreshToken: "" }, 2_000_000), false);
  assert.equal(needsRefresh({ ...s, expiresAt: 0 }, 2_000_000), false);
});
