// The seat map of a showtime, live: seats others take or free change while the person looks, pushed by
// SeatService/WatchSeatMap. Seats are picked by mouse, touch or keyboard, or "best seats for N" picks them.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Showtime } from "../../../api/marquee/v1/catalog_pb.js";
import { type Seat, SeatStatus, SeatType } from "../../../api/marquee/v1/seat_pb.js";
import { message, seats as seatApi, standby } from "../lib/api.js";
import { follow } from "../lib/follow.js";
import { date, language, money, when } from "../lib/format.js";
import { remember } from "../lib/holds.js";
import { navigate } from "../lib/router.js";
import { layout, type Move, move } from "../lib/seatmap.js";
import { session } from "../lib/session.js";
import { Alert, Loading, Page } from "../lib/ui.js";
import type { Hold } from "../../../api/marquee/v1/seat_pb.js";
import { type OnSale, WaitingStatus } from "../../../api/marquee/v1/onsale_pb.js";
import { dropPass, passFor } from "../lib/passes.js";
import { WaitingRoom } from "./WaitingRoom.js";

const maxSeats = 10;

/** typeName says a seat type in words. */
export function typeName(t: SeatType): string {
  switch (t) {
    case SeatType.PREMIUM: return "premium";
    case SeatType.ACCESSIBLE: return "wheelchair space";
    case SeatType.COMPANION: return "companion seat";
    default: return "standard";
  }
}

const typeMark: Record<number, string> = { [SeatType.PREMIUM]: "★", [SeatType.ACCESSIBLE]: "♿", [SeatType.COMPANION]: "C" };

type Map = { seats: Seat[]; showtime?: Showtime; version: number };

export function Seats(props: { id: string }) {
  const [map, setMap] = useState<Map | null>(null);
  const [live, setLive] = useState<"connecting" | "live" | "reconnecting">("connecting");
  const [err, setErr] = useState("");
  const [notice, setNotice] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  // The showtime's on-sale, when one is on (holds then need the pass its waiting room gives), and the pass.
  const [onSale, setOnSale] = useState<OnSale | null | undefined>(undefined);
  const [pass, setPass] = useState(() => passFor(props.id));
  useEffect(() => {
    if (!session.value) {
      setOnSale(null);
      return;
    }
    seatApi.getWaitingRoom({ showtimeId: props.id }).then((r) => {
      setOnSale(r.onSale ?? null);
      if (r.place?.status === WaitingStatus.ADMITTED && r.place.admissionPass) setPass(r.place.admissionPass);
    }, () => setOnSale(null));
  }, [props.id]);
  useEffect(() => {
    // Versions only grow within one stream; a reconnect starts a new one with a fresh map.
    let last = -1;
    return follow({
      open: (signal) => seatApi.watchSeatMap({ showtimeId: props.id }, { signal }),
      onStream: () => (last = -1),
      onMessage: (m) => {
        setLive("live");
        if (m.version <= last) return; // a heartbeat, or an older map
        last = m.version;
        setMap({ seats: m.seats, showtime: m.showtime, version: m.version });
      },
      onLost: () => setLive("reconnecting"),
      onGone: () => setErr("We could not find that showtime."),
    });
  }, [props.id]);
  // A seat the person picked that someone else just took leaves the selection, and they are told.
  useEffect(() => {
    if (!map) return;
    const gone = picked.filter((id) => map.seats.find((s) => s.id === id)?.status !== SeatStatus.AVAILABLE);
    if (gone.length) {
      setPicked(picked.filter((id) => !gone.includes(id)));
      setNotice(`${gone.length === 1 ? "Seat" : "Seats"} ${gone.join(", ")} ${gone.length === 1 ? "was" : "were"} just taken by someone else. The rest of your selection is kept.`);
    }
  }, [map]);
  const st = map?.showtime;
  const title = st ? `${st.movieTitle}: pick your seats` : "Pick your seats";
  if (err) return <Page title="Seats"><Alert>{err}</Alert></Page>;
  if (!map) return <Page title={title}><Loading what="the seat map" /></Page>;
  const available = map.seats.filter((s) => s.status === SeatStatus.AVAILABLE);
  const started = st && date(st.startsAt).getTime() < Date.now();
  const toggle = (s: Seat) => {
    setNotice("");
    if (s.status !== SeatStatus.AVAILABLE) {
      setNotice(`Seat ${s.id} is taken. Pick a free seat.`);
      return;
    }
    if (picked.includes(s.id)) setPicked(picked.filter((id) => id !== s.id));
    else if (picked.length >= maxSeats) setNotice(`You can pick up to ${maxSeats} seats at a time.`);
    else setPicked([...picked, s.id]);
  };
  const held = (h: Hold | undefined) => {
    if (!h) return;
    remember({
      holdId: h.id, showtimeId: props.id, seatIds: h.seatIds, expiresAt: date(h.expiresAt).getTime(),
      title: st?.movieTitle ?? "", theatre: st?.theatreName ?? "", startsAt: date(st?.startsAt).getTime(),
    });
    navigate(`/checkout/${encodeURIComponent(h.id)}`);
  };
  const hold = async () => {
    setBusy(true);
    setNotice("");
    try {
      held((await seatApi.holdSeats({ showtimeId: props.id, seatIds: picked, admissionPass: pass })).hold);
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };
  // A pass that expired or was used sends the person back to the waiting room.
  const refused = (e: unknown) => {
    const m = message(e);
    if (onSale && /admission pass|waiting room/.test(m)) {
      dropPass(props.id);
      setPass("");
    }
    setNotice(m);
  };
  const signedIn = !!session.value;
  const waiting = signedIn && !!onSale && !pass;
  return (
    <Page title={title} wide>
      {st && <p class="meta">{st.theatreName} · {st.screenName} · {when(st.startsAt)} · {st.format} · {language(st.language)}</p>}
      <p class={`live ${live}`} role="status">
        <span aria-hidden="true">{live === "live" ? "●" : "○"}</span>{" "}
        {live === "live" ? "Live: seats change here as others pick them." : live === "connecting" ? "Connecting…" : "Reconnecting to live updates…"}
      </p>
      {started && <Alert kind="info">This show has started; seats can no longer be booked.</Alert>}
      {available.length === 0 && !started ? <SoldOut showtimeId={props.id} /> : (
        <>
          {waiting && <WaitingRoom showtimeId={props.id} onSale={onSale!} onAdmitted={setPass} />}
          <Legend seats={map.seats} />
          <SeatGrid seats={map.seats} picked={picked} onToggle={toggle} />
          {notice && <Alert>{notice}</Alert>}
          <div class="selection" aria-live="polite">
            {picked.length === 0 ? <p>No seats picked yet. Choose seats on the map, or let us pick the best ones.</p> : (
              <p>
                Your seats: <strong>{picked.join(", ")}</strong> ·{" "}
                {money({ ...map.seats.find((s) => s.id === picked[0])!.price!, amountMinor: picked.reduce((t, id) => t + (map.seats.find((s) => s.id === id)?.price?.amountMinor ?? 0n), 0n) })}
              </p>
            )}
          </div>
          {waiting ? (
            <p>You can hold seats once it's your turn in the waiting room above.</p>
          ) : !signedIn ? (
            <p><a href={`/login?next=${encodeURIComponent(`/showtime/${props.id}`)}`}>Sign in</a> to hold seats.</p>
          ) : (
            <div class="actions">
              <button type="button" class="primary" disabled={busy || picked.length === 0} onClick={hold}>
                {picked.length ? `Hold ${picked.length} seat${picked.length === 1 ? "" : "s"}` : "Hold seats"}
              </button>
              <BestSeats showtimeId={props.id} pass={pass} onHeld={held} onError={setNotice} onRefused={refused} />
            </div>
          )}
        </>
      )}
    </Page>
  );
}

function BestSeats(props: {
  showtimeId: string; pass: string; onHeld: (h: Hold | undefined) => void; onError: (m: string) => void;
  onRefused: (e: unknown) => void;
}) {
  const [count, setCount] = useState(2);
  const [accessible, setAccessible] = useState(false);
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    props.onError("");
    try {
      props.onHeld((await seatApi.holdBestAvailable({ showtimeId: props.showtimeId, count, accessible, admissionPass: props.pass })).hold);
    } catch (e) {
      props.onRefused(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset class="best">
      <legend>Or let us pick</legend>
      <label>
        Seats
        <select value={count} onChange={(e) => setCount(Number((e.target as HTMLSelectElement).value))}>
          {Array.from({ length: maxSeats }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <label class="check">
        <input type="checkbox" checked={accessible} onChange={(e) => setAccessible((e.target as HTMLInputElement).checked)} />
        Wheelchair space
      </label>
      <button type="button" class="secondary" disabled={busy} onClick={go}>Best seats for {count}</button>
    </fieldset>
  );
}

function Legend(props: { seats: Seat[] }) {
  const types = new Map<SeatType, Seat>();
  for (const s of props.seats) if (!types.has(s.type)) types.set(s.type, s);
  return (
    <div class="legend" aria-label="Legend" role="group">
      <span class="seat-key"><span class="seat free" aria-hidden="true"></span> Free</span>
      <span class="seat-key"><span class="seat picked" aria-hidden="true">✓</span> Your pick</span>
      <span class="seat-key"><span class="seat taken" aria-hidden="true">✕</span> Taken</span>
      {[...types.values()].map((s) => (
        <span class="seat-key" key={s.type}>
          <span class={`seat free t${s.type}`} aria-hidden="true">{typeMark[s.type] ?? ""}</span> {typeName(s.type)} {money(s.price)}
        </span>
      ))}
    </div>
  );
}

/** SeatGrid draws the map; one seat at a time is in the tab order and the arrow keys move between seats. */
export function SeatGrid(props: { seats: Seat[]; picked: string[]; onToggle: (s: Seat) => void }) {
  const l = useMemo(() => layout(props.seats), [props.seats]);
  const first = l.rows[0]?.cells.find((c) => c.seat);
  const [focus, setFocus] = useState<{ row: number; col: number }>({ row: 0, col: first?.col ?? 0 });
  const grid = useRef<HTMLDivElement>(null);
  const onKey = (e: KeyboardEvent) => {
    const keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"];
    if (!keys.includes(e.key)) return;
    e.preventDefault();
    const next = move(l, focus.row, focus.col, e.key as Move);
    setFocus(next);
    grid.current?.querySelector<HTMLButtonElement>(`[data-pos="${next.row}:${next.col}"]`)?.focus();
  };
  return (
    <div class="seatmap">
      <div class="screen" aria-hidden="true">Screen</div>
      <div class="grid" role="grid" ref={grid} aria-label="Seats, screen at the front. Use the arrow keys to move and Space to pick."
        aria-rowcount={l.rows.length} onKeyDown={onKey} style={{ "--cols": l.columns }}>
        {l.rows.map((r, ri) => (
          <div role="row" class="row" key={r.label}>
            <span role="rowheader" class="row-label">{r.label}</span>
            {r.cells.map((c) => {
              if (!c.seat) return <span role="gridcell" class="gap" key={c.col}></span>;
              const s = c.seat;
              const mine = props.picked.includes(s.id);
              const free = s.status === SeatStatus.AVAILABLE;
              const status = mine ? "your pick" : free ? "free" : "taken";
              const cls = `seat ${mine ? "picked" : free ? "free" : "taken"} t${s.type}`;
              return (
                <span role="gridcell" key={c.col}>
                  <button type="button" class={cls} data-pos={`${ri}:${c.col}`} data-seat={s.id}
                    tabIndex={focus.row === ri && focus.col === c.col ? 0 : -1}
                    aria-label={`Row ${s.row}, seat ${s.number}, ${typeName(s.type)}, ${money(s.price)}, ${status}`}
                    aria-pressed={mine} aria-disabled={!free && !mine}
                    onFocus={() => setFocus({ row: ri, col: c.col })}
                    onClick={() => props.onToggle(s)}>
                    {mine ? "✓" : free ? typeMark[s.type] ?? "" : "✕"}
                  </button>
                </span>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

function SoldOut(props: { showtimeId: string }) {
  const [count, setCount] = useState(2);
  const [together, setTogether] = useState(true);
  const [accessible, setAccessible] = useState(false);
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const join = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr("");
    try {
      const r = await standby.joinStandby({ showtimeId: props.showtimeId, seatCount: count, together, accessible });
      navigate(`/standby/${encodeURIComponent(r.entry!.id)}`);
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="soldout">
      <h2 id="soldout">Sold out</h2>
      <p>Every seat is taken. Join the standby line: when seats free up, the next person in line gets an offer to buy them, for a few minutes.</p>
      {!session.value ? <p><a href={`/login?next=${encodeURIComponent(`/showtime/${props.showtimeId}`)}`}>Sign in</a> to join the standby line.</p> : (
        <form onSubmit={join} class="standby-form">
          <label>Seats
            <select value={count} onChange={(e) => setCount(Number((e.target as HTMLSelectElement).value))}>
              {Array.from({ length: maxSeats }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <label class="check"><input type="checkbox" checked={together} onChange={(e) => setTogether((e.target as HTMLInputElement).checked)} /> Seats together</label>
          <label class="check"><input type="checkbox" checked={accessible} onChange={(e) => setAccessible((e.target as HTMLInputElement).checked)} /> Wheelchair space</label>
          <button class="primary" disabled={busy}>Join standby</button>
          {err && <Alert>{err}</Alert>}
        </form>
      )}
    </section>
  );
}

