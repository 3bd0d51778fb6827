import { strToU8, type Zippable, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../../src/adapters/s3ObjectStore.ts';
import { DEFAULT_BLOCKED_TYPES } from '../../../src/config/handlerConfig.ts';
import { QuarantineReason } from '../../../src/pipeline/constants.ts';
import { inspectArchive, MAX_DIRECTORY_READ_BYTES } from '../../../src/pipeline/inspectArchive.ts';
import { compilePolicy, type PolicyDocument, ruleFor } from '../../../src/pipeline/policyDocument.ts';
import { createFakeAws } from '../../helpers/fakeAws.ts';

const SNIFF_BYTES = 4100;
const policy = (document?: PolicyDocument) =>
  compilePolicy(document, { maxFileSizeBytes: 5 * 1024 ** 3, blockedTypes: DEFAULT_BLOCKED_TYPES });

/** Random bytes (incompressible), deterministic. */
const noise = (length: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};

/** Put the zip in a fake S3 and inspect it as the pipeline does: the first 4,100 bytes are already read. */
const inspect = async (zip: Uint8Array, document?: PolicyDocument, key = 'in/archive.zip') => {
  const aws = createFakeAws();
  aws.s3.put('b', key, zip);
  aws.s3.requests.clear();
  aws.s3.bytesServed = 0;
  const result = await inspectArchive({
    objectStore: createS3ObjectStore(aws.clients.s3),
    ref: { bucket: 'b', key },
    size: zip.length,
    prefix: zip.subarray(0, SNIFF_BYTES),
    rule: ruleFor(policy(document), key),
  });
  return { ...result, gets: aws.s3.count('GetObjectCommand'), served: aws.s3.bytesServed };
};

/** A zip of `padding` incompressible bytes plus the given entries, so the directory is not in the first read. */
const zipWith = (entries: Zippable, padding = 100_000) =>
  zipSync({ 'padding.bin': [noise(padding), { level: 0 }], ...entries });

describe('inspectArchive', () => {
  it('accepts a clean archive with ONE suffix GET of 65,557 bytes and records its entries', async () => {
    // Prepare
    const zip = zipWith({ 'report.csv': strToU8('a,b\n1,2\n'), 'docs/readme.txt': strToU8('hi') });
    // Act
    const result = await inspect(zip);
    // Assess
    expect(result.verdict).toEqual({ accepted: true });
    expect(result.entryCount).toBe(3);
    expect(result.gets).toBe(1);
    expect(result.bytesRead).toBe(65_557);
  });

  it('needs no GET when the first read held the whole archive', async () => {
    const result = await inspect(zipSync({ 'a.txt': strToU8('small') }));
    expect(result).toMatchObject({ verdict: { accepted: true }, entryCount: 1, gets: 0, bytesRead: 0 });
  });

  it('quarantines an archive holding an executable, naming the entry', async () => {
    const zip = zipWith({ 'tools/setup.exe': noise(2000, 7) });
    const result = await inspect(zip);
    expect(result.verdict).toEqual({
      accepted: false,
      reason: QuarantineReason.ARCHIVE_BLOCKED_ENTRY,
      detail: 'entry "tools/setup.exe" has the blocked type exe',
    });
    expect(result.entryCount).toBe(2);
  });

  it('quarantines an encrypted entry (general-purpose flag bit 0)', async () => {
    // Prepare: fflate does not encrypt, so set bit 0 in the local and central headers of the entry, as
    // an encrypting zip tool writes it (the policy only reads the flag, never the data).
    const zip = zipWith({ 'secret.pdf': strToU8('%PDF-1.4 not really') });
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (let i = 0; i + 4 <= zip.length; i += 1) {
      const sig = view.getUint32(i, true);
      const nameAt = sig === 0x02014b50 ? i + 46 : sig === 0x04034b50 ? i + 30 : -1;
      if (nameAt < 0) continue;
      const name = new TextDecoder().decode(zip.subarray(nameAt, nameAt + 10));
      if (name === 'secret.pdf') view.setUint16(sig === 0x02014b50 ? i + 8 : i + 6, 1, true);
    }
    // Act
    const result = await inspect(zip);
    // Assess
    expect(result.verdict).toMatchObject({
      reason: QuarantineReason.ARCHIVE_ENCRYPTED,
      detail: 'entry "secret.pdf" is encrypted',
    });
    // A rule may accept them (e.g. for password-protected exports).
    expect(
      (await inspect(zip, { version: 1, default: { archives: { encryptedEntries: 'accept' } } })).verdict,
    ).toEqual({ accepted: true });
  });

  it.each(['../../etc/cron.d/job', '/etc/passwd', 'C:\\Windows\\evil.txt', 'a\\..\\..\\b.txt'])(
    'quarantines the path traversal name %s',
    async (name) => {
      const result = await inspect(zipWith({ [name]: strToU8('x') }));
      expect(result.verdict).toMatchObject({ reason: QuarantineReason.ARCHIVE_PATH_TRAVERSAL });
      expect((result.verdict as { detail: string }).detail).toContain(JSON.stringify(name));
    },
  );

  it('quarantines a zip bomb by its compression ratio', async () => {
    // Prepare: 20 MiB of zeros deflate to about 20 KB (ratio ~1000).
    const zip = zipWith({ 'zeros.csv': [new Uint8Array(20 * 1024 * 1024), { level: 9 }] });
    // Act
    const result = await inspect(zip);
    // Assess
    expect(result.verdict).toMatchObject({ reason: QuarantineReason.ARCHIVE_BOMB });
    expect((result.verdict as { detail: string }).detail).toMatch(/^entry "zeros.csv" expands \d+× /);
  });

  it('quarantines an archive with more entries than the rule allows, from the end record alone', async () => {
    const entries = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, strToU8('x')]));
    const result = await inspect(zipWith(entries), {
      version: 1,
      default: { archives: { maxEntries: 20 } },
    });
    expect(result.verdict).toEqual({
      accepted: false,
      reason: QuarantineReason.ARCHIVE_TOO_MANY_ENTRIES,
      detail: '31 entries (limit 20)',
    });
  });

  it('reads a central directory larger than 64 KiB with ONE more ranged GET, bounded', async () => {
    // Prepare: 2,000 entries with 60-character names: a directory of ~212 KB.
    const entries: Zippable = Object.fromEntries(
      Array.from({ length: 2000 }, (_, i) => [`data/${String(i).padStart(55, '0')}.csv`, strToU8('a\n')]),
    );
    entries['data/zz/payload.ps1'] = strToU8('Write-Host hi');
    const zip = zipWith(entries);
    // Act
    const result = await inspect(zip);
    // Assess
    expect(result.verdict).toMatchObject({
      reason: QuarantineReason.ARCHIVE_BLOCKED_ENTRY,
      detail: 'entry "data/zz/payload.ps1" has the blocked type ps1',
    });
    expect(result.entryCount).toBe(2002);
    expect(result.gets).toBe(2);
    expect(result.bytesRead).toBeGreaterThan(65_557);
    expect(result.bytesRead).toBeLessThan(65_557 + MAX_DIRECTORY_READ_BYTES);
    expect(result.served).toBe(result.bytesRead);
  });

  it('quarantines as ARCHIVE_UNREADABLE a zip whose end record is missing (truncated upload)', async () => {
    const zip = zipWith({ 'a.txt': strToU8('x') });
    const result = await inspect(zip.subarray(0, zip.length - 10));
    expect(result.verdict).toMatchObject({
      reason: QuarantineReason.ARCHIVE_UNREADABLE,
      detail: 'no end-of-central-directory record in the last 64 KiB',
    });
  });

  it('reads Zip64 end records', async () => {
    // Prepare: rewrite fflate's end record as Zip64 (the 32-bit fields set to 0xFFFF…, the real values in
    // a Zip64 end record and locator placed before it), as zip tools write for huge archives.
    const zip = zipWith({ 'big/setup.exe': noise(10) });
    const eocd = zip.length - 22;
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const count = view.getUint16(eocd + 10, true);
    const dirSize = view.getUint32(eocd + 12, true);
    const dirOffset = view.getUint32(eocd + 16, true);
    const record = new DataView(new ArrayBuffer(56));
    record.setUint32(0, 0x06064b50, true);
    record.setBigUint64(4, 44n, true);
    record.setUint16(12, 45, true);
    record.setUint16(14, 45, true);
    record.setBigUint64(24, BigInt(count), true);
    record.setBigUint64(32, BigInt(count), true);
    record.setBigUint64(40, BigInt(dirSize), true);
    record.setBigUint64(48, BigInt(dirOffset), true);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, 0x07064b50, true);
    locator.setBigUint64(8, BigInt(eocd), true);
    locator.setUint32(16, 1, true);
    const end = zip.slice(eocd);
    const endView = new DataView(end.buffer);
    endView.setUint16(8, 0xffff, true);
    endView.setUint16(10, 0xffff, true);
    endView.setUint32(12, 0xffffffff, true);
    endView.setUint32(16, 0xffffffff, true);
    const zip64 = new Uint8Array(eocd + 56 + 20 + 22);
    zip64.set(zip.subarray(0, eocd), 0);
    zip64.set(new Uint8Array(record.buffer), eocd);
    zip64.set(new Uint8Array(locator.buffer), eocd + 56);
    zip64.set(end, eocd + 76);
    // Act
    const result = await inspect(zip64);
    // Assess
    expect(result.entryCount).toBe(2);
    expect(result.verdict).toMatchObject({ reason: QuarantineReason.ARCHIVE_BLOCKED_ENTRY });
  });
});
