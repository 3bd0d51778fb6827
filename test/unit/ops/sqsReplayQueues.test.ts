import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { MoveTaskUnsupportedError } from '../../../src/ops/ports.ts';
import { isMoveTaskUnsupported, sqsReplayQueues } from '../../../src/ops/sqsReplayQueues.ts';

/** An SQS client that records commands and answers from a table keyed by command name. */
const fakeSqs = (answers: Record<string, (input: Record<string, unknown>) => unknown>) => {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    },
  };
  return { client: client as unknown as SQSClient, sent };
};

const urls = { dlqUrl: 'https://sqs/123/dlq', ingestQueueUrl: 'https://sqs/123/ingest' };
const arns = (input: Record<string, unknown>) => ({
  Attributes: { QueueArn: input.QueueUrl === urls.dlqUrl ? 'arn:dlq' : 'arn:ingest' },
});

describe('sqsReplayQueues', () => {
  it('starts a move task from the DLQ to the ingest queue at the given rate', async () => {
    const { client, sent } = fakeSqs({
      GetQueueAttributesCommand: arns,
      StartMessageMoveTaskCommand: () => ({ TaskHandle: 'h-1' }),
    });
    const handle = await sqsReplayQueues(client, urls).startMoveTask(25);
    expect(handle).toBe('h-1');
    expect(sent.at(-1)).toEqual({
      name: 'StartMessageMoveTaskCommand',
      input: { SourceArn: 'arn:dlq', DestinationArn: 'arn:ingest', MaxNumberOfMessagesPerSecond: 25 },
    });
  });

  it('turns an HTML answer (moto) into MoveTaskUnsupportedError', async () => {
    const { client } = fakeSqs({
      GetQueueAttributesCommand: arns,
      ListMessageMoveTasksCommand: () => {
        throw Object.assign(new SyntaxError(`Unexpected token '<', "<!doctype "... is not valid JSON`), {
          $metadata: { httpStatusCode: 500 },
        });
      },
    });
    await expect(sqsReplayQueues(client, urls).latestMoveTask()).rejects.toThrow(MoveTaskUnsupportedError);
  });

  it('tells unsupported APIs from real failures', () => {
    expect(isMoveTaskUnsupported(Object.assign(new Error('x'), { name: 'UnsupportedOperation' }))).toBe(true);
    expect(isMoveTaskUnsupported(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))).toBe(
      false,
    );
  });

  it('sends message attributes along and reports per-entry failures', async () => {
    const { client, sent } = fakeSqs({
      SendMessageBatchCommand: () => ({
        Successful: [{ Id: 's0' }],
        Failed: [{ Id: 's1', Code: 'InternalError', Message: 'try again' }],
      }),
    });
    const outcome = await sqsReplayQueues(client, urls).send([
      { id: 's0', body: '{}', messageAttributes: { 'silent-scalper-error': 'boom' } },
      { id: 's1', body: '{}', messageAttributes: {} },
    ]);
    expect(outcome).toEqual({ successful: ['s0'], failed: [{ id: 's1', message: 'try again' }] });
    expect(sent[0]?.input).toMatchObject({
      QueueUrl: urls.ingestQueueUrl,
      Entries: [
        {
          Id: 's0',
          MessageAttributes: { 'silent-scalper-error': { DataType: 'String', StringValue: 'boom' } },
        },
        { Id: 's1' },
      ],
    });
  });
});
