// Checkout of a hold: the countdown, the quote with its rules, discounts and fees, a promo code, a gift card,
// store credit and a card. A decline keeps the hold; an expired hold says so and sends the person back.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Money } from "../../../api/marquee/v1/common_pb.js";
import type { Quote } from "../../../api/marquee/v1/pricing_pb.js";
import { booking, code, idempotencyKey, message, pricing, seats, wallet } from "../lib/api.js";
import { tokenFor } from "../lib/cards.js";
import { Countdown } from "../lib/Timer.js";
import { money, when } from "../lib/format.js";
import { forget, recall } from "../lib/holds.js";
import { navigate } from "../lib/router.js";
import { Alert, CardField, Loading, Page } from "../lib/ui.js";
import { typeName } from "./Seats.js";
import { Code } from "@connectrpc/connect";

export function Checkout(props: { holdId: string }) {
  const h = recall(props.holdId);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [promo, setPromo] = useState("");
  const [promoApplied, setPromoApplied] = useState("");
  const [promoErr, setPromoErr] = useState("");
  const [gift, setGift] = useState("");
  const [giftBalance, setGiftBalance] = useState<Money | null>(null);
  const [giftErr, setGiftErr] = useState("");
  const [credit, setCredit] = useState<Money | null>(null);
  const [useCredit, setUseCredit] = useState(false);
  const [card, setCard] = useState("");
  const [err, setErr] = useState("");
  const [expired, setExpired] = useState(false);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new Map<string, string>());

  const lost = (e: unknown) => code(e) === Code.NotFound || /expired/i.test(message(e));
  useEffect(() => {
    pricing.quote({ holdId: props.holdId }).then((r) => setQuote(r.quote ?? null), (e) => (lost(e) ? setExpired(true) : setErr(message(e))));
    wallet.getWallet({}).then((w) => setCredit(w.storeCredit.find((m) => m.amountMinor > 0n) ?? null), () => {});
  }, [props.holdId]);

  if (!h) {
    return (
      <Page title="Checkout">
        <Alert>We no longer have this hold on this device. <a href="/">Find your show again</a> and pick seats.</Alert>
      </Page>
    );
  }
  const back = `/showtime/${encodeURIComponent(h.showtimeId)}`;
  if (expired) {
    return (
      <Page title="Your hold ran out">
        <Alert>Your seats were held for a few minutes and the time ran out, so they went back on sale. You have not been charged.</Alert>
        <p><a href={back} class="button primary">Pick seats again</a></p>
      </Page>
    );
  }
  const applyPromo = async (e: Event) => {
    e.preventDefault();
    setPromoErr("");
    const c = promo.trim().toUpperCase();
    try {
      setQuote((await pricing.quote({ holdId: props.holdId, promoCode: c })).quote ?? null);
      setPromoApplied(c);
    } catch (e) {
      if (lost(e)) setExpired(true);
      else setPromoErr(message(e));
    }
  };
  const checkGift = async (e: Event) => {
    e.preventDefault();
    setGiftErr("");
    setGiftBalance(null);
    try {
      setGiftBalance((await wallet.checkGiftCard({ code: gift.trim().toUpperCase() })).balance ?? null);
    } catch (e) {
      setGiftErr(message(e));
    }
  };
  const pay = async (e: Event) => {
    e.preventDefault();
    setErr("");
    let paymentToken = "";
    if (card.trim()) {
      const t = tokenFor(card);
      if ("error" in t) {
        setErr(t.error);
        return;
      }
      paymentToken = t.token;
    }
    const req = {
      holdId: props.holdId, paymentToken, promoCode: promoApplied, useStoreCredit: useCredit,
      giftCardCode: giftBalance ? gift.trim().toUpperCase() : "",
    };
    // The same request keeps its key, so a retry after a lost answer cannot pay twice.
    const sig = JSON.stringify(req);
    const key = keys.current.get(sig) ?? idempotencyKey();
    keys.current.set(sig, key);
    setBusy(true);
    try {
      const r = await booking.createBooking({ ...req, idempotencyKey: key });
      forget(props.holdId);
      navigate(`/booking/${encodeURIComponent(r.booking!.id)}`, true);
    } catch (e) {
      if (lost(e)) setExpired(true);
      else if (code(e) === Code.FailedPrecondition && /card|declin|fund|payment/i.test(message(e))) {
        // The provider's reason ("card declined", "insufficient funds") without the words around it.
        const why = message(e).replace(/^(payment failed:\s*)?(payment declined:\s*)?/i, "");
        setErr(`Payment failed: ${why}. Your seats are still held; try another card.`);
      } else setErr(message(e));
    } finally {
      setBusy(false);
    }
  };
  const release = async () => {
    try {
      await seats.releaseHold({ holdId: props.holdId });
    } catch {
      // Released or expired already: either way the seats are free.
    }
    forget(props.holdId);
    navigate(back, true);
  };
  return (
    <Page title="Checkout" wide>
      <p class="meta">{h.title} · {h.theatre} · {when(new Date(h.startsAt))}</p>
      <Countdown deadline={new Date(h.expiresAt)} label="Seats held for" onExpire={() => setExpired(true)} />
      <p class="hint">If the time runs out, the seats go back on sale and you are not charged.</p>
      <div class="checkout">
        <section aria-labelledby="order">
          <h2 id="order">Your order</h2>
          {!quote ? <Loading what="the price" /> : <QuoteTable quote={quote} />}
        </section>
        <section aria-labelledby="payment">
          <h2 id="payment">Pay</h2>
          <form onSubmit={applyPromo} class="inline">
            <label for="promo">Promo code</label>
            <input id="promo" value={promo} autocomplete="off" onInput={(e) => setPromo((e.target as HTMLInputElement).value)} />
            <button class="secondary" disabled={!promo.trim()}>Apply</button>
          </form>
          {promoErr && <Alert>{promoErr}</Alert>}
          {promoApplied && !promoErr && <Alert kind="ok">Code {promoApplied} applied.</Alert>}
          <form onSubmit={checkGift} class="inline">
            <label for="gift">Gift card</label>
            <input id="gift" value={gift} autocomplete="off" onInput={(e) => setGift((e.target as HTMLInputElement).value)} />
            <button class="secondary" disabled={!gift.trim()}>Use</button>
          </form>
          {giftErr && <Alert>{giftErr}</Alert>}
          {giftBalance && <Alert kind="ok">Gift card balance {money(giftBalance)}; it pays first.</Alert>}
          {credit && (
            <label class="check">
              <input type="checkbox" checked={useCredit} onChange={(e) => setUseCredit((e.target as HTMLInputElement).checked)} />
              Use my store credit ({money(credit)})
            </label>
          )}
          <form onSubmit={pay}>
            <CardField id="card" value={card} onInput={setCard} declines />
            {err && <Alert>{err}</Alert>}
            <button class="primary" disabled={busy}>{busy ? "Paying…" : quote ? `Pay ${money(quote.total)}` : "Pay"}</button>
          </form>
          <button type="button" class="link" onClick={release}>Cancel and release these seats</button>
        </section>
      </div>
    </Page>
  );
}

function QuoteTable(props: { quote: Quote }) {
  const q = props.quote;
  return (
    <table class="quote">
      <caption class="visually-hidden">Price of your seats</caption>
      <thead><tr><th scope="col">Item</th><th scope="col" class="num">Amount</th></tr></thead>
      <tbody>
        {q.lineItems.map((li) => (
          <tr key={li.seatId}>
            <th scope="row">
              Seat {li.seatId} <span class="meta">({typeName(li.seatType)}, {money(li.base)})</span>
              {li.adjustments.map((a) => <div class="meta" key={a.ruleId}>{a.description} {money(a.amount)}</div>)}
            </th>
            <td class="num">{money(li.amount)}</td>
          </tr>
        ))}
        <tr><th scope="row">Subtotal</th><td class="num">{money(q.subtotal)}</td></tr>
        {q.discounts.map((d) => <tr key={d.code}><th scope="row">{d.description || `Code ${d.code}`}</th><td class="num">−{money({ ...d.amount!, amountMinor: d.amount!.amountMinor < 0n ? -d.amount!.amountMinor : d.amount!.amountMinor })}</td></tr>)}
        {q.fees.map((f) => <tr key={f.description}><th scope="row">{f.description}</th><td class="num">{money(f.amount)}</td></tr>)}
      </tbody>
      <tfoot><tr><th scope="row">Total</th><td class="num"><strong>{money(q.total)}</strong></td></tr></tfoot>
    </table>
  );
}
