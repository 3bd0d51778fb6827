/**
 * What a compound file (OLE/CFB, `D0 CF 11 E0 A1 B1 1A E1`) is, from the CLSID of its root storage.
 * `file-type` calls every compound file `cfb`; an MSI installer and a Word 97–2003 document differ only
 * there ([MS-CFB] 2.2 header, 2.6 directory entry).
 */

/** Root storage CLSIDs this project tells apart (upper case, braced). */
export const CFB_CLASSES: Readonly<Record<string, { readonly mime: string; readonly ext: string }>> = {
  // Windows Installer package (.msi).
  '{000C1084-0000-0000-C000-000000000046}': { mime: 'application/x-msi', ext: 'msi' },
  // Word 97–2003 document (.doc).
  '{00020906-0000-0000-C000-000000000046}': { mime: 'application/msword', ext: 'doc' },
};

/** Header offset of the sector shift (sector size = 2^shift: 9 → 512 bytes, 12 → 4,096). */
const SECTOR_SHIFT_OFFSET = 0x1e;
/** Header offset of the first directory sector's number. */
const FIRST_DIRECTORY_SECTOR_OFFSET = 0x30;
/** Offset of the CLSID inside a 128-byte directory entry. */
const ENTRY_CLSID_OFFSET = 0x50;
/** Offset of the object type inside a directory entry (5 = root storage). */
const ENTRY_TYPE_OFFSET = 0x42;
const ROOT_STORAGE = 5;

const hex = (bytes: Uint8Array, from: number, to: number, reverse: boolean): string => {
  const part = Array.from(bytes.subarray(from, to));
  if (reverse) part.reverse();
  return part.map((b) => b.toString(16).padStart(2, '0')).join('');
};

/**
 * The root storage CLSID of a compound file from its first bytes, as `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`;
 * `undefined` when the root entry lies beyond the bytes read (then the file stays `cfb`: docs/policy.md)
 * or the header is not one.
 */
export const cfbRootClsid = (bytes: Uint8Array): string | undefined => {
  if (bytes.length < 0x200) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shift = view.getUint16(SECTOR_SHIFT_OFFSET, true);
  if (shift !== 9 && shift !== 12) return undefined;
  const sector = view.getUint32(FIRST_DIRECTORY_SECTOR_OFFSET, true);
  // Sector n starts after the header sector: (n + 1) × sector size.
  const entry = (sector + 1) * 2 ** shift;
  if (!Number.isSafeInteger(entry) || entry + 0x80 > bytes.length) return undefined;
  if (bytes[entry + ENTRY_TYPE_OFFSET] !== ROOT_STORAGE) return undefined;
  const at = entry + ENTRY_CLSID_OFFSET;
  // A GUID's first three fields are little-endian, the last eight bytes are in order.
  const guid = [
    hex(bytes, at, at + 4, true),
    hex(bytes, at + 4, at + 6, true),
    hex(bytes, at + 6, at + 8, true),
    hex(bytes, at + 8, at + 10, false),
    hex(bytes, at + 10, at + 16, false),
  ].join('-');
  return `{${guid.toUpperCase()}}`;
};

/** The MIME type and extension of a compound file whose root CLSID is known; `undefined` otherwise. */
export const cfbClass = (bytes: Uint8Array): { mime: string; ext: string } | undefined => {
  const clsid = cfbRootClsid(bytes);
  return clsid === undefined ? undefined : CFB_CLASSES[clsid];
};
