import { describe, expect, it } from 'vitest';
import {
  drawKind,
  drawSize,
  FileKind,
  fileBody,
  generateFile,
  KIND_SPECS,
  SIZE_BANDS,
  seededRandom,
} from '../../../load-tests/fileMix.ts';
import { DEFAULT_BLOCKED_TYPES, DEFAULT_TUNABLES } from '../../../src/config/handlerConfig.ts';
import { FileStatus } from '../../../src/pipeline/constants.ts';
import { evaluatePolicy } from '../../../src/pipeline/policy.ts';
import { sniff } from '../../../src/pipeline/sniff.ts';

const policy = { maxFileSizeBytes: DEFAULT_TUNABLES.maxFileSizeBytes, blockedTypes: DEFAULT_BLOCKED_TYPES };

describe('the spike file mix', () => {
  it.each(Object.values(FileKind))(
    '%s files get, from the real sniffer and policy, the outcome the manifest promises',
    async (kind) => {
      for (const size of [600, 4096, 70_000]) {
        // Prepare
        const random = seededRandom(size);
        const file = generateFile({ prefix: 'load/test', sequence: '1', random, kind, size });
        // Act: the handler reads only the first sniffBytes
        const sniffed = await sniff(file.body.subarray(0, DEFAULT_TUNABLES.sniffBytes), file.key);
        const verdict = evaluatePolicy({ key: file.key, size: file.body.length, sniffed }, policy);
        // Assess
        const outcome = verdict.accepted
          ? { status: FileStatus.PROCESSED }
          : { status: FileStatus.QUARANTINED, reason: verdict.reason };
        expect(outcome).toEqual(file.expected);
      }
    },
  );

  it('is reproducible from its seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 50 }, (_, i) => {
        const f = generateFile({ prefix: 'p', sequence: String(i), random });
        return `${f.key}:${f.body.length}`;
      });
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('has a few percent of bad files and mostly small sizes, within the size bands', () => {
    // Prepare
    const random = seededRandom(1);
    const draws = 20_000;
    // Act
    const kinds = Array.from({ length: draws }, () => drawKind(random));
    const sizes = Array.from({ length: draws }, () => drawSize(random));
    // Assess
    const bad = kinds.filter((k) => KIND_SPECS[k].expected.status !== FileStatus.PROCESSED).length / draws;
    expect(bad).toBeGreaterThan(0.02);
    expect(bad).toBeLessThan(0.07);
    const min = Math.min(...SIZE_BANDS.map((b) => b.minBytes));
    const max = Math.max(...SIZE_BANDS.map((b) => b.maxBytes));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(min);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(max);
    expect(sizes.filter((s) => s <= 64 * 1024).length / draws).toBeGreaterThan(0.75);
    expect(sizes.some((s) => s >= 1024 * 1024)).toBe(true);
  });

  it('builds bodies of exactly the asked size, header first', () => {
    const body = fileBody(FileKind.PDF, 3 * 1024 * 1024 + 17);
    expect(body.length).toBe(3 * 1024 * 1024 + 17);
    expect(new TextDecoder().decode(body.subarray(0, 5))).toBe('%PDF-');
    expect(fileBody(FileKind.EMPTY, 0).length).toBe(0);
  });

  it('puts some keys in folders with spaces (S3 events encode them as +)', () => {
    const random = seededRandom(3);
    const keys = Array.from(
      { length: 200 },
      (_, i) => generateFile({ prefix: 'p', sequence: String(i), random }).key,
    );
    expect(keys.some((k) => k.includes(' '))).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
