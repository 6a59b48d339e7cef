import assert from "node:assert/strict";
import { test } from "node:test";
import { luhn, tokenFor } from "./cards.js";
import { ics } from "./ics.js";

test("test cards map to Stripe test tokens, spaces allowed", () => {
  assert.deepEqual(tokenFor("4242 4242 4242 4242"), { token: "tok_visa" });
  assert.deepEqual(tokenFor("4000-0000-0000-0002"), { token: "tok_chargeDeclined" });
});

test("bad and unknown numbers are refused in words", () => {
  assert.equal(luhn("4242424242424241"), false);
  assert.match((tokenFor("4242424242424241") as { error: string }).error, /not valid/);
  assert.match((tokenFor("") as { error: string }).error, /Enter a card/);
  assert.match((tokenFor("4111 1111 1111 1111") as { error: string }).error, /test mode/);
});

test("calendar file has the show's times in UTC, escaped text and CRLF lines", () => {
  const text = ics({ uid: "b1", title: "Dune, Part Two", start: new Date(Date.UTC(2026, 11, 5, 19, 30)),
    end: new Date(Date.UTC(2026, 11, 5, 22, 16)), location: "Roxy; Screen 1", description: "Seats F7, F8" },
    new Date(Date.UTC(2026, 11, 1)));
  assert.match(text, /\r\nDTSTART:20261205T193000Z\r\n/);
  assert.match(text, /\r\nDTEND:20261205T221600Z\r\n/);
  assert.match(text, /\r\nSUMMARY:Dune\\, Part Two\r\n/);
  assert.match(text, /\r\nLOCATION:Roxy\\; Screen 1\r\n/);
  assert.ok(text.startsWith("BEGIN:VCALENDAR\r\n") && text.endsWith("END:VCALENDAR\r\n"));
  for (const line of text.split("\r\n")) assert.ok(line.length <= 75, line);
});
