import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertPublisher } from '../pipeline/ports.ts';

/**
 * The SNS implementation of the alert port. Array attributes are sent as `String.Array` (a JSON array),
 * which filter policies match element by element.
 */
export const createSnsAlertPublisher = (sns: SNSClient, topicArn: string): AlertPublisher => ({
  async publish(alert) {
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(alert.attributes)) {
      attributes[name] =
        typeof value === 'string'
          ? { DataType: 'String', StringValue: value }
          : { DataType: 'String.Array', StringValue: JSON.stringify(value) };
    }
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: alert.subject,
        Message: alert.message,
        MessageAttributes: attributes,
      }),
    );
  },
});
