import type {
  HistoryWriter,
  MoveTask,
  QuarantineLedger,
  QueueMessage,
  ReplayQueues,
  SqsBatchResult,
} from '../../src/ops/ports.ts';
import { MoveTaskUnsupportedError } from '../../src/ops/ports.ts';
import { ObjectGoneError, TargetExistsError } from '../../src/pipeline/errors.ts';
import type { AlertMessage, ObjectHead, ObjectStore } from '../../src/pipeline/ports.ts';
import type { FileRecord, HistoryStepRecord } from '../../src/pipeline/types.ts';

/** The body of an S3 event notification for these keys (percent-encoded as S3 writes them). */
export const s3EventBody = (bucket: string, keys: readonly string[]): string =>
  JSON.stringify({
    Records: keys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      eventTime: '2026-11-25T10:00:00.000Z',
      s3: {
        bucket: { name: bucket },
        object: { key: encodeURIComponent(key).replace(/%20/g, '+'), size: 5, eTag: 'abc' },
      },
    })),
  });

interface FakeMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Record<string, string>;
  hidden: boolean;
  receipt: number;
}

/**
 * An in-memory DLQ + ingest queue. Received messages stay hidden until deleted or made visible again
 * (no clock: a hold never expires on its own). `duplicateNextReceive` makes the next receive return its
 * first message twice, as SQS may.
 */
export class FakeReplayQueues implements ReplayQueues {
  readonly dlq: FakeMessage[] = [];
  readonly ingest: { body: string; messageAttributes: Record<string, string> }[] = [];
  readonly calls: string[] = [];
  duplicateNextReceive = false;
  /** Entry positions of the next send that fail. */
  failNextSend: number[] = [];
  moveTasks: MoveTask[] | 'unsupported' = 'unsupported';
  private nextId = 1;

  add(body: string, messageAttributes: Record<string, string> = {}): string {
    const messageId = `m-${this.nextId++}`;
    this.dlq.push({ messageId, body, messageAttributes, hidden: false, receipt: 0 });
    return messageId;
  }

  visibleIds(): string[] {
    return this.dlq.filter((m) => !m.hidden).map((m) => m.messageId);
  }

  async receive(maxMessages: number): Promise<QueueMessage[]> {
    this.calls.push('receive');
    const picked = this.dlq.filter((m) => !m.hidden).slice(0, maxMessages);
    const out = picked.map((m) => {
      m.hidden = true;
      m.receipt += 1;
      return {
        messageId: m.messageId,
        receiptHandle: `${m.messageId}#${m.receipt}`,
        body: m.body,
        attributes: {},
        messageAttributes: m.messageAttributes,
      };
    });
    if (this.duplicateNextReceive && out[0]) {
      this.duplicateNextReceive = false;
      out.push({ ...out[0] });
    }
    return out;
  }

  async send(
    entries: readonly { id: string; body: string; messageAttributes: Readonly<Record<string, string>> }[],
  ): Promise<SqsBatchResult> {
    this.calls.push(`send:${entries.length}`);
    if (new Set(entries.map((e) => e.id)).size !== entries.length)
      throw new Error('BatchEntryIdsNotDistinct');
    const failing = new Set(this.failNextSend);
    this.failNextSend = [];
    const successful: string[] = [];
    const failed: { id: string; message: string }[] = [];
    entries.forEach((e, i) => {
      if (failing.has(i)) failed.push({ id: e.id, message: 'injected send failure' });
      else {
        this.ingest.push({ body: e.body, messageAttributes: { ...e.messageAttributes } });
        successful.push(e.id);
      }
    });
    return { successful, failed };
  }

  private find(receiptHandle: string): FakeMessage | undefined {
    const [id, receipt] = receiptHandle.split('#');
    const m = this.dlq.find((x) => x.messageId === id);
    return m && String(m.receipt) === receipt ? m : undefined;
  }

  async delete(entries: readonly { id: string; receiptHandle: string }[]): Promise<SqsBatchResult> {
    this.calls.push(`delete:${entries.length}`);
    if (new Set(entries.map((e) => e.id)).size !== entries.length)
      throw new Error('BatchEntryIdsNotDistinct');
    const successful: string[] = [];
    const failed: { id: string; message: string }[] = [];
    for (const e of entries) {
      const m = this.find(e.receiptHandle);
      if (!m) failed.push({ id: e.id, message: 'ReceiptHandleIsInvalid' });
      else {
        this.dlq.splice(this.dlq.indexOf(m), 1);
        successful.push(e.id);
      }
    }
    return { successful, failed };
  }

  async changeVisibility(
    entries: readonly { id: string; receiptHandle: string }[],
    seconds: number,
  ): Promise<SqsBatchResult> {
    this.calls.push(`visibility:${entries.length}:${seconds}`);
    for (const e of entries) {
      const m = this.find(e.receiptHandle);
      if (m && seconds === 0) m.hidden = false;
    }
    return { successful: entries.map((e) => e.id), failed: [] };
  }

  async approximateDepth(): Promise<number> {
    return this.visibleIds().length;
  }

  async startMoveTask(): Promise<string> {
    this.calls.push('startMoveTask');
    if (this.moveTasks === 'unsupported') throw new MoveTaskUnsupportedError('no move tasks here');
    return 'task-1';
  }

  async latestMoveTask(): Promise<MoveTask | undefined> {
    if (this.moveTasks === 'unsupported') throw new MoveTaskUnsupportedError('no move tasks here');
    return this.moveTasks.length > 1 ? this.moveTasks.shift() : this.moveTasks[0];
  }

  async cancelMoveTask(taskHandle: string): Promise<number> {
    this.calls.push(`cancel:${taskHandle}`);
    return 7;
  }
}

// ---- quarantine retry fakes ----

/** One object in {@link FakeObjectStore}. */
export interface FakeObject {
  body: string;
  contentType?: string;
  metadata: Record<string, string>;
  etag: string;
  tags?: Record<string, string>;
}

/** An in-memory object store with S3's If-Match semantics on copy source and delete, If-None-Match on copy target. */
export class FakeObjectStore implements ObjectStore {
  readonly objects = new Map<string, FakeObject>();
  readonly calls: string[] = [];
  failCopy: Error | undefined;

  put(bucket: string, key: string, object: Omit<FakeObject, 'etag'> & { etag?: string }): void {
    this.objects.set(`${bucket}/${key}`, { ...object, etag: object.etag ?? `"etag-${object.body.length}"` });
  }

  get(bucket: string, key: string): FakeObject | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }

  async readPrefix(): Promise<never> {
    throw new Error('not used by ops');
  }

  async readSuffix(): Promise<never> {
    throw new Error('not used by ops');
  }

  async readRange(): Promise<never> {
    throw new Error('not used by ops');
  }

  async headObject(ref: { bucket: string; key: string; ifMatch?: string }): Promise<ObjectHead> {
    this.calls.push(`head ${ref.bucket}/${ref.key}`);
    const o = this.get(ref.bucket, ref.key);
    if (!o || (ref.ifMatch && ref.ifMatch !== o.etag)) throw new ObjectGoneError(ref.bucket, ref.key);
    return {
      size: o.body.length,
      ...(o.contentType ? { contentType: o.contentType } : {}),
      metadata: { ...o.metadata },
      etag: o.etag,
    };
  }

  async copyObject(args: Parameters<ObjectStore['copyObject']>[0]): Promise<{ etag?: string }> {
    this.calls.push(
      `copy ${args.source.bucket}/${args.source.key} -> ${args.target.bucket}/${args.target.key}`,
    );
    if (this.failCopy) throw this.failCopy;
    const o = this.get(args.source.bucket, args.source.key);
    if (!o || (args.source.ifMatch && args.source.ifMatch !== o.etag))
      throw new ObjectGoneError(args.source.bucket, args.source.key);
    if (args.target.ifNoneMatch && this.get(args.target.bucket, args.target.key))
      throw new TargetExistsError(args.target.bucket, args.target.key);
    this.put(args.target.bucket, args.target.key, {
      body: o.body,
      ...(args.contentType ? { contentType: args.contentType } : {}),
      metadata: { ...args.metadata },
      etag: o.etag,
      ...(args.tags ? { tags: { ...args.tags } } : { ...(o.tags ? { tags: o.tags } : {}) }),
    });
    return { etag: o.etag };
  }

  async deleteObject(ref: { bucket: string; key: string; ifMatch?: string }): Promise<void> {
    this.calls.push(`delete ${ref.bucket}/${ref.key}`);
    const o = this.get(ref.bucket, ref.key);
    if (!o || (ref.ifMatch && ref.ifMatch !== o.etag)) return;
    this.objects.delete(`${ref.bucket}/${ref.key}`);
  }

  async getObjectTags(ref: { bucket: string; key: string }): Promise<Record<string, string>> {
    const o = this.get(ref.bucket, ref.key);
    if (!o) throw new ObjectGoneError(ref.bucket, ref.key);
    return { ...o.tags };
  }

  async putObjectTags(ref: {
    bucket: string;
    key: string;
    tags: Readonly<Record<string, string>>;
  }): Promise<void> {
    this.calls.push(`tag ${ref.bucket}/${ref.key}`);
    const o = this.get(ref.bucket, ref.key);
    if (!o) throw new ObjectGoneError(ref.bucket, ref.key);
    o.tags = { ...ref.tags };
  }
}

/** The metadata table in memory: uploads and steps, with conditional step writes. */
export class FakeTable implements QuarantineLedger, HistoryWriter {
  readonly items: Array<FileRecord | HistoryStepRecord> = [];
  failPut: Error | undefined;

  async listQuarantined({
    since,
    maxRecords,
  }: {
    since?: string;
    maxRecords: number;
  }): Promise<FileRecord[]> {
    return this.items
      .filter((i): i is FileRecord => i.recordType === 'UPLOAD' && i.status === 'QUARANTINED')
      .filter((i) => since === undefined || i.processedAt >= since)
      .sort((a, b) => (a.processedAt < b.processedAt ? 1 : -1))
      .slice(0, maxRecords);
  }

  async fileHistory(bucket: string, key: string) {
    const mine = this.items
      .filter((i) => i.bucket === bucket && i.key === key)
      .sort((a, b) => (a.sk < b.sk ? -1 : 1));
    return {
      uploads: mine.filter((i): i is FileRecord => i.recordType === 'UPLOAD'),
      steps: mine.filter((i): i is HistoryStepRecord => i.recordType === 'STEP'),
    };
  }

  async putStep(step: HistoryStepRecord, options: { onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    if (this.failPut) throw this.failPut;
    const existing = this.items.findIndex((i) => i.pk === step.pk && i.sk === step.sk);
    if (existing >= 0 && options.onlyIfAbsent) return false;
    if (existing >= 0) this.items.splice(existing, 1);
    this.items.push(step);
    return true;
  }

  steps(key: string): HistoryStepRecord[] {
    return this.items.filter((i): i is HistoryStepRecord => i.recordType === 'STEP' && i.key === key);
  }
}

/** Collects published alerts. */
export class FakeAlerts {
  readonly published: AlertMessage[] = [];
  async publish(alert: AlertMessage): Promise<void> {
    this.published.push(alert);
  }
}
