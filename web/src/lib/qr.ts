// QR codes drawn in the page from the signed ticket payload: no image request, nothing leaves the page.
import qrcode from "qrcode-generator";

/** QR is a code's size in modules and an SVG path of its dark modules, with a 4-module quiet zone. */
export type QR = { size: number; path: string };

/** qr encodes payload with medium error correction. */
export function qr(payload: string): QR {
  const q = qrcode(0, "M");
  q.addData(payload, "Byte");
  q.make();
  const n = q.getModuleCount();
  const quiet = 4;
  let path = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (q.isDark(r, c)) path += `M${c + quiet} ${r + quiet}h1v1h-1z`;
  }
  return { size: n + 2 * quiet, path };
}
