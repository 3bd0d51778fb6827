import type { Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createLambdaContext } from '../../../src/local/lambdaContext.ts';
import { toSqsEvent } from '../../../src/local/sqsEvent.ts';

const source = { queueArn: 'arn:aws:sqs:us-east-1:123456789012:silent-scalper-ingest', region: 'us-east-1' };

describe('toSqsEvent (the event Lambda builds from received messages)', () => {
  it('builds the record shape of an SQS-triggered Lambda event', () => {
    // Prepare: a message as ReceiveMessage returns it with All attributes
    const message: Message = {
      MessageId: 'mid-1',
      ReceiptHandle: 'rh-1',
      Body: '{"Records":[]}',
      MD5OfBody: 'md5-body',
      MD5OfMessageAttributes: 'md5-attrs',
      Attributes: {
        ApproximateReceiveCount: '2',
        SentTimestamp: '1700000000000',
        SenderId: 'AIDAIT2UOQQY3AUEKVGXU',
        ApproximateFirstReceiveTimestamp: '1700000000100',
      },
      MessageAttributes: {
        origin: { DataType: 'String', StringValue: 'test' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([104, 105]) },
      },
    };

    // Act
    const event = toSqsEvent([message], source);

    // Assess
    expect(event).toEqual({
      Records: [
        {
          messageId: 'mid-1',
          receiptHandle: 'rh-1',
          body: '{"Records":[]}',
          attributes: {
            ApproximateReceiveCount: '2',
            SentTimestamp: '1700000000000',
            SenderId: 'AIDAIT2UOQQY3AUEKVGXU',
            ApproximateFirstReceiveTimestamp: '1700000000100',
          },
          messageAttributes: {
            origin: { stringValue: 'test', stringListValues: [], binaryListValues: [], dataType: 'String' },
            blob: { binaryValue: 'aGk=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
          },
          md5OfBody: 'md5-body',
          md5OfMessageAttributes: 'md5-attrs',
          eventSource: 'aws:sqs',
          eventSourceARN: source.queueArn,
          awsRegion: 'us-east-1',
        },
      ],
    });
  });

  it('gives a message without attributes empty attribute maps', () => {
    const [record] = toSqsEvent(
      [{ MessageId: 'm', ReceiptHandle: 'r', Body: 'b', MD5OfBody: 'x' }],
      source,
    ).Records;
    expect(record?.messageAttributes).toEqual({});
    expect(record).not.toHaveProperty('md5OfMessageAttributes');
  });
});

describe('createLambdaContext', () => {
  it('counts the remaining time down from the function timeout, never below zero', () => {
    // Prepare
    let now = 1_000_000;
    const context = createLambdaContext({
      functionName: 'silent-scalper-ingest',
      timeoutMs: 2000,
      memorySizeMb: 512,
      region: 'us-east-1',
      now: () => now,
    });

    // Act / Assess
    expect(context.getRemainingTimeInMillis()).toBe(2000);
    now += 750;
    expect(context.getRemainingTimeInMillis()).toBe(1250);
    now += 5000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(context.invokedFunctionArn).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:silent-scalper-ingest',
    );
    expect(context.memoryLimitInMB).toBe('512');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
