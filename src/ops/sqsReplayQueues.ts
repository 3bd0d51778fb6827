import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import {
  type MoveTask,
  MoveTaskUnsupportedError,
  type QueueMessage,
  type ReplayQueues,
  type SqsBatchResult,
} from './ports.ts';

/** Where the replay reads from and writes to. */
export interface ReplayQueueUrls {
  readonly dlqUrl: string;
  readonly ingestQueueUrl: string;
}

/**
 * True when an error means "this endpoint has no message move task API": moto answers those actions
 * with an HTML page, which the SDK reports as a deserialization `SyntaxError`; other emulators answer
 * `UnsupportedOperation`/`InvalidAction`/`UnknownOperation`.
 */
export const isMoveTaskUnsupported = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const name = error.name;
  return (
    name === 'SyntaxError' ||
    /Deserialization error/i.test(error.message) ||
    /UnsupportedOperation|InvalidAction|UnknownOperation|NotImplemented/i.test(name)
  );
};

const outcome = (
  successful: readonly { Id?: string | undefined }[] | undefined,
  failed:
    | readonly { Id?: string | undefined; Message?: string | undefined; Code?: string | undefined }[]
    | undefined,
): SqsBatchResult => ({
  successful: (successful ?? []).map((s) => s.Id ?? ''),
  failed: (failed ?? []).map((f) => ({ id: f.Id ?? '', message: f.Message ?? f.Code ?? 'failed' })),
});

const stringAttributes = (
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, string> => {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value.StringValue !== undefined) result[name] = value.StringValue;
  }
  return result;
};

/** A received SQS message as the replay sees it (string attributes only). */
const toQueueMessage = (m: Message): QueueMessage[] =>
  m.MessageId && m.ReceiptHandle
    ? [
        {
          messageId: m.MessageId,
          receiptHandle: m.ReceiptHandle,
          body: m.Body ?? '',
          attributes: { ...(m.Attributes ?? {}) },
          messageAttributes: stringAttributes(m.MessageAttributes),
        },
      ]
    : [];

/** String message attributes in the shape SendMessageBatch takes (none: the field is left out). */
const messageAttributesOf = (attributes: Readonly<Record<string, string>>) =>
  Object.keys(attributes).length > 0
    ? {
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        ),
      }
    : {};

/** The message calls of the replay: receive from the DLQ, send to the ingest queue, delete, release. */
const sqsMessageCalls = (
  sqs: SQSClient,
  urls: ReplayQueueUrls,
): Omit<ReplayQueues, 'startMoveTask' | 'latestMoveTask' | 'cancelMoveTask'> => ({
  async receive(maxMessages, visibilityTimeoutSeconds, waitTimeSeconds) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: urls.dlqUrl,
        MaxNumberOfMessages: maxMessages,
        VisibilityTimeout: visibilityTimeoutSeconds,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return (out.Messages ?? []).flatMap(toQueueMessage);
  },
  async send(entries) {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: urls.ingestQueueUrl,
        Entries: entries.map((e) => ({
          Id: e.id,
          MessageBody: e.body,
          ...messageAttributesOf(e.messageAttributes),
        })),
      }),
    );
    return outcome(out.Successful, out.Failed);
  },
  async delete(entries) {
    const out = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: urls.dlqUrl,
        Entries: entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle })),
      }),
    );
    return outcome(out.Successful, out.Failed);
  },
  async changeVisibility(entries, visibilityTimeoutSeconds) {
    const out = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: urls.dlqUrl,
        Entries: entries.map((e) => ({
          Id: e.id,
          ReceiptHandle: e.receiptHandle,
          VisibilityTimeout: visibilityTimeoutSeconds,
        })),
      }),
    );
    return outcome(out.Successful, out.Failed);
  },
  async approximateDepth() {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: urls.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  },
});

/** A queue's ARN (move tasks name queues by ARN), read once per URL. */
const queueArnReader = (sqs: SQSClient) => {
  const arns = new Map<string, string>();
  return async (url: string): Promise<string> => {
    const known = arns.get(url);
    if (known) return known;
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = out.Attributes?.QueueArn;
    if (!arn) throw new Error(`no QueueArn for ${url}`);
    arns.set(url, arn);
    return arn;
  };
};

/** A move-task call, with "not implemented here" (moto answers HTML) turned into {@link MoveTaskUnsupportedError}. */
const moveTaskCall = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (isMoveTaskUnsupported(error))
      throw new MoveTaskUnsupportedError('this endpoint does not implement SQS message move tasks', {
        cause: error,
      });
    throw error;
  }
};

/** The task the SQS API describes (ListMessageMoveTasks result entry). */
const toMoveTask = (task: ListMessageMoveTasksResultEntry): MoveTask => ({
  ...(task.TaskHandle ? { taskHandle: task.TaskHandle } : {}),
  status: task.Status ?? 'UNKNOWN',
  approximateMoved: task.ApproximateNumberOfMessagesMoved ?? 0,
  ...(task.ApproximateNumberOfMessagesToMove !== undefined
    ? { approximateToMove: task.ApproximateNumberOfMessagesToMove }
    : {}),
  ...(task.FailureReason ? { failureReason: task.FailureReason } : {}),
});

/** The server-side move task calls of the replay (StartMessageMoveTask and friends). */
const sqsMoveTaskCalls = (
  sqs: SQSClient,
  urls: ReplayQueueUrls,
): Pick<ReplayQueues, 'startMoveTask' | 'latestMoveTask' | 'cancelMoveTask'> => {
  const queueArn = queueArnReader(sqs);
  return {
    async startMoveTask(maxPerSecond) {
      const [sourceArn, destinationArn] = [await queueArn(urls.dlqUrl), await queueArn(urls.ingestQueueUrl)];
      const out = await moveTaskCall(() =>
        sqs.send(
          new StartMessageMoveTaskCommand({
            SourceArn: sourceArn,
            DestinationArn: destinationArn,
            ...(maxPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: maxPerSecond } : {}),
          }),
        ),
      );
      if (!out.TaskHandle) throw new Error('StartMessageMoveTask returned no task handle');
      return out.TaskHandle;
    },
    async latestMoveTask() {
      const sourceArn = await queueArn(urls.dlqUrl);
      const out = await moveTaskCall(() =>
        sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 })),
      );
      const task = out.Results?.[0];
      return task ? toMoveTask(task) : undefined;
    },
    async cancelMoveTask(taskHandle) {
      const out = await moveTaskCall(() =>
        sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: taskHandle })),
      );
      return out.ApproximateNumberOfMessagesMoved ?? 0;
    },
  };
};

/** The SQS implementation of {@link ReplayQueues}. */
export const sqsReplayQueues = (sqs: SQSClient, urls: ReplayQueueUrls): ReplayQueues => ({
  ...sqsMessageCalls(sqs, urls),
  ...sqsMoveTaskCalls(sqs, urls),
});
