import { fileTypeFromBuffer } from 'file-type';
import { cfbClass } from './cfbClass.ts';
import { textTypeFor } from './fileTypes.ts';
import { scriptKindOf } from './scriptKind.ts';

/** What the first bytes of a file say it is. */
export interface SniffResult {
  /** MIME type; absent when unknown (binary that `file-type` does not know, or no bytes). */
  readonly mime?: string;
  /** Extension of the sniffed type (`file-type`'s names, or the text type from the extension table). */
  readonly ext?: string;
  /** Set when `file-type` does not know the bytes: whether they are text or binary. */
  readonly contentClass?: 'text' | 'binary';
}

/** Share of control characters (other than tab, line breaks, form feed, escape) a text may contain. */
const MAX_CONTROL_RATIO = 0.01;

const isAllowedControl = (code: number): boolean =>
  code === 0x09 || code === 0x0a || code === 0x0b || code === 0x0c || code === 0x0d || code === 0x1b;

/**
 * True when the bytes look like text: valid UTF-8 (a multi-byte character cut at the end of the prefix is
 * fine), no NUL, and few control characters. UTF-16 with a byte-order mark counts as text too.
 */
export const looksLikeText = (bytes: Uint8Array): boolean => {
  if (bytes.length === 0) return false;
  if (
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  )
    return true;
  let decoded: string;
  try {
    // stream: true keeps an incomplete trailing sequence pending instead of failing: the prefix is a cut.
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return false;
  }
  let controls = 0;
  for (let i = 0; i < decoded.length; i += 1) {
    const code = decoded.charCodeAt(i);
    if (code === 0) return false;
    if ((code < 0x20 && !isAllowedControl(code)) || code === 0x7f) controls += 1;
  }
  return controls <= Math.max(1, decoded.length * MAX_CONTROL_RATIO);
};

/**
 * Sniff the type of a file from its first bytes with `file-type`; a compound file (`cfb`) is refined by
 * its root CLSID (msi, doc); for bytes it does not know, tell text from binary, and text that is a
 * script (shebang, batch, PowerShell, VBScript, HTA: scriptKind.ts) from other text (recorded as the text
 * type the key's extension names — csv, json… — else text/plain).
 */
export const sniff = async (bytes: Uint8Array, key: string): Promise<SniffResult> => {
  if (bytes.length === 0) return {};
  const detected = await fileTypeFromBuffer(bytes);
  // A compound file is an MSI, a Word document… by its root CLSID (when it lies within the bytes read).
  if (detected?.ext === 'cfb') return cfbClass(bytes) ?? { mime: detected.mime, ext: detected.ext };
  // An HTA may open with an XML declaration, which file-type reports as xml.
  if (detected && detected.ext !== 'xml') return { mime: detected.mime, ext: detected.ext };
  if (looksLikeText(bytes)) {
    const script = scriptKindOf(new TextDecoder('utf-8').decode(bytes));
    if (script) return { mime: script.mime, ext: script.ext, contentClass: 'text' };
    if (detected) return { mime: detected.mime, ext: detected.ext };
    const type = textTypeFor(key);
    return { mime: type.mime, ext: type.ext, contentClass: 'text' };
  }
  if (detected) return { mime: detected.mime, ext: detected.ext };
  return { contentClass: 'binary' };
};
