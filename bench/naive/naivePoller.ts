import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../../src/adapters/awsClients.ts';
import { type NaiveS3Event, type NaiveTarget, naiveHandler } from './naiveHandler.ts';

/**
 * Drive {@link naiveHandler} the way S3 → Lambda invokes it: one invocation per S3 event. Locally the
 * events come from the same queue as Silent Scalper's, so each of `concurrency` loops receives ONE
 * message, invokes the handler with its event and deletes it. Resolves after `files` events.
 */
export const runNaive = async (args: {
  readonly clients: AwsClients;
  readonly queueUrl: string;
  readonly target: NaiveTarget;
  readonly files: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
}): Promise<{ files: number; elapsedMs: number }> => {
  const { clients } = args;
  const deadline = Date.now() + args.timeoutMs;
  const started = performance.now();
  // Timed to the moment the last file is done, not to when the other loops' long polls return.
  let finishedAt: number | undefined;
  let handled = 0;
  const loop = async () => {
    while (handled < args.files) {
      if (Date.now() > deadline)
        throw new Error(`naive: only ${handled} of ${args.files} files within the timeout`);
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: args.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
      );
      for (const message of Messages) {
        const event = JSON.parse(message.Body ?? '{}') as NaiveS3Event;
        await naiveHandler(event, clients, args.target);
        await clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: args.queueUrl, ReceiptHandle: message.ReceiptHandle ?? '' }),
        );
        handled += event.Records?.length ?? 0;
        if (handled >= args.files) finishedAt ??= performance.now();
      }
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, loop));
  return { files: handled, elapsedMs: (finishedAt ?? performance.now()) - started };
};
