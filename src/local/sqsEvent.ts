import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttribute, SQSRecord } from 'aws-lambda';

/** The queue a record came from, as Lambda names it in every record. */
export interface SqsEventSource {
  readonly queueArn: string;
  readonly region: string;
}

/** An SQS message attribute as the SDK returns it → Lambda's camel-cased shape (binary as base64). */
const toLambdaAttribute = (value: MessageAttributeValue): SQSMessageAttribute => ({
  ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
  ...(value.BinaryValue !== undefined
    ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
    : {}),
  stringListValues: value.StringListValues ?? [],
  binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
  dataType: value.DataType ?? 'String',
});

/**
 * One received SQS message → the record Lambda's SQS event source mapping passes to the function
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event):
 * system attributes as strings (ApproximateReceiveCount, SentTimestamp, SenderId,
 * ApproximateFirstReceiveTimestamp, …), message attributes camel-cased, `eventSource` `aws:sqs`.
 */
export const toSqsRecord = (message: Message, source: SqsEventSource): SQSRecord => {
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, toLambdaAttribute(value)]),
  );
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ...(message.Attributes as SQSRecord['attributes']) },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
};

/** A batch of received messages → the `SQSEvent` of one invocation. */
export const toSqsEvent = (messages: readonly Message[], source: SqsEventSource): SQSEvent => ({
  Records: messages.map((m) => toSqsRecord(m, source)),
});
