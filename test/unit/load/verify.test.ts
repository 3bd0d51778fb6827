import { describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../../load-tests/manifest.ts';
import { type RecordedUpload, verifyRun } from '../../../load-tests/verify.ts';

const upload = (key: string, overrides: Partial<ManifestEntry> = {}): ManifestEntry => ({
  bucket: 'in',
  key,
  kind: 'png',
  sizeBytes: 100,
  contentType: 'image/png',
  uploadedAt: '2026-11-25T10:00:00.000Z',
  uploadMs: 20,
  ok: true,
  expected: { status: 'PROCESSED' },
  ...overrides,
});

const record = (key: string, overrides: Partial<RecordedUpload> = {}): RecordedUpload => ({
  bucket: 'in',
  key,
  status: 'PROCESSED',
  processedAt: '2026-11-25T10:00:01.500Z',
  ...overrides,
});

const empty = { visible: 0, inFlight: 0, delayed: 0, deadLetter: 0 };

describe('verifyRun', () => {
  it('passes when every upload has exactly one record in the state its kind calls for', () => {
    // Prepare
    const manifest = [
      upload('a.png'),
      upload('b.exe', { kind: 'exe', expected: { status: 'QUARANTINED', reason: 'BLOCKED_TYPE' } }),
    ];
    const records = [
      record('a.png'),
      record('b.exe', {
        status: 'QUARANTINED',
        reason: 'BLOCKED_TYPE',
        processedAt: '2026-11-25T10:00:03.000Z',
      }),
    ];
    // Act
    const result = verifyRun({ manifest, records, leftovers: empty });
    // Assess
    expect(result.passed).toBe(true);
    expect(result.correct).toBe(2);
    expect(result.byOutcome).toEqual({ PROCESSED: 1, 'QUARANTINED/BLOCKED_TYPE': 1 });
    expect(result.endToEndMs).toMatchObject({ count: 2, min: 1500, max: 3000 });
  });

  it('fails on a lost upload and names it', () => {
    const result = verifyRun({
      manifest: [upload('a.png'), upload('lost.png')],
      records: [record('a.png')],
      leftovers: empty,
    });
    expect(result.passed).toBe(false);
    expect(result.lost).toEqual(['lost.png']);
    expect(result.problems.join('\n')).toContain('lost.png');
  });

  it('fails on two records for one upload', () => {
    const result = verifyRun({
      manifest: [upload('a.png')],
      records: [record('a.png', { sk: '1' }), record('a.png', { sk: '2' })],
      leftovers: empty,
    });
    expect(result.passed).toBe(false);
    expect(result.duplicates).toEqual([{ key: 'a.png', records: 2 }]);
    expect(result.correct).toBe(0);
  });

  it('fails when a bad file was accepted, or quarantined for the wrong reason', () => {
    const manifest = [
      upload('x.jpg', { kind: 'mislabelled', expected: { status: 'QUARANTINED', reason: 'TYPE_MISMATCH' } }),
      upload('e.txt', { kind: 'empty', expected: { status: 'QUARANTINED', reason: 'EMPTY_FILE' } }),
    ];
    const records = [
      record('x.jpg'),
      record('e.txt', { status: 'QUARANTINED', reason: 'PROCESSING_FAILED' }),
    ];
    const result = verifyRun({ manifest, records, leftovers: empty });
    expect(result.passed).toBe(false);
    expect(result.wrongState.map((w) => `${w.key}: ${w.expected} → ${w.actual}`)).toEqual([
      'x.jpg: QUARANTINED/TYPE_MISMATCH → PROCESSED',
      'e.txt: QUARANTINED/EMPTY_FILE → QUARANTINED/PROCESSING_FAILED',
    ]);
  });

  it('fails while messages are left in the queue or the DLQ', () => {
    const manifest = [upload('a.png')];
    const records = [record('a.png')];
    expect(verifyRun({ manifest, records, leftovers: { ...empty, inFlight: 1 } }).passed).toBe(false);
    const dlq = verifyRun({ manifest, records, leftovers: { ...empty, deadLetter: 2 } });
    expect(dlq.passed).toBe(false);
    expect(dlq.problems.join('\n')).toContain('2 message(s) in the dead-letter queue');
  });

  it('fails when a quarantined object is missing from the quarantine bucket', () => {
    const manifest = [upload('b.exe', { expected: { status: 'QUARANTINED', reason: 'BLOCKED_TYPE' } })];
    const records = [record('b.exe', { status: 'QUARANTINED', reason: 'BLOCKED_TYPE' })];
    const result = verifyRun({ manifest, records, leftovers: empty, quarantineMissing: ['b.exe'] });
    expect(result.passed).toBe(false);
  });

  it('owes nothing for a failed PUT but accepts its record, and flags records nobody uploaded', () => {
    const manifest = [upload('a.png'), upload('timeout.png', { ok: false, error: 'TimeoutError' })];
    const accepted = verifyRun({
      manifest,
      records: [record('a.png'), record('timeout.png')],
      leftovers: empty,
    });
    expect(accepted).toMatchObject({ passed: true, uploaded: 1, failedUploads: 1 });
    const stray = verifyRun({ manifest, records: [record('a.png'), record('ghost.png')], leftovers: empty });
    expect(stray.passed).toBe(false);
    expect(stray.unexpected).toEqual(['ghost.png']);
  });

  it('fails a run that uploaded nothing', () => {
    expect(verifyRun({ manifest: [], records: [], leftovers: empty }).passed).toBe(false);
  });
});
