import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterSender } from '../pipeline/ports.ts';

/** The SQS implementation of the dead-letter port: SendMessage to the DLQ with String attributes. */
export const createSqsDeadLetterSender = (sqs: SQSClient, queueUrl: string): DeadLetterSender => ({
  async send(message) {
    const attributes: Record<string, MessageAttributeValue> = {};
    // SQS rejects empty attribute values.
    for (const [name, value] of Object.entries(message.attributes))
      if (value !== '') attributes[name] = { DataType: 'String', StringValue: value };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        MessageAttributes: attributes,
      }),
    );
  },
});
