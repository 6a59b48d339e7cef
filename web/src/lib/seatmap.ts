// The seat map's layout: rows and columns from each seat's position in the screen's layout, with aisles and gaps
// where the layout has no seat, and the moves of the keyboard across it.
import type { Seat } from "../../../api/marquee/v1/seat_pb.js";

/** Cell is one place on the grid: a seat, or nothing (an aisle or a gap). */
export type Cell = { seat: Seat | null; col: number };

/** Row is one row of the map, front (nearest the screen) first. */
export type Row = { label: string; y: number; cells: Cell[] };

/** Layout is the grid of a seat map. */
export type Layout = { rows: Row[]; columns: number; aisles: number[] };

/** layout places seats on a grid by their x and y: rows sorted by y (the screen is at y = 0), columns by x.
 * Columns with no seat in any row are aisles. */
export function layout(seats: Seat[]): Layout {
  if (seats.length === 0) return { rows: [], columns: 0, aisles: [] };
  let minX = Infinity, maxX = -Infinity;
  for (const s of seats) {
    minX = Math.min(minX, s.x);
    maxX = Math.max(maxX, s.x);
  }
  const columns = maxX - minX + 1;
  const byY = new Map<number, Seat[]>();
  for (const s of seats) {
    const r = byY.get(s.y) ?? [];
    r.push(s);
    byY.set(s.y, r);
  }
  const used = new Set<number>();
  for (const s of seats) used.add(s.x - minX);
  const aisles: number[] = [];
  for (let c = 0; c < columns; c++) if (!used.has(c)) aisles.push(c);
  const rows: Row[] = [...byY.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([y, rs]) => {
      const cells: Cell[] = Array.from({ length: columns }, (_, col) => ({ seat: null, col }));
      for (const s of rs) cells[s.x - minX] = { seat: s, col: s.x - minX };
      return { label: rs[0].row, y, cells };
    });
  return { rows, columns, aisles };
}

/** Move is a key that moves focus across the map. */
export type Move = "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "Home" | "End";

/** move returns the seat focus goes to from the seat at (row, col) with key: the next seat in that direction,
 * skipping aisles and gaps; up and down go to the nearest seat by column in the next row that has seats. */
export function move(l: Layout, row: number, col: number, key: Move): { row: number; col: number } {
  const r = l.rows[row];
  if (!r) return { row, col };
  const seatCols = (rr: Row) => rr.cells.filter((c) => c.seat).map((c) => c.col);
  switch (key) {
    case "ArrowLeft": {
      const left = seatCols(r).filter((c) => c < col);
      return { row, col: left.length ? left[left.length - 1] : col };
    }
    case "ArrowRight": {
      const right = seatCols(r).filter((c) => c > col);
      return { row, col: right.length ? right[0] : col };
    }
    case "Home":
      return { row, col: seatCols(r)[0] ?? col };
    case "End": {
      const cs = seatCols(r);
      return { row, col: cs[cs.length - 1] ?? col };
    }
    case "ArrowUp":
    case "ArrowDown": {
      const step = key === "ArrowUp" ? -1 : 1;
      for (let i = row + step; i >= 0 && i < l.rows.length; i += step) {
        const cs = seatCols(l.rows[i]);
        if (cs.length === 0) continue;
        const nearest = cs.reduce((best, c) => (Math.abs(c - col) < Math.abs(best - col) ? c : best), cs[0]);
        return { row: i, col: nearest };
      }
      return { row, col };
    }
  }
}
