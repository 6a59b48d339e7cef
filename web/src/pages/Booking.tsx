// A booking's confirmation: the QR ticket drawn from its signed payload, a calendar file, and "add seats next
// to mine", which charges only the added seats.
import { useEffect, useState } from "preact/hooks";
import { type Booking as BookingT, BookingStatus } from "../../../api/marquee/v1/booking_pb.js";
import { booking, idempotencyKey, message } from "../lib/api.js";
import { tokenFor } from "../lib/cards.js";
import { date, money, when } from "../lib/format.js";
import { ics } from "../lib/ics.js";
import { passFor } from "../lib/passes.js";
import { qr } from "../lib/qr.js";
import { Alert, CardField, Loading, Page } from "../lib/ui.js";

export function Booking(props: { id: string }) {
  const [b, setB] = useState<BookingT | null>(null);
  const [err, setErr] = useState("");
  useEffect(() => {
    booking.getBooking({ bookingId: props.id }).then((r) => setB(r.booking ?? null), (e) => setErr(message(e)));
  }, [props.id]);
  if (err) return <Page title="Booking"><Alert>{err}</Alert></Page>;
  if (!b) return <Page title="Booking"><Loading what="your booking" /></Page>;
  const st = b.showtime;
  const live = b.seatIds.filter((s) => !b.cancelledSeatIds.includes(s));
  const confirmed = b.status === BookingStatus.CONFIRMED;
  return (
    <Page title={confirmed ? "You're booked" : "Booking cancelled"} wide>
      <div class="ticket">
        <div>
          <h2>{st?.movieTitle}</h2>
          <p>{st?.theatreName} · {st?.screenName}</p>
          <p><strong>{when(st?.startsAt)}</strong></p>
          <p>Seats: <strong>{live.join(", ") || "none"}</strong></p>
          <p>Confirmation code: <strong class="code">{b.confirmationCode}</strong></p>
          <p>Paid {money(b.total)}{b.discount && b.discount.amountMinor ? `, ${money(b.discount)} off` : ""}{b.refund && b.refund.amountMinor ? `; refunded ${money(b.refund)}` : ""}</p>
        </div>
        {confirmed && b.ticket && <Ticket payload={b.ticket} code={b.confirmationCode} />}
      </div>
      {confirmed && st && (
        <p>
          <a class="button secondary" download={`marquee-${b.confirmationCode}.ics`} href={calendarURL(b)}>Add to calendar (.ics)</a>{" "}
          <a class="button secondary" href="/bookings">My bookings</a>
        </p>
      )}
      {confirmed && st && date(st.startsAt).getTime() > Date.now() && <AddSeats booking={b} onDone={setB} />}
    </Page>
  );
}

function Ticket(props: { payload: string; code: string }) {
  const q = qr(props.payload);
  return (
    <figure class="qr">
      <svg viewBox={`0 0 ${q.size} ${q.size}`} role="img" aria-label={`QR code of ticket ${props.code}, to show at the door`}
        shape-rendering="crispEdges">
        <rect width={q.size} height={q.size} fill="#fff" />
        <path d={q.path} fill="#000" />
      </svg>
      <figcaption>Show this at the door</figcaption>
    </figure>
  );
}

function calendarURL(b: BookingT): string {
  const st = b.showtime!;
  const text = ics({
    uid: b.id, title: st.movieTitle, start: date(st.startsAt), end: date(st.endsAt),
    location: `${st.theatreName}, ${st.city}`,
    description: `Seats ${b.seatIds.filter((s) => !b.cancelledSeatIds.includes(s)).join(", ")}. Confirmation ${b.confirmationCode}.`,
  });
  return "data:text/calendar;charset=utf-8," + encodeURIComponent(text);
}

function AddSeats(props: { booking: BookingT; onDone: (b: BookingT) => void }) {
  const [count, setCount] = useState(1);
  const [card, setCard] = useState("");
  const [err, setErr] = useState("");
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState(idempotencyKey);
  const add = async (e: Event) => {
    e.preventDefault();
    setErr("");
    setDone("");
    const t = tokenFor(card);
    if ("error" in t) {
      setErr(t.error);
      return;
    }
    setBusy(true);
    try {
      const r = await booking.addSeats({ bookingId: props.booking.id, count, paymentToken: t.token, idempotencyKey: key, admissionPass: passFor(props.booking.showtimeId) });
      setDone(`Added ${count} seat${count === 1 ? "" : "s"} next to yours for ${money(r.charged)}.`);
      setKey(idempotencyKey());
      if (r.booking) props.onDone(r.booking);
    } catch (e) {
      setErr(message(e));
      setKey(idempotencyKey());
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="add">
      <h2 id="add">Add seats next to mine</h2>
      <p>Bringing someone? We find free seats beside yours; you pay only for the added seats.</p>
      <form onSubmit={add}>
        <label for="add-count">Seats to add</label>
        <select id="add-count" value={count} onChange={(e) => setCount(Number((e.target as HTMLSelectElement).value))}>
          {[1, 2, 3, 4].map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
        <CardField id="add-card" value={card} onInput={setCard} />
        {err && <Alert>{err}</Alert>}
        {done && <Alert kind="ok">{done}</Alert>}
        <button class="primary" disabled={busy}>Add seats</button>
      </form>
    </section>
  );
}
