import { SAMPLE_EXPECTATIONS, SampleKind, sampleFile } from '../src/local/samples.ts';
import type { FileStatus, QuarantineReason } from '../src/pipeline/constants.ts';

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
  /**
   * The sample file (`src/local/samples.ts`, the one generator of real minimal files) the body starts
   * with; its extension and content type name the upload. The rest of the body is filler.
   */
  readonly sample: SampleKind;
  /** Pad with text lines rather than random bytes. */
  readonly text: boolean;
  /** What the pipeline must record for it (the sample kind's outcome under the default policy). */
  readonly expected: ExpectedOutcome;
}

/** The outcome the default policy owes a sample kind (`SAMPLE_EXPECTATIONS`, without the mime). */
const expectedOf = (kind: SampleKind): ExpectedOutcome => {
  const { status, reason } = SAMPLE_EXPECTATIONS[kind];
  return reason ? { status, reason } : { status };
};

/**
 * The mix: ~96 % good files of common types, ~4 % bad ones (empty, executables, a PDF named `.jpg`).
 * Each kind's bytes begin with a real minimal file of that kind (a complete PNG, so `file-type`, which
 * walks PNG chunks, stops at IEND before the filler), which is what `file-type` keys on.
 */
const spec = (weight: number, sample: SampleKind, text = false): KindSpec => ({
  weight,
  sample,
  text,
  expected: expectedOf(sample),
});

export const KIND_SPECS: Readonly<Record<FileKind, KindSpec>> = {
  png: spec(22, SampleKind.png),
  jpeg: spec(22, SampleKind.jpeg),
  pdf: spec(18, SampleKind.pdf),
  gzip: spec(10, SampleKind.gzip),
  csv: spec(14, SampleKind.csv, true),
  json: spec(10, SampleKind.json, true),
  empty: spec(1.5, SampleKind.empty),
  exe: spec(1, SampleKind.exe),
  elf: spec(0.5, SampleKind.elf),
  mislabelled: spec(1, SampleKind.mismatch),
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
      textFiller = new TextEncoder().encode(lines.join('')).subarray(0, FILLER_BYTES);
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

/** Bytes of one file: the kind's sample file, then filler up to `size` (the sample alone when larger). */
export const fileBody = (kind: FileKind, size: number): Uint8Array => {
  const spec = KIND_SPECS[kind];
  const header = sampleFile(spec.sample).bytes;
  const body = new Uint8Array(kind === FileKind.EMPTY ? 0 : Math.max(size, header.length));
  body.set(header, 0);
  const filler = fillerFor(spec.text);
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
  const size = kind === FileKind.EMPTY ? 0 : (args.size ?? drawSize(args.random));
  const folder = FOLDERS[Math.floor(args.random() * FOLDERS.length)] ?? 'inbox';
  const sample = sampleFile(spec.sample);
  const key = `${args.prefix}/${folder}/${kind}-${args.sequence}.${sample.ext}`;
  return {
    kind,
    key,
    body: fileBody(kind, size),
    contentType: sample.contentType,
    expected: expectedOf(spec.sample),
  };
};
