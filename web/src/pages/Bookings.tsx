// My bookings: each with its show and seats; cancel all or some seats, seeing first what the refund policy gives
// back, to the card or as store credit with the chain's bonus. Standby lines the person is in are listed too.
import { useEffect, useState } from "preact/hooks";
import { type Booking, BookingStatus, RefundMethod, TenderMethod } from "../../../api/marquee/v1/booking_pb.js";
import type { QuoteCancellationResponse } from "../../../api/marquee/v1/booking_pb.js";
import { type StandbyEntry, StandbyStatus } from "../../../api/marquee/v1/standby_pb.js";
import { booking, idempotencyKey, isAbort, message, standby } from "../lib/api.js";
import { date, money, when } from "../lib/format.js";
import { Alert, Loading, Page } from "../lib/ui.js";
import { statusText } from "./Standby.js";

export function Bookings() {
  const [list, setList] = useState<Booking[] | null>(null);
  const [lines, setLines] = useState<StandbyEntry[]>([]);
  const [err, setErr] = useState("");
  const load = () => {
    booking.listMyBookings({}).then((r) => setList(r.bookings), (e) => setErr(message(e)));
    standby.listMyStandby({}).then((r) => setLines(r.entries), () => {});
  };
  useEffect(load, []);
  const upcoming = (list ?? []).filter((b) => date(b.showtime?.startsAt).getTime() > Date.now());
  const past = (list ?? []).filter((b) => date(b.showtime?.startsAt).getTime() <= Date.now());
  const waiting = lines.filter((e) => e.status === StandbyStatus.WAITING || e.status === StandbyStatus.OFFERED);
  return (
    <Page title="My bookings" wide>
      {err && <Alert>{err}</Alert>}
      {waiting.length > 0 && (
        <section aria-labelledby="lines">
          <h2 id="lines">Standby</h2>
          <ul class="cards">
            {waiting.map((e) => (
              <li key={e.id}><a href={`/standby/${encodeURIComponent(e.id)}`}>{e.seatCount} seat{e.seatCount === 1 ? "" : "s"}: {statusText(e)}</a></li>
            ))}
          </ul>
        </section>
      )}
      {list === null ? <Loading what="your bookings" /> : list.length === 0 ? <p>No bookings yet. <a href="/">Find a movie</a>.</p> : (
        <>
          <h2>Upcoming</h2>
          {upcoming.length === 0 ? <p>Nothing coming up.</p> : <ul class="cards">{upcoming.map((b) => <BookingCard key={b.id} b={b} onChange={load} />)}</ul>}
          {past.length > 0 && <><h2>Past</h2><ul class="cards">{past.map((b) => <BookingCard key={b.id} b={b} onChange={load} />)}</ul></>}
        </>
      )}
    </Page>
  );
}

function BookingCard(props: { b: Booking; onChange: () => void }) {
  const b = props.b;
  const st = b.showtime;
  const live = b.seatIds.filter((s) => !b.cancelledSeatIds.includes(s));
  const [open, setOpen] = useState(false);
  const cancellable = b.status === BookingStatus.CONFIRMED && date(st?.startsAt).getTime() > Date.now();
  return (
    <li class="card">
      <h3><a href={`/booking/${encodeURIComponent(b.id)}`}>{st?.movieTitle ?? b.showtimeId}</a></h3>
      <p>{st?.theatreName} · {when(st?.startsAt)}</p>
      <p>Seats {live.join(", ") || "none"} · {money(b.total)} · {b.status === BookingStatus.CANCELLED ? "Cancelled" : "Confirmed"} · code {b.confirmationCode}</p>
      {b.refund && b.refund.amountMinor > 0n && <p>Refunded {money(b.refund)}</p>}
      {cancellable && !open && <button type="button" class="secondary" onClick={() => setOpen(true)}>Cancel seats…</button>}
      {open && <Cancel b={b} seats={live} onClose={() => setOpen(false)} onDone={props.onChange} />}
    </li>
  );
}

function Cancel(props: { b: Booking; seats: string[]; onClose: () => void; onDone: () => void }) {
  const [chosen, setChosen] = useState<string[]>(props.seats);
  const [to, setTo] = useState<RefundMethod>(RefundMethod.ORIGINAL);
  const [quote, setQuote] = useState<QuoteCancellationResponse | null>(null);
  const [err, setErr] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const all = chosen.length === props.seats.length;
  useEffect(() => {
    setQuote(null);
    if (chosen.length === 0) return;
    const ctl = new AbortController();
    booking.quoteCancellation({ bookingId: props.b.id, seatIds: all ? [] : chosen, refundTo: to }, { signal: ctl.signal })
      .then((q) => ctl.signal.aborted || setQuote(q), (e: unknown) => isAbort(e) || ctl.signal.aborted || setErr(message(e)));
    return () => ctl.abort();
  }, [chosen.join(","), to]);
  const confirm = async () => {
    setBusy(true);
    setErr("");
    try {
      const r = await booking.cancelBooking({ bookingId: props.b.id, seatIds: all ? [] : chosen, refundTo: to, idempotencyKey: idempotencyKey() });
      const parts = [r.refund && r.refund.amountMinor > 0n ? `${money(r.refund)} back to your payment` : "", r.storeCredit && r.storeCredit.amountMinor > 0n ? `${money(r.storeCredit)} in store credit` : ""].filter(Boolean);
      setDone(`Cancelled. ${parts.length ? parts.join(" and ") + "." : "No refund was due under the policy."}`);
      props.onDone();
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  };
  if (done) return <Alert kind="ok">{done}</Alert>;
  const id = props.b.id;
  return (
    <div class="cancel">
      <fieldset>
        <legend>Seats to cancel</legend>
        {props.seats.map((s) => (
          <label class="check" key={s}>
            <input type="checkbox" checked={chosen.includes(s)}
              onChange={(e) => setChosen((e.target as HTMLInputElement).checked ? [...chosen, s] : chosen.filter((x) => x !== s))} />
            Seat {s}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Refund to</legend>
        <label class="check"><input type="radio" name={`to-${id}`} checked={to === RefundMethod.ORIGINAL} onChange={() => setTo(RefundMethod.ORIGINAL)} /> How I paid</label>
        <label class="check"><input type="radio" name={`to-${id}`} checked={to === RefundMethod.STORE_CREDIT} onChange={() => setTo(RefundMethod.STORE_CREDIT)} /> Store credit (instant, with any bonus the cinema offers)</label>
      </fieldset>
      <div aria-live="polite">
        {chosen.length === 0 ? <p>Pick at least one seat.</p> : !quote ? <Loading what="your refund" /> : <RefundQuote q={quote} />}
      </div>
      {err && <Alert>{err}</Alert>}
      <div class="actions">
        <button type="button" class="danger" disabled={busy || !quote || chosen.length === 0} onClick={confirm}>
          Cancel {all ? "booking" : `${chosen.length} seat${chosen.length === 1 ? "" : "s"}`}
        </button>
        <button type="button" class="link" onClick={props.onClose}>Keep my booking</button>
      </div>
    </div>
  );
}

function RefundQuote(props: { q: QuoteCancellationResponse }) {
  const q = props.q;
  const credit = q.storeCredit && q.storeCredit.amountMinor > 0n;
  const back = q.refund && q.refund.amountMinor > 0n;
  return (
    <div class="refund">
      <p>
        {credit ? (
          <>You get <strong>{money(q.storeCredit)} in store credit</strong>
            {q.storeCreditBonus && q.storeCreditBonus.amountMinor > 0n ? <> (including a {money(q.storeCreditBonus)} bonus)</> : null}.</>
        ) : back ? (
          <>You get <strong>{money(q.refund)}</strong> back to how you paid
            {q.refunds.length > 1 ? <> ({q.refunds.map((t) => `${money(t.amount)} ${tenderName(t.method)}`).join(", ")})</> : null}.</>
        ) : <>No refund is due.</>}
      </p>
      {q.policy && <p class="hint">{q.policy}</p>}
    </div>
  );
}

function tenderName(m: TenderMethod): string {
  switch (m) {
    case TenderMethod.CARD: return "to your card";
    case TenderMethod.GIFT_CARD: return "to your gift card";
    case TenderMethod.STORE_CREDIT: return "as store credit";
    default: return "";
  }
}
