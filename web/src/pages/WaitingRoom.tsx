// The waiting room of a showtime on sale: the person's place, streamed by SeatService/WaitForAdmission
// (their position and an estimate once the sale opens), until their turn comes and the pass arrives.
import { useEffect, useState } from "preact/hooks";
import type { OnSale, WaitingPlace } from "../../../api/marquee/v1/onsale_pb.js";
import { WaitingStatus } from "../../../api/marquee/v1/onsale_pb.js";
import { message, seats as seatApi } from "../lib/api.js";
import { follow } from "../lib/follow.js";
import { date, when } from "../lib/format.js";
import { keepPass, wait } from "../lib/passes.js";
import { Alert } from "../lib/ui.js";

/** WaitingRoom follows the person's place and calls onAdmitted with the pass when it is their turn. */
export function WaitingRoom(props: { showtimeId: string; onSale: OnSale; onAdmitted: (pass: string) => void }) {
  const [place, setPlace] = useState<WaitingPlace | null>(null);
  const [err, setErr] = useState("");
  const [left, setLeft] = useState(false);
  useEffect(() => {
    if (left) return;
    const stop = follow({
      open: (signal) => seatApi.waitForAdmission({ showtimeId: props.showtimeId }, { signal }),
      onMessage: (m) => {
        const p = m.place;
        if (!p) return;
        setPlace(p);
        if (p.status === WaitingStatus.ADMITTED && p.admissionPass) {
          keepPass(props.showtimeId, { pass: p.admissionPass, expiresAt: date(p.passExpiresAt).getTime() });
          stop();
          props.onAdmitted(p.admissionPass);
        }
      },
      onGone: () => setErr("This waiting room is closed. Reload the page to see the seats."),
    });
    return stop;
  }, [props.showtimeId, left]);
  const leave = async () => {
    try {
      await seatApi.leaveWaitingRoom({ showtimeId: props.showtimeId });
      setLeft(true);
    } catch (e) {
      setErr(message(e));
    }
  };
  const opens = props.onSale.opensAt;
  const open = date(opens).getTime() <= Date.now();
  const minutes = Math.round(Number(props.onSale.passTtl?.seconds ?? 300n) / 60);
  return (
    <section class="waiting-room" aria-labelledby="waiting-room">
      <h2 id="waiting-room">You're in the waiting room</h2>
      {err && <Alert>{err}</Alert>}
      {left ? (
        <p>You left the waiting room. <button type="button" class="secondary" onClick={() => setLeft(false)}>Join again</button> (at the back of the line).</p>
      ) : (
        <>
          <div role="status" aria-live="polite" class="room-place">
            {!place ? <p>Taking your place…</p> : !open || place.position === 0 ? (
              <p>The sale opens {when(opens)}. Everyone here before then gets a place in line drawn at random when it opens, so arriving early gives no edge and you don't need to refresh.</p>
            ) : (
              <>
                <p class="position">You are number <strong>{place.position}</strong> in line.</p>
                <p>{place.estimatedWait ? `Your turn should come in ${wait(Number(place.estimatedWait.seconds))}.` : "We'll estimate your wait as people ahead of you are let in."}</p>
              </>
            )}
            {place && <p class="meta">{place.shopping} of {place.capacity} people are choosing seats now.</p>}
          </div>
          <p>What happens next: when it's your turn, this page shows the seat map and you have {minutes} minute{minutes === 1 ? "" : "s"} to hold seats, then the usual time to pay. Keep this page open; if you close it you keep your place for now.</p>
          <button type="button" class="secondary" onClick={leave}>Leave the waiting room</button>
        </>
      )}
    </section>
  );
}
