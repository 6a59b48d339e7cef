// The Connect clients of every service, on the page's own origin (the edge), with the signed-in user's token.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AccountService } from "../../../api/marquee/v1/account_pb.js";
import { BookingService } from "../../../api/marquee/v1/booking_pb.js";
import { CatalogService } from "../../../api/marquee/v1/catalog_pb.js";
import { PricingService } from "../../../api/marquee/v1/pricing_pb.js";
import { SearchService } from "../../../api/marquee/v1/search_pb.js";
import { SeatService } from "../../../api/marquee/v1/seat_pb.js";
import { StandbyService } from "../../../api/marquee/v1/standby_pb.js";
import { WalletService } from "../../../api/marquee/v1/wallet_pb.js";
import { auth } from "./auth.js";

const transport = createConnectTransport({
  baseUrl: typeof location === "undefined" ? "http://localhost" : location.origin,
  useBinaryFormat: true,
  interceptors: [auth],
});

export const account = createClient(AccountService, transport);
export const booking = createClient(BookingService, transport);
export const catalog = createClient(CatalogService, transport);
export const pricing = createClient(PricingService, transport);
export const search = createClient(SearchService, transport);
export const seats = createClient(SeatService, transport);
export const standby = createClient(StandbyService, transport);
export const wallet = createClient(WalletService, transport);

/** message turns any error from a call into a sentence for the page. */
export function message(err: unknown): string {
  const e = ConnectError.from(err);
  switch (e.code) {
    case Code.Unauthenticated:
      return "Please sign in again.";
    case Code.Unavailable:
      return "We can't reach Marquee right now. Check your connection and try again.";
    case Code.DeadlineExceeded:
      return "That took too long. Please try again.";
    case Code.Internal:
    case Code.Unknown:
      return "Something went wrong on our side. Please try again.";
  }
  return e.rawMessage || "Something went wrong. Please try again.";
}

/** code is the Connect code of err (Unknown for anything that is not a Connect error). */
export function code(err: unknown): Code {
  return ConnectError.from(err).code;
}

/** isAbort reports whether err only says the call was cancelled by the page. */
export function isAbort(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Canceled;
}

/** idempotencyKey is a fresh key for one attempt of a paid action. */
export function idempotencyKey(): string {
  return "web-" + crypto.randomUUID();
}
