import { QuarantineReason } from './constants.ts';
import { extensionOf } from './fileTypes.ts';
import type { PolicyVerdict } from './policy.ts';
import { type PolicyRule, typeMatches } from './policyDocument.ts';
import type { ObjectRef, ObjectStore } from './ports.ts';
import {
  EOCD_SEARCH_BYTES,
  locateZipDirectory,
  parseZipDirectory,
  type ZipEntry,
  ZipFormatError,
} from './zipDirectory.ts';

/**
 * A central directory larger than this is not read (ARCHIVE_UNREADABLE): the second ranged GET stays
 * bounded. 4 MiB holds the default 10,000 entries with names of up to ~370 bytes.
 */
export const MAX_DIRECTORY_READ_BYTES = 4 * 1024 * 1024;

/** Entries smaller than this never count as a bomb: a 10 KB file of zeros hurts nobody. */
export const BOMB_MIN_UNCOMPRESSED_BYTES = 1024 * 1024;

/** What the inspection found, and what it cost. */
export interface ArchiveInspection {
  readonly verdict: PolicyVerdict;
  /** Entries listed by the central directory (absent when it could not be read). */
  readonly entryCount?: number;
  /** Bytes the extra ranged GETs read (0 when the first read held the whole file). */
  readonly bytesRead: number;
  /** Extra GET requests made (0, 1, or 2 when the directory is larger than the suffix read). */
  readonly requests: number;
}

/** Entry names are hostile: quoted (control characters escaped) and cut to 120 characters in details. */
const quoted = (name: string): string => JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name);

const reject = (reason: QuarantineReason, detail: string): PolicyVerdict => ({
  accepted: false,
  reason,
  detail,
});

/** An entry name that escapes the folder it is extracted to: `..` segments, absolute or drive paths. */
export const isTraversal = (name: string): boolean => {
  const path = name.replace(/\\/g, '/');
  return path.startsWith('/') || /^[a-z]:/i.test(path) || path.split('/').includes('..');
};

/** Judge the entries against the rule, most dangerous finding first. */
export const judgeEntries = (
  entries: readonly ZipEntry[],
  archiveSize: number,
  rule: PolicyRule,
): PolicyVerdict => {
  const traversal = entries.find((e) => isTraversal(e.name));
  if (traversal)
    return reject(
      QuarantineReason.ARCHIVE_PATH_TRAVERSAL,
      `entry ${quoted(traversal.name)} escapes the extraction folder`,
    );
  const blockedPatterns = rule.block.filter((p) => p.kind === 'ext');
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const ext = extensionOf(entry.name);
    if (ext !== undefined && blockedPatterns.some((p) => typeMatches(p, { ext })))
      return reject(
        QuarantineReason.ARCHIVE_BLOCKED_ENTRY,
        `entry ${quoted(entry.name)} has the blocked type ${ext}`,
      );
  }
  if (rule.archives.encryptedEntries === 'quarantine') {
    const encrypted = entries.find((e) => e.encrypted);
    if (encrypted)
      return reject(QuarantineReason.ARCHIVE_ENCRYPTED, `entry ${quoted(encrypted.name)} is encrypted`);
  }
  const maxRatio = rule.archives.maxCompressionRatio;
  for (const entry of entries) {
    if (entry.uncompressedSize < BOMB_MIN_UNCOMPRESSED_BYTES) continue;
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (ratio > maxRatio)
      return reject(
        QuarantineReason.ARCHIVE_BOMB,
        `entry ${quoted(entry.name)} expands ${Math.round(ratio)}× (${entry.compressedSize} → ${entry.uncompressedSize} bytes; limit ${maxRatio}×)`,
      );
  }
  // Many entries each just under the limit add up: the whole archive is held to the same ratio.
  const total = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  if (total >= BOMB_MIN_UNCOMPRESSED_BYTES && total / Math.max(1, archiveSize) > maxRatio)
    return reject(
      QuarantineReason.ARCHIVE_BOMB,
      `the archive expands ${Math.round(total / Math.max(1, archiveSize))}× (${archiveSize} → ${total} bytes; limit ${maxRatio}×)`,
    );
  return { accepted: true };
};

/**
 * Inspect a zip-family archive without downloading it: the last 65,557 bytes (end record + longest
 * comment) in ONE suffix GET — none when the first read already held the whole file — and, only when the
 * central directory starts before those bytes, ONE more GET for the rest of it (at most
 * {@link MAX_DIRECTORY_READ_BYTES}). Then the entries are judged (see {@link judgeEntries}).
 */
export const inspectArchive = async (args: {
  readonly objectStore: ObjectStore;
  readonly ref: ObjectRef & { readonly ifMatch?: string };
  readonly size: number;
  /** The bytes the first read got (from offset 0). */
  readonly prefix: Uint8Array;
  readonly rule: PolicyRule;
}): Promise<ArchiveInspection> => {
  const { objectStore, ref, size, prefix, rule } = args;
  let bytesRead = 0;
  let requests = 0;
  let tail: Uint8Array;
  if (prefix.length >= size) tail = prefix.subarray(0, size);
  else {
    const suffix = await objectStore.readSuffix({ ...ref, maxBytes: Math.min(EOCD_SEARCH_BYTES, size) });
    requests += 1;
    bytesRead += suffix.bytes.length;
    tail = suffix.bytes;
  }
  const tailStart = size - tail.length;
  try {
    const location = locateZipDirectory(tail, size);
    const limit = rule.archives.maxEntries;
    if (location.entryCount > limit)
      return {
        verdict: reject(
          QuarantineReason.ARCHIVE_TOO_MANY_ENTRIES,
          `${location.entryCount} entries (limit ${limit})`,
        ),
        entryCount: location.entryCount,
        bytesRead,
        requests,
      };
    let directory: Uint8Array;
    if (location.directoryStart >= tailStart) {
      const from = location.directoryStart - tailStart;
      directory = tail.subarray(from, from + location.directorySize);
    } else if (location.directorySize > MAX_DIRECTORY_READ_BYTES) {
      throw new ZipFormatError(
        `the central directory is ${location.directorySize} bytes, more than the ${MAX_DIRECTORY_READ_BYTES}-byte read bound`,
      );
    } else {
      const head = await objectStore.readRange({
        ...ref,
        start: location.directoryStart,
        end: tailStart - 1,
      });
      requests += 1;
      bytesRead += head.bytes.length;
      directory = new Uint8Array(head.bytes.length + tail.length);
      directory.set(head.bytes, 0);
      directory.set(tail, head.bytes.length);
      directory = directory.subarray(0, location.directorySize);
    }
    const entries = parseZipDirectory(directory, location.entryCount);
    return { verdict: judgeEntries(entries, size, rule), entryCount: entries.length, bytesRead, requests };
  } catch (error) {
    if (!(error instanceof ZipFormatError)) throw error;
    return { verdict: reject(QuarantineReason.ARCHIVE_UNREADABLE, error.message), bytesRead, requests };
  }
};
