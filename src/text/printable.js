// Plain JavaScript with a declaration file beside it (printable.d.ts), not TypeScript: this one file is
// imported by the CLI, the local runtime's logs and the dashboard server, AND served as-is to the
// dashboard page (`/printable.js`), so terminal, logs and browser escape exactly the same characters.
// Node 20 cannot strip types and the page has no build step, hence JS.

/**
 * True for a code point that must never reach a terminal, a log line or the page as itself:
 * - C0 controls U+0000–U+001F (ESC starts `ESC [2J` clear-screen, `ESC ]0;…BEL` window titles, OSC 8
 *   hidden links; CR/LF forge whole lines), DEL U+007F and C1 controls U+0080–U+009F (U+009B is a
 *   one-byte CSI that many terminals honour);
 * - bidi controls that reorder what follows (the "Trojan Source" characters, CVE-2021-42574):
 *   LRE/RLE/PDF/LRO/RLO U+202A–U+202E, LRI/RLI/FSI/PDI U+2066–U+2069, LRM/RLM U+200E/U+200F and the
 *   Arabic letter mark U+061C — `invoice\u202Efdp.exe` would otherwise show as `invoiceexe.pdf`;
 * - LINE/PARAGRAPH SEPARATOR U+2028/U+2029, which some viewers and log tools break lines on, so a key
 *   could forge a line there just as with LF.
 * @param {number} code
 * @returns {boolean}
 */
const isUnsafe = (code) =>
  code <= 0x1f ||
  (code >= 0x7f && code <= 0x9f) ||
  code === 0x061c ||
  code === 0x200e ||
  code === 0x200f ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069) ||
  code === 0x2028 ||
  code === 0x2029;

/**
 * `text` with every control and bidi-control character shown as a visible `\uXXXX` escape (lower-case
 * hex, four digits: every character escaped is in the BMP). That form was chosen because it is the one
 * JSON and JavaScript use — `--json` output shows the same escapes — and because a shell reads it back:
 * `silent-scalper show $'invoice\u202efdp.exe'` finds the key the table printed. Other characters,
 * backslashes included, are left as they are (Windows-style keys stay readable); `--json` is the
 * byte-exact form.
 *
 * With `keepLineBreaks`, LF stays a line break: for whole blocks of output whose hostile values were
 * already escaped one by one (the last wall before the terminal, see src/cli/run.ts).
 *
 * @param {string} text
 * @param {{ readonly keepLineBreaks?: boolean }} [options]
 * @returns {string}
 */
export const printable = (text, options) => {
  const keepLineBreaks = options?.keepLineBreaks === true;
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isUnsafe(code) || (keepLineBreaks && code === 0x0a)) continue;
    out += `${text.slice(start, i)}\\u${code.toString(16).padStart(4, '0')}`;
    start = i + 1;
  }
  return start === 0 ? text : out + text.slice(start);
};
