import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../../src/dashboard/timeline.ts';
import { FileStatus, HistoryStep, QuarantineReason } from '../../../src/pipeline/constants.ts';
import { makeFileRecord, makeStepRecord } from '../../helpers/trackingRecords.ts';

describe('buildTimeline', () => {
  it('tells a retried file’s story in order: received → sniffed → quarantined → retried → received → stored', () => {
    // Prepare
    const key = 'dump/flaky.csv';
    const failed = makeFileRecord({
      key,
      eventTime: '2026-11-25T10:00:00.000Z',
      processedAt: '2026-11-25T10:00:30.000Z',
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      error: 'TransientError: injected',
      durationMs: 40,
      queueLatencyMs: 29_900,
      receiveCount: 5,
      quarantineBucket: 'silent-scalper-quarantine',
      quarantineKey: key,
    });
    const retried = makeStepRecord({
      key,
      step: HistoryStep.RETRIED,
      at: '2026-11-25T10:05:00.000Z',
      attempt: 1,
    });
    const ok = makeFileRecord({
      key,
      eventTime: '2026-11-25T10:05:00.100Z',
      processedAt: '2026-11-25T10:05:01.000Z',
      mime: 'text/csv',
      ext: 'csv',
      declaredContentType: 'text/csv',
      sniffMs: 3,
      attempt: 1,
    });
    // Act
    const timeline = buildTimeline({
      bucket: ok.bucket,
      key,
      uploads: [ok, failed],
      steps: [retried],
      entries: [],
    });
    // Assess
    expect(timeline.status).toBe(FileStatus.PROCESSED);
    expect(timeline.entries.map((e) => e.kind)).toEqual([
      'received',
      'started',
      'quarantined',
      'retried',
      'received',
      'started',
      'sniffed',
      'stored',
    ]);
    const quarantined = timeline.entries.find((e) => e.kind === 'quarantined');
    expect(quarantined?.details).toMatchObject({
      reason: 'PROCESSING_FAILED',
      error: 'TransientError: injected',
      'moved to': `s3://silent-scalper-quarantine/${key}`,
    });
    expect(timeline.entries.find((e) => e.kind === 'sniffed')?.details).toMatchObject({
      sniffed: 'text/csv .csv',
      declared: 'text/csv',
    });
    expect(timeline.entries.find((e) => e.kind === 'started')?.details['waited in queue']).toBe('29900 ms');
  });
});
