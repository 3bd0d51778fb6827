import { createServer, type Server } from 'node:net';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { freePort, MotoStartError, PortInUseError, startMoto } from '../../src/local/moto/motoServer.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();

const sqsClient = () =>
  new SQSClient({
    endpoint: moto().endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

const counts = async (sqs: SQSClient, queueUrl: string, names: string[] = ['All']) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names as never }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    notVisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
  };
};

const sendBatch = (sqs: SQSClient, queueUrl: string, prefix: string, delaySeconds = 0) =>
  sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: Array.from({ length: 10 }, (_, i) => ({
        Id: `m${i}`,
        MessageBody: JSON.stringify({ prefix, i }),
        ...(delaySeconds ? { DelaySeconds: delaySeconds } : {}),
      })),
    }),
  );

describe('moto launched through the patched launcher', () => {
  it('keeps SendMessageBatch and ReceiveMessage at hundreds per second with 5,000 queued, counts exact', async () => {
    // Prepare
    const sqs = sqsClient();
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'depth', Attributes: { VisibilityTimeout: '300' } }),
    );
    for (let b = 0; b < 400; b++) await sendBatch(sqs, queueUrl, `fill${b}`);

    // Act: the last 1,000 sends land on a queue already holding 4,000 messages
    const sendStart = performance.now();
    for (let b = 0; b < 100; b++) await sendBatch(sqs, queueUrl, `deep${b}`);
    const sendRate = 1000 / ((performance.now() - sendStart) / 1000);

    const received: Message[] = [];
    const receiveStart = performance.now();
    for (let r = 0; r < 50; r++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      received.push(...Messages);
    }
    const receiveRate = received.length / ((performance.now() - receiveStart) / 1000);

    // Assess: a generous floor (unpatched moto measured 9 msg/s here; patched ~500–1,300/s)
    console.info(
      `moto at 5,000 queued: SendMessageBatch ${sendRate.toFixed(0)} msg/s, ReceiveMessage ${receiveRate.toFixed(0)} msg/s`,
    );
    expect(received).toHaveLength(500);
    expect(sendRate).toBeGreaterThan(100);
    expect(receiveRate).toBeGreaterThan(100);
    expect(await counts(sqs, queueUrl)).toEqual({ visible: 4500, notVisible: 500, delayed: 0 });

    // Delayed messages and deletes are counted too, asked for by name rather than 'All'
    await sendBatch(sqs, queueUrl, 'later', 60);
    const first = received.slice(0, 200);
    for (let i = 0; i < first.length; i += 10) {
      const { Successful = [] } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: first.slice(i, i + 10).map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      expect(Successful).toHaveLength(10);
    }
    expect(
      await counts(sqs, queueUrl, [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ]),
    ).toEqual({ visible: 4500, notVisible: 300, delayed: 10 });
    sqs.destroy();
  });

  it('still rejects unknown receipt handles and accepts a second delete of the same message', async () => {
    // Prepare
    const sqs = sqsClient();
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'receipts' }));
    await sendBatch(sqs, queueUrl, 'r');
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 2 }),
    );
    const handle = Messages[0]?.ReceiptHandle;

    // Act
    const once = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'good', ReceiptHandle: handle },
          { Id: 'bogus', ReceiptHandle: 'not-a-receipt-handle' },
        ],
      }),
    );
    const again = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'again', ReceiptHandle: handle }],
      }),
    );

    // Assess
    expect(once.Successful?.map((s) => s.Id)).toEqual(['good']);
    expect(once.Failed?.map((f) => [f.Id, f.Code])).toEqual([['bogus', 'ReceiptHandleIsInvalid']]);
    expect(again.Successful?.map((s) => s.Id)).toEqual(['again']);
    expect(await counts(sqs, queueUrl)).toEqual({ visible: 8, notVisible: 1, delayed: 0 });
    sqs.destroy();
  });

  it('never hands the same message to two concurrent pollers', async () => {
    // Prepare: 1,000 messages, 8 pollers (unpatched moto gave 2–3 duplicates per 2,000 here)
    const sqs = sqsClient();
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'pollers', Attributes: { VisibilityTimeout: '300' } }),
    );
    for (let b = 0; b < 100; b++) await sendBatch(sqs, queueUrl, `p${b}`);
    const seen: string[] = [];

    // Act
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let round = 0; round < 200; round++) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          if (Messages.length === 0) return;
          seen.push(...Messages.map((m) => m.MessageId ?? ''));
        }
      }),
    );

    // Assess
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    sqs.destroy();
  });

  it('loses and resurrects nothing while pollers receive and delete and a sender adds messages', async () => {
    // Prepare: 2,000 queued (unpatched, concurrent deletes could put back each other's messages)
    const sqs = sqsClient();
    const { QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'churn', Attributes: { VisibilityTimeout: '300' } }),
    );
    for (let b = 0; b < 200; b++) await sendBatch(sqs, queueUrl, `c${b}`);
    const seen: string[] = [];
    let sending = true;

    // Act: 8 pollers drain while 500 more arrive
    const sender = (async () => {
      for (let b = 0; b < 50; b++) await sendBatch(sqs, queueUrl, `late${b}`);
      sending = false;
    })();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let round = 0; round < 1000; round++) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          if (Messages.length === 0 && !sending) return;
          seen.push(...Messages.map((m) => m.MessageId ?? ''));
          if (Messages.length > 0)
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
              }),
            );
        }
      }),
    );
    await sender;

    // Assess: each message delivered once, and nothing left (a resurrected one would count as in flight)
    expect(new Set(seen).size).toBe(2500);
    expect(seen).toHaveLength(2500);
    expect(await counts(sqs, queueUrl)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
    sqs.destroy();
  });

  it('makes a received message visible again after its visibility timeout', async () => {
    // Prepare
    const sqs = sqsClient();
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'visibility' }));
    await sendBatch(sqs, queueUrl, 'v');
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 1 }),
    );

    // Act: long-poll until the messages come back (bounded by WaitTimeSeconds)
    const again = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );

    // Assess
    expect(first.Messages).toHaveLength(10);
    expect(again.Messages?.length).toBeGreaterThan(0);
    for (const m of again.Messages ?? []) expect(m.Attributes?.ApproximateReceiveCount).toBe('2');
    sqs.destroy();
  });
});

describe('startMoto on a taken port', () => {
  it('fails with an error naming the port and how to choose another', async () => {
    // Prepare: something else listens on the port
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));

    try {
      // Act
      const error = await startMoto({ port, portHint: '--port <n>' }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(PortInUseError);
      expect(error).toBeInstanceOf(MotoStartError);
      expect((error as Error).message).toContain(`port ${port}`);
      expect((error as Error).message).toContain('--port');
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });
});
