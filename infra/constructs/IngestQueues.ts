import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PipelineSettings } from '../../src/config/settings.ts';

/**
 * Largest SQS message the queues accept. An S3 event notification is a few KB; the pipeline needs at
 * least 64 KB, and 256 KiB leaves room for the error details the handler attaches to DLQ messages.
 */
export const QUEUE_MAX_MESSAGE_SIZE_BYTES = 256 * 1024;

/** Props of {@link IngestQueues}. */
export interface IngestQueuesProps {
  /** Visibility timeout, retention and maxReceiveCount come from here. */
  readonly settings: PipelineSettings;
}

/**
 * The ingest queue and its dead-letter queue. Both use SSE-SQS: a queue that S3 event notifications
 * feed cannot use the AWS-managed `aws/sqs` KMS key, because S3 cannot be granted access to it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html).
 */
export class IngestQueues extends Construct {
  /** The queue S3 notifies and the ingest function consumes. */
  public readonly queue: Queue;
  /** Where SQS moves a message after `maxReceiveCount` receives, and where poison messages go. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IngestQueuesProps) {
    super(scope, id);
    const s = props.settings;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(s.dlqRetentionSeconds),
      maxMessageSizeBytes: QUEUE_MAX_MESSAGE_SIZE_BYTES,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(s.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(s.queueRetentionSeconds),
      maxMessageSizeBytes: QUEUE_MAX_MESSAGE_SIZE_BYTES,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: s.maxReceiveCount },
    });
  }
}
