import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueStats } from './types.ts';

const count = (attributes: Partial<Record<string, string>> | undefined, name: QueueAttributeName): number =>
  Number(attributes?.[name] ?? 0);

/** Depths of the ingest queue (visible, in flight, delayed) and of its dead-letter queue. */
export const queueStats = async (sqs: SQSClient, queueUrl: string, dlqUrl: string): Promise<QueueStats> => {
  const [queue, dlq] = await Promise.all([
    sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    ),
    sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    ),
  ]);
  return {
    visible: count(queue.Attributes, 'ApproximateNumberOfMessages'),
    inFlight: count(queue.Attributes, 'ApproximateNumberOfMessagesNotVisible'),
    delayed: count(queue.Attributes, 'ApproximateNumberOfMessagesDelayed'),
    deadLetter: count(dlq.Attributes, 'ApproximateNumberOfMessages'),
  };
};
