import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parseS3EventBody } from '../pipeline/s3Event.ts';
import type { FileRecord } from '../pipeline/types.ts';
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

const uploadRecords = async (clients: OpsClients, table: string): Promise<FileRecord[]> => {
  const items: FileRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of page.Items ?? []) if (item.recordType === 'UPLOAD') items.push(item as FileRecord);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

/** `bucket/key` of each record of an S3 event body; none for a poison body. */
const filesOf = (body: string): string[] => {
  try {
    const parsed = parseS3EventBody(body);
    return parsed.kind === 'records' ? parsed.records.map((r) => `${r.bucket}/${r.key}`) : [];
  } catch {
    return [];
  }
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
  const finished = finishedUploadsOf(await uploadRecords(clients, target.metadataTable));
  const byClass: Record<DlqClass, number> = { poison: 0, notFinished: 0, finished: 0 };
  const toReplay: Message[] = [];
  const toDrop: Message[] = [];
  const toKeep: Message[] = [];
  const seen = new Set<string>();
  const sorted: SortedDeadLetter[] = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: target.dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !seen.has(m.MessageId));
    empty = fresh.length === 0 ? empty + 1 : 0;
    for (const m of fresh) {
      seen.add(m.MessageId ?? '');
      const cls = classifyDeadLetter(m.Body ?? '', finished);
      byClass[cls] += 1;
      sorted.push({ messageId: m.MessageId ?? '', class: cls, files: filesOf(m.Body ?? '') });
      if (options.dryRun) toKeep.push(m);
      else if (options.replay?.includes(cls)) toReplay.push(m);
      else if (options.drop?.includes(cls)) toDrop.push(m);
      else toKeep.push(m);
    }
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
