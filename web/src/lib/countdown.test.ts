import assert from "node:assert/strict";
import { test } from "node:test";
import { left, shouldAnnounce } from "./countdown.js";

const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, s));
const deadline = at(480); // 8 minutes after at(0)

test("left counts down in minutes and seconds", () => {
  assert.equal(left(deadline, at(0)).text, "8:00");
  assert.equal(left(deadline, at(1)).text, "7:59");
  assert.equal(left(deadline, at(479)).text, "0:01");
  assert.equal(left(deadline, at(479)).spoken, "1 second");
  assert.equal(left(deadline, at(355)).spoken, "2 minutes 5 seconds");
});

test("urgent in the last minute, expired at and after the deadline", () => {
  assert.equal(left(deadline, at(419)).urgent, false);
  assert.equal(left(deadline, at(420)).urgent, true);
  const done = left(deadline, at(500));
  assert.equal(done.expired, true);
  assert.equal(done.urgent, false);
  assert.equal(done.text, "0:00");
});

test("screen readers hear it each minute, then every 15 s, and at expiry", () => {
  assert.equal(shouldAnnounce(null, left(deadline, at(0))), true);
  assert.equal(shouldAnnounce(left(deadline, at(10)), left(deadline, at(11))), false);
  assert.equal(shouldAnnounce(left(deadline, at(59)), left(deadline, at(61))), true, "crossing 7:00");
  assert.equal(shouldAnnounce(left(deadline, at(430)), left(deadline, at(431))), false);
  assert.equal(shouldAnnounce(left(deadline, at(434)), left(deadline, at(436))), true, "crossing 0:45");
  assert.equal(shouldAnnounce(left(deadline, at(479)), left(deadline, at(480))), true, "expired");
});
