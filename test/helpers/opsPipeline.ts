import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import type { AwsClients } from '../../src/adapters/awsClients.ts';
import type { IngestHandler } from '../../src/handlers/ingest.ts';
import { createLambdaContext } from '../../src/local/lambdaContext.ts';
import { toSqsEvent } from '../../src/local/sqsEvent.ts';
import { queueCounts } from './localPipeline.ts';

/** Receive everything visible in a queue (bounded), with all attributes. */
export const receiveAll = async (
  clients: AwsClients,
  queueUrl: string,
  options: { visibilityTimeoutSeconds?: number; maxRounds?: number } = {},
): Promise<Message[]> => {
  const all = new Map<string, Message>();
  let empty = 0;
  for (let round = 0; round < (options.maxRounds ?? 50) && empty < 2; round++) {
    const out = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !all.has(m.MessageId));
    for (const m of fresh) all.set(m.MessageId as string, m);
    empty = fresh.length === 0 ? empty + 1 : 0;
  }
  return [...all.values()];
};

/**
 * Play a consumer in an outage: receive every message of the queue with visibility 0, again and again,
 * without deleting, until SQS's redrive policy has moved them all to the DLQ (after maxReceiveCount).
 */
export const failUntilDeadLettered = async (
  clients: AwsClients,
  queueUrl: string,
  maxReceiveCount: number,
): Promise<void> => {
  for (let round = 0; round < maxReceiveCount * 20; round++) {
    const out = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    if ((out.Messages ?? []).length === 0) {
      const depth = await queueCounts(clients, queueUrl);
      if (depth.visible + depth.inFlight === 0) return;
    }
  }
  throw new Error('messages did not reach the DLQ');
};

const context = (): Context =>
  createLambdaContext({
    functionName: 'silent-scalper-ingest',
    region: 'us-east-1',
    timeoutMs: 30_000,
    memorySizeMb: 512,
  });

/**
 * One Lambda-style invocation on what the queue holds now: receive (up to 10), invoke the handler with
 * the SQSEvent, delete the messages it did not report as failed. Returns how many were received.
 */
export const invokeOnQueue = async (
  clients: AwsClients,
  queue: { url: string; arn: string },
  handler: IngestHandler,
): Promise<number> => {
  const out = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 30,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = out.Messages ?? [];
  if (messages.length === 0) return 0;
  const response = await handler(
    toSqsEvent(messages, { queueArn: queue.arn, region: 'us-east-1' }),
    context(),
  );
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
  if (done.length > 0)
    await clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: done.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  return messages.length;
};
