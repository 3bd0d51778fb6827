/**
 * Reading a zip's central directory from bytes at the END of the file (APPNOTE.TXT 4.3.16 end of central
 * directory record, 4.3.14/4.3.15 Zip64 end record and locator, 4.3.12 central directory header).
 * Pure: the bytes come from the caller's ranged GETs.
 */
import { PermanentError } from './errors.ts';

/** One entry of the central directory. */
export interface ZipEntry {
  /** The name as stored (UTF-8 when flag bit 11 is set, else read byte-per-character). */
  readonly name: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** General-purpose flag bit 0. */
  readonly encrypted: boolean;
}

/** Where the central directory is, from the end record(s). */
export interface ZipDirectoryLocation {
  /** Total entries, as the end record says. */
  readonly entryCount: number;
  readonly directorySize: number;
  /**
   * File offset where the directory starts: just before the (Zip64) end record. Not the recorded offset,
   * which is wrong for files with a stub in front (self-extracting archives).
   */
  readonly directoryStart: number;
  readonly zip64: boolean;
}

/** Bytes of an end-of-central-directory record without its comment. */
export const EOCD_BYTES = 22;
/** Longest zip comment. */
export const MAX_COMMENT_BYTES = 0xffff;
/** A suffix read of this many bytes always holds the end record and its comment: `Range: bytes=-65557`. */
export const EOCD_SEARCH_BYTES = EOCD_BYTES + MAX_COMMENT_BYTES;

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const CENTRAL_HEADER_BYTES = 46;
const ZIP64_LOCATOR_BYTES = 20;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8 = 0x0800;

/** A zip that cannot be read; the message says why. Permanent: reading it again gives the same bytes. */
export class ZipFormatError extends PermanentError {}

const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const u64 = (view: DataView, at: number): number => {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('a Zip64 field is out of range');
  return Number(value);
};

/**
 * Find the end record in `tail` (the last bytes of a file of `fileSize` bytes) and where the directory is.
 * Throws {@link ZipFormatError} when there is no end record, the archive spans disks, or a Zip64 end
 * record lies outside `tail`.
 */
export const locateZipDirectory = (tail: Uint8Array, fileSize: number): ZipDirectoryLocation => {
  const view = viewOf(tail);
  const tailStart = fileSize - tail.length;
  // Search backwards: the record closest to the end whose comment fits is the real one (a comment may
  // itself contain the signature bytes, but then it would not end exactly at the end of the file).
  let at = -1;
  for (let i = tail.length - EOCD_BYTES; i >= 0 && i >= tail.length - EOCD_SEARCH_BYTES; i -= 1) {
    if (view.getUint32(i, true) !== EOCD_SIGNATURE) continue;
    if (i + EOCD_BYTES + view.getUint16(i + 20, true) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipFormatError('no end-of-central-directory record in the last 64 KiB');
  const disk = view.getUint16(at + 4, true);
  const directoryDisk = view.getUint16(at + 6, true);
  if (disk !== 0 || directoryDisk !== 0) throw new ZipFormatError('the archive spans several disks');
  let entryCount = view.getUint16(at + 10, true);
  let directorySize = view.getUint32(at + 12, true);
  let recordStart = at;
  const directoryOffset = view.getUint32(at + 16, true);
  const zip64 = entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff;
  if (zip64) {
    const locator = at - ZIP64_LOCATOR_BYTES;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE)
      throw new ZipFormatError('Zip64 fields without a Zip64 locator');
    const record = u64(view, locator + 8) - tailStart;
    if (record < 0 || record + 56 > locator || view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE)
      throw new ZipFormatError('the Zip64 end record is not within the bytes read');
    entryCount = u64(view, record + 32);
    directorySize = u64(view, record + 40);
    recordStart = record;
  }
  const directoryStart = tailStart + recordStart - directorySize;
  if (directoryStart < 0) throw new ZipFormatError('the central directory would start before the file');
  return { entryCount, directorySize, directoryStart, zip64 };
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/**
 * Parse `expected` central directory headers from `directory`. Sizes stored as 0xFFFFFFFF are read from
 * the Zip64 extra field. Throws {@link ZipFormatError} on a bad signature or a header cut short.
 */
export const parseZipDirectory = (directory: Uint8Array, expected: number): ZipEntry[] => {
  const view = viewOf(directory);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let n = 0; n < expected; n += 1) {
    if (at + CENTRAL_HEADER_BYTES > directory.length)
      throw new ZipFormatError(`the central directory ends after ${n} of ${expected} entries`);
    if (view.getUint32(at, true) !== CENTRAL_HEADER_SIGNATURE)
      throw new ZipFormatError(`entry ${n + 1} of the central directory has no header signature`);
    const flags = view.getUint16(at + 8, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const nameStart = at + CENTRAL_HEADER_BYTES;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > directory.length) throw new ZipFormatError(`entry ${n + 1} is cut short`);
    const nameBytes = directory.subarray(nameStart, extraStart);
    const name = (flags & FLAG_UTF8 ? utf8 : latin1).decode(nameBytes);
    if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff) {
      // Zip64 extra: the 8-byte values present are, in order, uncompressed then compressed size.
      for (let e = extraStart; e + 4 <= extraStart + extraLength; ) {
        const id = view.getUint16(e, true);
        const size = view.getUint16(e + 2, true);
        if (id === ZIP64_EXTRA_ID) {
          let field = e + 4;
          if (uncompressedSize === 0xffffffff && field + 8 <= e + 4 + size) {
            uncompressedSize = u64(view, field);
            field += 8;
          }
          if (compressedSize === 0xffffffff && field + 8 <= e + 4 + size) compressedSize = u64(view, field);
          break;
        }
        e += 4 + size;
      }
    }
    entries.push({ name, compressedSize, uncompressedSize, encrypted: (flags & FLAG_ENCRYPTED) !== 0 });
    at = next;
  }
  return entries;
};
