import assert from "node:assert/strict";
import { test } from "node:test";
import { layout, move } from "./seatmap.js";
import type { Seat } from "../../../api/marquee/v1/seat_pb.js";

// A small screen: rows A and B, an aisle at x = 3, row B one seat shorter (a gap at its end), row C behind.
const seat = (row: string, number: number, x: number, y: number) => ({ id: `${row}${number}`, row, number, x, y }) as Seat;
const seats = [
  seat("B", 1, 0, 1), seat("A", 1, 0, 0), seat("A", 2, 1, 0), seat("A", 3, 2, 0), seat("A", 4, 4, 0), seat("A", 5, 5, 0),
  seat("B", 2, 1, 1), seat("B", 3, 2, 1), seat("B", 4, 4, 1), seat("C", 1, 5, 2),
];

test("layout puts rows front first, seats at their x, and finds the aisle", () => {
  const l = layout(seats);
  assert.equal(l.columns, 6);
  assert.deepEqual(l.rows.map((r) => r.label), ["A", "B", "C"]);
  assert.deepEqual(l.rows[0].cells.map((c) => c.seat?.id ?? null), ["A1", "A2", "A3", null, "A4", "A5"]);
  assert.deepEqual(l.rows[1].cells.map((c) => c.seat?.id ?? null), ["B1", "B2", "B3", null, "B4", null]);
  assert.deepEqual(l.aisles, [3]);
});

test("layout of no seats is empty", () => {
  assert.deepEqual(layout([]), { rows: [], columns: 0, aisles: [] });
});

test("arrow keys skip the aisle and gaps and stop at the edges", () => {
  const l = layout(seats);
  assert.deepEqual(move(l, 0, 2, "ArrowRight"), { row: 0, col: 4 }, "A3 -> A4 across the aisle");
  assert.deepEqual(move(l, 0, 4, "ArrowLeft"), { row: 0, col: 2 });
  assert.deepEqual(move(l, 0, 5, "ArrowRight"), { row: 0, col: 5 }, "stays at the last seat");
  assert.deepEqual(move(l, 0, 0, "ArrowLeft"), { row: 0, col: 0 });
  assert.deepEqual(move(l, 0, 5, "ArrowDown"), { row: 1, col: 4 }, "B has no seat under A5: nearest is B4");
  assert.deepEqual(move(l, 1, 4, "ArrowDown"), { row: 2, col: 5 });
  assert.deepEqual(move(l, 2, 5, "ArrowDown"), { row: 2, col: 5 }, "no row behind C");
  assert.deepEqual(move(l, 1, 1, "ArrowUp"), { row: 0, col: 1 });
  assert.deepEqual(move(l, 0, 4, "Home"), { row: 0, col: 0 });
  assert.deepEqual(move(l, 1, 0, "End"), { row: 1, col: 4 });
});
