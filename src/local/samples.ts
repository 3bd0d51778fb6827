import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { FileStatus, QuarantineReason } from '../pipeline/constants.ts';
import { sampleBytes } from './sampleBytes.ts';

const { ascii, concat, u16le, u32le, u32be } = sampleBytes;

/**
 * Sample files generated from scratch (no fixtures on disk), used by `up --demo`, the tests and the load
 * tests (`load-tests/fileMix.ts` starts each body with one and pads it to the drawn size): the one home
 * of the bytes that make a file of each kind. Each is a real, minimal file of its kind, so `file-type`
 * recognises it by its magic bytes.
 */

/** The kinds of sample file. */
export const SampleKind = {
  png: 'png',
  jpeg: 'jpeg',
  gif: 'gif',
  pdf: 'pdf',
  zip: 'zip',
  gzip: 'gzip',
  csv: 'csv',
  txt: 'txt',
  json: 'json',
  exe: 'exe',
  elf: 'elf',
  empty: 'empty',
  mismatch: 'mismatch',
} as const;
/** A kind of sample file. */
export type SampleKind = (typeof SampleKind)[keyof typeof SampleKind];

/**
 * One file of each outcome the policy distinguishes, in a stable order: what the tests upload one of
 * each. `gzip` is left out: it is a second archive for the load test's mix and adds no outcome `zip`
 * does not already show.
 */
export const SAMPLE_KINDS: readonly SampleKind[] = Object.values(SampleKind).filter(
  (kind) => kind !== SampleKind.gzip,
);

/** One generated sample file. */
export interface SampleFile {
  readonly bytes: Uint8Array;
  /** The content type an uploader would declare. */
  readonly contentType: string;
  /** The extension to name it with (without dot). For `mismatch`, the lying one (`jpg`). */
  readonly ext: string;
}

/** Options of {@link sampleFile}. */
export interface SampleOptions {
  /** Pad the file to at least this many bytes (ignored for `empty`). */
  readonly sizeBytes?: number;
  /** Varies the content (and so the ETag) between files of the same kind. @default 0 */
  readonly seed?: number;
}

/** What the ingest handler does with each kind under the default policy. */
export const SAMPLE_EXPECTATIONS: Readonly<
  Record<
    SampleKind,
    { readonly status: FileStatus; readonly reason?: QuarantineReason; readonly mime?: string }
  >
> = {
  png: { status: FileStatus.PROCESSED, mime: 'image/png' },
  jpeg: { status: FileStatus.PROCESSED, mime: 'image/jpeg' },
  gif: { status: FileStatus.PROCESSED, mime: 'image/gif' },
  pdf: { status: FileStatus.PROCESSED, mime: 'application/pdf' },
  zip: { status: FileStatus.PROCESSED, mime: 'application/zip' },
  gzip: { status: FileStatus.PROCESSED, mime: 'application/gzip' },
  csv: { status: FileStatus.PROCESSED, mime: 'text/csv' },
  txt: { status: FileStatus.PROCESSED, mime: 'text/plain' },
  json: { status: FileStatus.PROCESSED, mime: 'application/json' },
  exe: {
    status: FileStatus.QUARANTINED,
    reason: QuarantineReason.BLOCKED_TYPE,
    mime: 'application/x-msdownload',
  },
  elf: { status: FileStatus.QUARANTINED, reason: QuarantineReason.BLOCKED_TYPE, mime: 'application/x-elf' },
  empty: { status: FileStatus.QUARANTINED, reason: QuarantineReason.EMPTY_FILE },
  mismatch: {
    status: FileStatus.QUARANTINED,
    reason: QuarantineReason.TYPE_MISMATCH,
    mime: 'application/pdf',
  },
};

const pngChunk = (type: string, data: Uint8Array): Uint8Array => {
  const typed = concat(ascii(type), data);
  return concat(u32be(data.length), typed, u32be(crc32(typed) >>> 0));
};

/** A 2×2 RGB PNG whose pixel colours follow the seed. */
const png = (seed: number): Uint8Array => {
  const width = 2;
  const height = 2;
  const ihdr = concat(u32be(width), u32be(height), Uint8Array.of(8, 2, 0, 0, 0));
  const rows: number[] = [];
  for (let y = 0; y < height; y += 1) {
    rows.push(0); // filter: none
    for (let x = 0; x < width; x += 1)
      rows.push((seed + x * 40) & 0xff, (y * 90) & 0xff, (seed >>> 8) & 0xff);
  }
  return concat(
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Uint8Array.from(rows))),
    pngChunk('IEND', new Uint8Array(0)),
  );
};

/** A JFIF header, a comment carrying the seed, and the end-of-image marker. */
const jpeg = (seed: number): Uint8Array => {
  const comment = ascii(`silent-scalper sample ${seed}`);
  return concat(
    Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10),
    ascii('JFIF\0'),
    Uint8Array.of(0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00),
    Uint8Array.of(0xff, 0xfe, ((comment.length + 2) >>> 8) & 0xff, (comment.length + 2) & 0xff),
    comment,
    Uint8Array.of(0xff, 0xd9),
  );
};

/** A 1×1 GIF89a with a two-colour palette. */
const gif = (seed: number): Uint8Array =>
  concat(
    ascii('GIF89a'),
    u16le(1),
    u16le(1),
    Uint8Array.of(0x80, 0x00, 0x00),
    Uint8Array.of(seed & 0xff, 0x00, 0x00, 0xff, 0xff, 0xff),
    Uint8Array.of(0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0x00),
    Uint8Array.of(0x02, 0x02, 0x44, 0x01, 0x00),
    Uint8Array.of(0x3b),
  );

/** A one-page PDF with a text line. */
const pdf = (seed: number): Uint8Array =>
  ascii(
    [
      '%PDF-1.4',
      '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
      '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
      '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj',
      `% sample ${seed}`,
      'trailer << /Root 1 0 R >>',
      '%%EOF',
      '',
    ].join('\n'),
  );

/** A ZIP archive holding one stored (uncompressed) text file. */
const zip = (seed: number): Uint8Array => {
  const name = ascii('hello.txt');
  const data = ascii(`hello from sample ${seed}\n`);
  const crc = crc32(data) >>> 0;
  const local = concat(
    u32le(0x04034b50),
    u16le(10),
    u16le(0),
    u16le(0),
    u16le(0),
    u16le(0),
    u32le(crc),
    u32le(data.length),
    u32le(data.length),
    u16le(name.length),
    u16le(0),
    name,
    data,
  );
  const central = concat(
    u32le(0x02014b50),
    u16le(20),
    u16le(10),
    u16le(0),
    u16le(0),
    u16le(0),
    u16le(0),
    u32le(crc),
    u32le(data.length),
    u32le(data.length),
    u16le(name.length),
    u16le(0),
    u16le(0),
    u16le(0),
    u16le(0),
    u32le(0),
    u32le(0),
    name,
  );
  const end = concat(
    u32le(0x06054b50),
    u16le(0),
    u16le(0),
    u16le(1),
    u16le(1),
    u32le(central.length),
    u32le(local.length),
    u16le(0),
  );
  return concat(local, central, end);
};

/** A PE executable's headers: DOS stub pointing at a PE signature and an x86-64 COFF header. */
const exe = (seed: number): Uint8Array => {
  const bytes = new Uint8Array(256);
  bytes.set(ascii('MZ'), 0);
  bytes.set(u32le(0x80), 0x3c);
  bytes.set(ascii('This program cannot be run in DOS mode.'), 0x40);
  bytes.set(ascii('PE\0\0'), 0x80);
  bytes.set(u16le(0x8664), 0x84);
  bytes.set(u32le(seed), 0x88);
  return bytes;
};

/** A 64-bit little-endian ELF header of an x86-64 executable. */
const elf = (seed: number): Uint8Array => {
  const bytes = new Uint8Array(128);
  bytes.set(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0), 0);
  bytes.set(u16le(2), 16);
  bytes.set(u16le(0x3e), 18);
  bytes.set(u32le(1), 20);
  bytes.set(u32le(seed), 64);
  return bytes;
};

/** A gzip stream of one text line (the load test's compressed uploads). */
const gzip = (seed: number): Uint8Array => gzipSync(ascii(`compressed sample ${seed}\n`));

const csv = (seed: number) => ascii(`id,name,amount\n${seed},café crème,12.50\n${seed + 1},"Smith, Jo",7\n`);
const txt = (seed: number) => ascii(`Silent Scalper sample ${seed}.\nPlain UTF-8 text — naïve façade.\n`);
const json = (seed: number) => ascii(`${JSON.stringify({ sample: seed, ok: true, tags: ['a', 'ü'] })}\n`);

const GENERATORS: Record<
  SampleKind,
  { make: (seed: number) => Uint8Array; contentType: string; ext: string }
> = {
  png: { make: png, contentType: 'image/png', ext: 'png' },
  jpeg: { make: jpeg, contentType: 'image/jpeg', ext: 'jpg' },
  gif: { make: gif, contentType: 'image/gif', ext: 'gif' },
  pdf: { make: pdf, contentType: 'application/pdf', ext: 'pdf' },
  zip: { make: zip, contentType: 'application/zip', ext: 'zip' },
  gzip: { make: gzip, contentType: 'application/gzip', ext: 'gz' },
  csv: { make: csv, contentType: 'text/csv', ext: 'csv' },
  txt: { make: txt, contentType: 'text/plain', ext: 'txt' },
  json: { make: json, contentType: 'application/json', ext: 'json' },
  exe: { make: exe, contentType: 'application/octet-stream', ext: 'exe' },
  elf: { make: elf, contentType: 'application/octet-stream', ext: 'bin' },
  empty: { make: () => new Uint8Array(0), contentType: 'application/octet-stream', ext: 'dat' },
  mismatch: { make: pdf, contentType: 'image/jpeg', ext: 'jpg' },
};

/** Padding that keeps the kind what it is: text for text kinds, zero bytes after binary content. */
const pad = (kind: SampleKind, bytes: Uint8Array, sizeBytes: number): Uint8Array => {
  if (bytes.length >= sizeBytes) return bytes;
  const padding = new Uint8Array(sizeBytes - bytes.length);
  if (kind === 'csv' || kind === 'txt') padding.fill(0x0a);
  else if (kind === 'json') padding.fill(0x20);
  return concat(bytes, padding);
};

/** Generate one sample file of `kind`. */
export const sampleFile = (kind: SampleKind, options: SampleOptions = {}): SampleFile => {
  const generator = GENERATORS[kind];
  const seed = options.seed ?? 0;
  const bytes = generator.make(seed);
  return {
    bytes: kind === 'empty' || options.sizeBytes === undefined ? bytes : pad(kind, bytes, options.sizeBytes),
    contentType: generator.contentType,
    ext: generator.ext,
  };
};
