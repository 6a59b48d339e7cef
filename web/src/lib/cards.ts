// Test-mode cards: the page takes a card number and sends the matching Stripe test token, which is all the
// sandbox and Stripe's test mode accept. Real card entry (Stripe Elements) replaces this in live mode.

const tokens: Record<string, string> = {
  "4242424242424242": "tok_visa",
  "4000056655665556": "tok_visa_debit",
  "5555555555554444": "tok_mastercard",
  "378282246310005": "tok_amex",
  "4000000000000002": "tok_chargeDeclined",
  "4000000000009995": "tok_chargeDeclinedInsufficientFunds",
  "4000000000000069": "tok_chargeDeclinedExpiredCard",
};

/** digits keeps only the digits of what was typed. */
export function digits(s: string): string {
  return s.replace(/\D/g, "");
}

/** luhn reports whether a card number passes the Luhn check. */
export function luhn(number: string): boolean {
  const d = digits(number);
  if (d.length < 12 || d.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

/** tokenFor returns the test token of a test card number, or an error sentence. */
export function tokenFor(number: string): { token: string } | { error: string } {
  const d = digits(number);
  if (!d) return { error: "Enter a card number." };
  if (!luhn(d)) return { error: "That card number is not valid. Check the digits." };
  const token = tokens[d];
  if (!token) return { error: "This is test mode: use a test card such as 4242 4242 4242 4242." };
  return { token };
}
