import { FileStatus, QuarantineReason } from '../src/pipeline/constants.ts';

/** What the pipeline must record for one upload: the terminal state its kind calls for. */
export interface ExpectedOutcome {
  readonly status: FileStatus;
  /** Set when status is QUARANTINED. */
  readonly reason?: QuarantineReason;
}

/** One generated upload: key, bytes, declared content type and the outcome the pipeline owes it. */
export interface GeneratedFile {
  readonly kind: FileKind;
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly expected: ExpectedOutcome;
}

/** Kinds of files in the spike. The last four are the "bad" ones the policy must reject. */
export const FileKind = {
  PNG: 'png',
  JPEG: 'jpeg',
  PDF: 'pdf',
  GZIP: 'gzip',
  CSV: 'csv',
  JSON: 'json',
  EMPTY: 'empty',
  EXE: 'exe',
  ELF: 'elf',
  MISLABELLED: 'mislabelled',
} as const;
/** A kind of generated file. */
export type FileKind = (typeof FileKind)[keyof typeof FileKind];

interface KindSpec {
  /** Relative frequency in the mix. */
  readonly weight: number;
  readonly extension: string;
  readonly contentType: string;
  /** Bytes the file starts with (its magic number), or a text generator for text kinds. */
  readonly header: (size: number) => Uint8Array;
  readonly text?: boolean;
  readonly expected: ExpectedOutcome;
  /** Fixed size (the empty file); otherwise drawn from the size mix. */
  readonly fixedSize?: number;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/**
 * PNG signature, a 13-byte IHDR chunk, then the header of one IDAT chunk that spans the rest of the file:
 * `file-type` walks the chunks, so random bytes right after IHDR would not read as a PNG.
 */
const pngHeader = (size: number): Uint8Array => {
  const header = new Uint8Array(8 + 25 + 8);
  const view = new DataView(header.buffer);
  header.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  view.setUint32(8, 13);
  header.set(ascii('IHDR'), 12);
  view.setUint32(16, 256); // width
  view.setUint32(20, 256); // height
  header.set([8, 2, 0, 0, 0], 24); // 8-bit RGB
  view.setUint32(33, Math.max(0, size - header.length - 4));
  header.set(ascii('IDAT'), 37);
  return header;
};

const processed: ExpectedOutcome = { status: FileStatus.PROCESSED };
const quarantined = (reason: QuarantineReason): ExpectedOutcome => ({
  status: FileStatus.QUARANTINED,
  reason,
});

/**
 * The mix: ~96 % good files of common types, ~4 % bad ones (empty, executables, a PDF named `.jpg`).
 * Magic numbers are the ones `file-type` keys on (PNG signature, JPEG SOI+APP0, `%PDF-`, gzip, MZ, ELF).
 */
export const KIND_SPECS: Readonly<Record<FileKind, KindSpec>> = {
  png: {
    weight: 22,
    extension: 'png',
    contentType: 'image/png',
    header: pngHeader,
    expected: processed,
  },
  jpeg: {
    weight: 22,
    extension: 'jpg',
    contentType: 'image/jpeg',
    header: () => bytes(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00),
    expected: processed,
  },
  pdf: {
    weight: 18,
    extension: 'pdf',
    contentType: 'application/pdf',
    header: () => ascii('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'),
    expected: processed,
  },
  gzip: {
    weight: 10,
    extension: 'gz',
    contentType: 'application/gzip',
    header: () => bytes(0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03),
    expected: processed,
  },
  csv: {
    weight: 14,
    extension: 'csv',
    contentType: 'text/csv',
    header: () => ascii('id,name,amount,created_at\n'),
    text: true,
    expected: processed,
  },
  json: {
    weight: 10,
    extension: 'json',
    contentType: 'application/json',
    header: () => ascii('{"records":[\n'),
    text: true,
    expected: processed,
  },
  empty: {
    weight: 1.5,
    extension: 'txt',
    contentType: 'text/plain',
    header: () => new Uint8Array(0),
    fixedSize: 0,
    expected: quarantined(QuarantineReason.EMPTY_FILE),
  },
  exe: {
    weight: 1,
    extension: 'exe',
    contentType: 'application/vnd.microsoft.portable-executable',
    header: () => bytes(0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00),
    expected: quarantined(QuarantineReason.BLOCKED_TYPE),
  },
  elf: {
    weight: 0.5,
    extension: 'bin',
    contentType: 'application/octet-stream',
    header: () => bytes(0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00),
    expected: quarantined(QuarantineReason.BLOCKED_TYPE),
  },
  mislabelled: {
    weight: 1,
    extension: 'jpg',
    contentType: 'image/jpeg',
    header: () => ascii('%PDF-1.4\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'),
    expected: quarantined(QuarantineReason.TYPE_MISMATCH),
  },
};

/** A source of uniform numbers in [0, 1): `Math.random`, or a seeded one for reproducible mixes. */
export type RandomSource = () => number;

/** mulberry32: a tiny seeded generator, so a run's mix can be reproduced from its seed. */
export const seededRandom = (seed: number): RandomSource => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/**
 * Sizes of a realistic dump: most files a few KB to 64 KB, some up to 512 KB, 1 % of 1–4 MB.
 * Log-uniform inside each band, like real document/photo collections.
 */
export const SIZE_BANDS: readonly { weight: number; minBytes: number; maxBytes: number }[] = [
  { weight: 84, minBytes: 512, maxBytes: 64 * 1024 },
  { weight: 15, minBytes: 64 * 1024, maxBytes: 512 * 1024 },
  { weight: 1, minBytes: 1024 * 1024, maxBytes: 4 * 1024 * 1024 },
];

const pickWeighted = <T extends { weight: number }>(items: readonly T[], random: RandomSource): T => {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let point = random() * total;
  for (const item of items) {
    point -= item.weight;
    if (point < 0) return item;
  }
  const last = items.at(-1);
  if (!last) throw new Error('pickWeighted needs at least one item');
  return last;
};

/** Draw a file size from {@link SIZE_BANDS}. */
export const drawSize = (random: RandomSource): number => {
  const band = pickWeighted(SIZE_BANDS, random);
  const logMin = Math.log(band.minBytes);
  const logMax = Math.log(band.maxBytes);
  return Math.round(Math.exp(logMin + random() * (logMax - logMin)));
};

/** Draw a kind from the weights of {@link KIND_SPECS}. */
export const drawKind = (random: RandomSource): FileKind => {
  const entries = Object.entries(KIND_SPECS).map(([kind, spec]) => ({ kind: kind as FileKind, ...spec }));
  return pickWeighted(entries, random).kind;
};

const FILLER_BYTES = 1024 * 1024;
let binaryFiller: Uint8Array | undefined;
let textFiller: Uint8Array | undefined;

/** 1 MB of pseudo-random bytes, made once per process and reused as body filler (cheap per file). */
const fillerFor = (text: boolean): Uint8Array => {
  if (text) {
    if (!textFiller) {
      const random = seededRandom(7);
      const lines: string[] = [];
      let length = 0;
      for (let i = 0; length < FILLER_BYTES; i++) {
        const line = `${i},item-${Math.floor(random() * 1e6)},${(random() * 1000).toFixed(2)},2026-11-25T00:00:00Z\n`;
        lines.push(line);
        length += line.length;
      }
      textFiller = ascii(lines.join('')).subarray(0, FILLER_BYTES);
    }
    return textFiller;
  }
  if (!binaryFiller) {
    const random = seededRandom(11);
    binaryFiller = new Uint8Array(FILLER_BYTES);
    for (let i = 0; i < FILLER_BYTES; i++) binaryFiller[i] = Math.floor(random() * 256);
  }
  return binaryFiller;
};

/** Bytes of one file: the kind's header, then filler up to `size` (the header alone when larger). */
export const fileBody = (kind: FileKind, size: number): Uint8Array => {
  const spec = KIND_SPECS[kind];
  const header = spec.header(size);
  const body = new Uint8Array(Math.max(size, header.length));
  body.set(header, 0);
  const filler = fillerFor(spec.text === true);
  for (let offset = header.length; offset < body.length; offset += filler.length) {
    body.set(filler.subarray(0, Math.min(filler.length, body.length - offset)), offset);
  }
  return body;
};

/** Folder names of the generated keys; a few contain spaces, which S3 events encode as `+`. */
const FOLDERS = ['invoices', 'photos', 'exports', 'scans 2026', 'reports/q4', 'inbox'];

/**
 * One file of the mix. `sequence` makes the key unique within the run; `prefix` separates runs.
 * Keys stay ASCII-plus-space so they are easy to read in the manifest and the dashboard.
 */
export const generateFile = (args: {
  readonly prefix: string;
  readonly sequence: string;
  readonly random: RandomSource;
  readonly kind?: FileKind;
  readonly size?: number;
}): GeneratedFile => {
  const kind = args.kind ?? drawKind(args.random);
  const spec = KIND_SPECS[kind];
  const size = spec.fixedSize ?? args.size ?? drawSize(args.random);
  const folder = FOLDERS[Math.floor(args.random() * FOLDERS.length)] ?? 'inbox';
  const key = `${args.prefix}/${folder}/${kind}-${args.sequence}.${spec.extension}`;
  return { kind, key, body: fileBody(kind, size), contentType: spec.contentType, expected: spec.expected };
};
