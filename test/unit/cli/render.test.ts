import { describe, expect, it } from 'vitest';
import { renderFileTable } from '../../../src/cli/commands/files.ts';
import { renderHistory } from '../../../src/cli/commands/show.ts';
import { FileStatus, HistoryStep, QuarantineReason } from '../../../src/pipeline/constants.ts';
import { makeFileRecord, makeStepRecord } from '../../helpers/trackingRecords.ts';

describe('files table', () => {
  it('shows time, status, reason, size, type and key per record', () => {
    // Prepare
    const records = [
      makeFileRecord({
        key: 'a/report.pdf',
        processedAt: '2026-11-25T10:00:02.123Z',
        mime: 'application/pdf',
      }),
      makeFileRecord({
        key: 'a/empty.txt',
        processedAt: '2026-11-25T10:00:01.000Z',
        status: FileStatus.QUARANTINED,
        reason: QuarantineReason.EMPTY_FILE,
        size: 0,
        quarantineBucket: 'q',
        quarantineKey: 'a/empty.txt@e:d41d8',
        quarantineVersionId: 'v1',
      }),
    ];
    // Act
    const lines = renderFileTable(records).split('\n');
    // Assess
    expect(lines[0]).toMatch(/^PROCESSED \(UTC\)\s+STATUS\s+REASON\s+SIZE\s+TYPE\s+KEY\s+QUARANTINED AS$/);
    expect(lines[2]).toMatch(
      /^2026-11-25 10:00:02\s+PROCESSED\s+1\.2 KiB\s+application\/pdf\s+a\/report\.pdf\s*$/,
    );
    // The exact object and version that holds the quarantined upload.
    expect(lines[3]).toMatch(
      /QUARANTINED\s+EMPTY_FILE\s+0 B\s+-\s+a\/empty\.txt\s+s3:\/\/q\/a\/empty\.txt@e:d41d8\?versionId=v1$/,
    );
  });
});

describe('history', () => {
  it('tells the current state, then uploads and steps in time order with their details', () => {
    // Prepare
    const key = 'in/data 1.csv';
    const failed = makeFileRecord({
      key,
      processedAt: '2026-11-25T10:00:00.000Z',
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      error: 'TransientError: throttled',
      quarantineBucket: 'silent-scalper-quarantine',
      quarantineKey: key,
      receiveCount: 5,
      uploadId: 'v1',
    });
    const step = makeStepRecord({
      key,
      step: HistoryStep.RETRIED,
      at: '2026-11-25T11:00:00.000Z',
      attempt: 1,
    });
    const ok = makeFileRecord({
      key,
      processedAt: '2026-11-25T11:00:01.000Z',
      mime: 'text/csv',
      uploadId: 'v2',
    });
    // Act
    const text = renderHistory({
      bucket: 'silent-scalper-input',
      key,
      uploads: [failed, ok],
      steps: [step],
      entries: [failed, step, ok],
    });
    // Assess
    expect(text.split('\n')[0]).toBe(
      's3://silent-scalper-input/in/data 1.csv: 2 upload(s), 1 step(s); now PROCESSED',
    );
    const order = [
      'Upload 1',
      'PROCESSING_FAILED',
      'quarantined to: s3://silent-scalper-quarantine/in/data 1.csv',
      'RETRIED',
      'Upload 2',
    ].map((s) => text.indexOf(s));
    expect(order.every((pos) => pos >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain('error:          TransientError: throttled');
    expect(text).toContain('receives:       5');
  });
});
