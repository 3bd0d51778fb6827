import { DLQ_ATTRIBUTES } from '../pipeline/constants.ts';
import { parseS3EventBody } from '../pipeline/s3Event.ts';
import type { QueueMessage } from './ports.ts';

/** What a DLQ message holds, as far as replay cares. */
export interface ClassifiedMessage {
  /** `s3`: an S3 event with `ObjectCreated` records; `poison`: anything the handler could never process. */
  readonly kind: 's3' | 'poison';
  /** Bucket and decoded key of every `ObjectCreated` record (empty for poison). */
  readonly files: readonly { readonly bucket: string; readonly key: string }[];
  /** The error the handler attached when it sent the message to the DLQ, else why it is poison. */
  readonly error?: string;
  readonly errorName?: string;
}

/**
 * Classify a DLQ message with the handler's own parser, so replay and pipeline agree on what is poison:
 * not an S3 event, an `s3:TestEvent`, or an event without `ObjectCreated` records. Replayed, such a
 * message would only come back to the DLQ.
 */
export const classifyDlqMessage = (message: QueueMessage): ClassifiedMessage => {
  const attached = message.messageAttributes[DLQ_ATTRIBUTES.error];
  const errorName = message.messageAttributes[DLQ_ATTRIBUTES.errorName];
  const named = errorName ? { errorName } : {};
  let why: string;
  try {
    const parsed = parseS3EventBody(message.body);
    if (parsed.kind === 'records' && parsed.records.length > 0) {
      return {
        kind: 's3',
        files: parsed.records.map((r) => ({ bucket: r.bucket, key: r.key })),
        ...(attached ? { error: attached } : {}),
        ...named,
      };
    }
    why = parsed.kind === 'test' ? 's3:TestEvent' : 'no ObjectCreated records';
  } catch (error) {
    why = error instanceof Error ? error.message : String(error);
  }
  return { kind: 'poison', files: [], error: attached ?? why, ...named };
};
