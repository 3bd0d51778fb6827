import { describe, expect, it } from 'vitest';
import { ALERT_FAILED_STATUS, buildAlert } from '../../../src/pipeline/alerts.ts';
import { NotifyMode, QuarantineReason } from '../../../src/pipeline/constants.ts';

const processed = { bucket: 'in', key: 'ok.png', status: 'PROCESSED' };
const mismatch = {
  bucket: 'in',
  key: 'a.jpg',
  status: 'QUARANTINED',
  reason: QuarantineReason.TYPE_MISMATCH,
  quarantineKey: 'a.jpg',
};
const empty = { bucket: 'in', key: 'e.txt', status: 'QUARANTINED', reason: QuarantineReason.EMPTY_FILE };
const blocked = { bucket: 'in', key: 'x.exe', status: 'QUARANTINED', reason: QuarantineReason.BLOCKED_TYPE };
const failed = { bucket: 'in', key: 'slow.csv', status: ALERT_FAILED_STATUS, error: 'SlowDown: reduce' };

describe('buildAlert', () => {
  it('sends nothing for a clean batch in failures mode', () => {
    expect(buildAlert({ files: [processed], poisonMessages: 0 }, NotifyMode.FAILURES, 20)).toBeUndefined();
  });

  it('sends nothing in none mode', () => {
    expect(buildAlert({ files: [blocked], poisonMessages: 1 }, NotifyMode.NONE, 20)).toBeUndefined();
  });

  it('sends one message for the batch with counts, reasons by severity and the keys', () => {
    // Act
    const alert = buildAlert(
      { files: [processed, empty, mismatch, blocked, failed], poisonMessages: 0 },
      NotifyMode.FAILURES,
      20,
    );
    // Assess
    expect(alert?.subject).toBe('Silent Scalper: 3 quarantined, 1 failed, 1 processed');
    expect(alert?.attributes).toEqual({
      status: ['FAILED', 'QUARANTINED', 'PROCESSED'],
      reason: ['BLOCKED_TYPE', 'TYPE_MISMATCH', 'EMPTY_FILE'],
    });
    const body = JSON.parse(alert?.message ?? '{}');
    expect(body.counts).toEqual({ PROCESSED: 1, QUARANTINED: 3, FAILED: 1 });
    expect(body.reasons).toEqual({ EMPTY_FILE: 1, TYPE_MISMATCH: 1, BLOCKED_TYPE: 1 });
    expect(body.files.map((f: { key: string }) => f.key)).toEqual(['e.txt', 'a.jpg', 'x.exe', 'slow.csv']);
    expect(body.files[1]).toEqual({
      bucket: 'in',
      key: 'a.jpg',
      status: 'QUARANTINED',
      reason: 'TYPE_MISMATCH',
      quarantineKey: 'a.jpg',
    });
    expect(body.filesNotListed).toBe(0);
  });

  it('lists at most alertMaxKeys files and says how many were left out', () => {
    const files = Array.from({ length: 30 }, (_, i) => ({ ...empty, key: `e${i}` }));
    const body = JSON.parse(
      buildAlert({ files, poisonMessages: 0 }, NotifyMode.FAILURES, 5)?.message ?? '{}',
    );
    expect(body.files).toHaveLength(5);
    expect(body.filesNotListed).toBe(25);
  });

  it('reports poison messages even when no file failed', () => {
    const alert = buildAlert({ files: [], poisonMessages: 2 }, NotifyMode.FAILURES, 20);
    expect(alert?.attributes).toEqual({ status: ['POISON'] });
    expect(alert?.subject).toBe('Silent Scalper: 2 poison');
  });

  it('in all mode, reports clean batches too, problems listed first', () => {
    const alert = buildAlert({ files: [processed, blocked], poisonMessages: 0 }, NotifyMode.ALL, 20);
    expect(alert?.attributes).toEqual({ status: ['QUARANTINED', 'PROCESSED'], reason: ['BLOCKED_TYPE'] });
    expect(JSON.parse(alert?.message ?? '{}').files.map((f: { key: string }) => f.key)).toEqual([
      'x.exe',
      'ok.png',
    ]);
    expect(buildAlert({ files: [processed], poisonMessages: 0 }, NotifyMode.ALL, 20)?.attributes).toEqual({
      status: ['PROCESSED'],
    });
    expect(buildAlert({ files: [], poisonMessages: 0 }, NotifyMode.ALL, 20)).toBeUndefined();
  });

  it('keeps the subject within the 100 characters SNS allows', () => {
    const files = [processed, empty, failed, { ...processed, status: 'GONE' }];
    expect(
      buildAlert({ files, poisonMessages: 99999 }, NotifyMode.ALL, 20)?.subject.length,
    ).toBeLessThanOrEqual(100);
  });
});
