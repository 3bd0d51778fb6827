import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { parseS3EventBody } from '../pipeline/s3Event.ts';
import type { FileRecord } from '../pipeline/types.ts';
import { fileHistory } from '../tracking/fileHistory.ts';
import { classifyDeadLetter, type DlqClass, finishedUploadsOf } from './checkConsistency.ts';
import type { OpsClients } from './opsClients.ts';

/** Where {@link sortDeadLetters} works. */
export interface DeadLetterTarget {
  readonly metadataTable: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/** Options of {@link sortDeadLetters}. */
export interface SortDeadLettersOptions {
  /** Send the messages of these classes back to the ingest queue. @default [] */
  readonly replay?: readonly DlqClass[];
  /** Delete the messages of these classes (`finished`: their work is done). @default [] */
  readonly drop?: readonly DlqClass[];
  /** Only count what would be done. @default false */
  readonly dryRun?: boolean;
}

/** One DLQ message as {@link sortDeadLetters} judged it. */
export interface SortedDeadLetter {
  readonly messageId: string;
  readonly class: DlqClass;
  /** `bucket/key` of each S3 record the message holds (raw upload text: escape before printing). */
  readonly files: readonly string[];
}

/** What {@link sortDeadLetters} found and did. */
export interface SortDeadLettersResult {
  readonly byClass: Record<DlqClass, number>;
  /** Every message and its class, in the order received (so an operator sees which is which). */
  readonly messages: readonly SortedDeadLetter[];
  readonly replayed: number;
  readonly dropped: number;
  /** Messages left in the DLQ (visible again). */
  readonly kept: number;
}

/**
 * The uploads of these files that have a final record, read per file (one Query of its history
 * partition each) rather than by scanning the table: the cost grows with the DLQ, not the table, and
 * the operator role needs only the `dynamodb:Query` it has for `show`.
 */
const finishedUploadsOfFiles = async (
  clients: OpsClients,
  table: string,
  files: ReadonlyArray<{ readonly bucket: string; readonly key: string }>,
): Promise<Set<string>> => {
  const records: FileRecord[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const id = `${file.bucket}\u0000${file.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    records.push(...(await fileHistory(clients.dynamo, table, file.bucket, file.key)).uploads);
  }
  return finishedUploadsOf(records);
};

/** The files (bucket, decoded key) an S3 event body names; none for a poison body. */
const filesIn = (body: string): Array<{ bucket: string; key: string }> => {
  try {
    const parsed = parseS3EventBody(body);
    return parsed.kind === 'records' ? parsed.records.map((r) => ({ bucket: r.bucket, key: r.key })) : [];
  } catch {
    return [];
  }
};

/** Every DLQ message, each received once (hidden for 60 s while it is sorted). */
const receiveAll = async (clients: OpsClients, dlqUrl: string): Promise<Message[]> => {
  const received: Message[] = [];
  const seen = new Set<string>();
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    empty = fresh.length === 0 ? empty + 1 : 0;
    for (const m of fresh) seen.add(m.MessageId ?? '');
    received.push(...fresh);
  }
  return received;
};

const inTens = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / 10) }, (_, i) => items.slice(i * 10, i * 10 + 10));

/** Delete messages from the DLQ, ten at a time; returns how many SQS confirmed. */
const deleteAll = async (
  clients: OpsClients,
  dlqUrl: string,
  messages: readonly Message[],
): Promise<number> => {
  let deleted = 0;
  for (const part of inTens(messages)) {
    const out = await clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: part.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    deleted += out.Successful?.length ?? 0;
  }
  return deleted;
};

/**
 * Sort the DLQ by class (poison / file not finished / file already finished, judged against the table):
 * replay some classes to the ingest queue, drop others, keep the rest. A replayed message is sent before
 * it is deleted, so a failure in between duplicates it (harmless: the pipeline recognises a finished
 * upload) but never loses it. Each message is received once; kept ones are made visible again.
 */
export const sortDeadLetters = async (
  clients: OpsClients,
  target: DeadLetterTarget,
  options: SortDeadLettersOptions = {},
): Promise<SortDeadLettersResult> => {
  const received = await receiveAll(clients, target.dlqUrl);
  const finished = await finishedUploadsOfFiles(
    clients,
    target.metadataTable,
    received.flatMap((m) => filesIn(m.Body ?? '')),
  );
  const byClass: Record<DlqClass, number> = { poison: 0, notFinished: 0, finished: 0 };
  const toReplay: Message[] = [];
  const toDrop: Message[] = [];
  const toKeep: Message[] = [];
  const sorted: SortedDeadLetter[] = [];
  for (const m of received) {
    const cls = classifyDeadLetter(m.Body ?? '', finished);
    byClass[cls] += 1;
    const files = filesIn(m.Body ?? '').map((f) => `${f.bucket}/${f.key}`);
    sorted.push({ messageId: m.MessageId ?? '', class: cls, files });
    if (options.dryRun) toKeep.push(m);
    else if (options.replay?.includes(cls)) toReplay.push(m);
    else if (options.drop?.includes(cls)) toDrop.push(m);
    else toKeep.push(m);
  }
  const sentBack: Message[] = [];
  for (const part of inTens(toReplay)) {
    const sent = await clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: target.queueUrl,
        Entries: part.map((m, i) => ({ Id: `m${i}`, MessageBody: m.Body ?? '' })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    sentBack.push(...part.filter((_, i) => ok.has(`m${i}`)));
    toKeep.push(...part.filter((_, i) => !ok.has(`m${i}`)));
  }
  // Counted apart: a replayed message whose delete fails still counts as replayed (it comes back to the
  // DLQ after its visibility timeout), and it must not lower the count of dropped ones.
  await deleteAll(clients, target.dlqUrl, sentBack);
  const dropped = await deleteAll(clients, target.dlqUrl, toDrop);
  for (const part of inTens(toKeep))
    await clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: target.dlqUrl,
        Entries: part.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  return { byClass, messages: sorted, replayed: sentBack.length, dropped, kept: toKeep.length };
};
