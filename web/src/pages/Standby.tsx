// A place in a standby line, live: the position and status update by themselves (StandbyService/WatchStandby),
// and an offer arrives with its seats and deadline, to accept (and pay) or decline.
import { useEffect, useState } from "preact/hooks";
import { type StandbyEntry, StandbyStatus } from "../../../api/marquee/v1/standby_pb.js";
import { idempotencyKey, message, standby } from "../lib/api.js";
import { follow } from "../lib/follow.js";
import { tokenFor } from "../lib/cards.js";
import { Countdown } from "../lib/Timer.js";
import { date } from "../lib/format.js";
import { navigate } from "../lib/router.js";
import { Alert, CardField, Loading, Page } from "../lib/ui.js";

/** statusText says where an entry is in words. */
export function statusText(e: StandbyEntry): string {
  switch (e.status) {
    case StandbyStatus.WAITING: return e.position > 0 ? `number ${e.position} in line` : "in line";
    case StandbyStatus.OFFERED: return "seats offered to you";
    case StandbyStatus.BOOKED: return "booked";
    case StandbyStatus.LEFT: return "you left the line";
    case StandbyStatus.CLOSED: return "the line has closed";
    case StandbyStatus.MISSED: return "the offer ran out";
    default: return "unknown";
  }
}

export function Standby(props: { id: string }) {
  const [entry, setEntry] = useState<StandbyEntry | null>(null);
  const [err, setErr] = useState("");
  useEffect(() => follow({
    open: (signal) => standby.watchStandby({ entryId: props.id }, { signal }),
    onMessage: (m) => m.entry && setEntry(m.entry),
    onGone: () => setErr("We could not find this standby entry."),
  }), [props.id]);
  if (err) return <Page title="Standby"><Alert>{err}</Alert></Page>;
  if (!entry) return <Page title="Standby"><Loading what="your place in line" /></Page>;
  const leave = async () => {
    try {
      await standby.leaveStandby({ entryId: entry.id });
      navigate("/bookings");
    } catch (e) {
      setErr(message(e));
    }
  };
  return (
    <Page title="Standby">
      <p class="status-line" role="status">
        {entry.seatCount} seat{entry.seatCount === 1 ? "" : "s"}{entry.together ? " together" : ""}: <strong>{statusText(entry)}</strong>
      </p>
      {entry.status === StandbyStatus.WAITING && (
        <>
          <p>Keep this page open or watch your notifications: when seats free up and it is your turn, an offer appears here.</p>
          <p><a href={`/showtime/${encodeURIComponent(entry.showtimeId)}`}>See the seat map</a></p>
          <button type="button" class="secondary" onClick={leave}>Leave the line</button>
        </>
      )}
      {entry.status === StandbyStatus.OFFERED && entry.offer && <Offer entry={entry} />}
    </Page>
  );
}

function Offer(props: { entry: StandbyEntry }) {
  const o = props.entry.offer!;
  const [card, setCard] = useState("");
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const [key] = useState(idempotencyKey);
  const accept = async (e: Event) => {
    e.preventDefault();
    setErr("");
    const t = tokenFor(card);
    if ("error" in t) {
      setErr(t.error);
      return;
    }
    setBusy(true);
    try {
      const r = await standby.acceptOffer({ offerId: o.id, paymentToken: t.token, idempotencyKey: key });
      navigate(`/booking/${encodeURIComponent(r.booking!.id)}`);
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  };
  const decline = async () => {
    setBusy(true);
    try {
      await standby.declineOffer({ offerId: o.id });
    } catch (e) {
      setErr(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="offer" aria-labelledby="offer">
      <h2 id="offer">Seats for you: {o.seatIds.join(", ")}</h2>
      <Countdown deadline={date(o.expiresAt)} label="Offer open for" />
      <p>They are held for you until the time runs out; then they go to the next person in line.</p>
      <form onSubmit={accept}>
        <CardField id="offer-card" value={card} onInput={setCard} />
        {err && <Alert>{err}</Alert>}
        <div class="actions">
          <button class="primary" disabled={busy}>Accept and pay</button>
          <button type="button" class="secondary" disabled={busy} onClick={decline}>Decline</button>
        </div>
      </form>
    </section>
  );
}
