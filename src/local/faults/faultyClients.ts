import { type AwsClients, createAwsClients } from '../../adapters/awsClients.ts';
import { type FaultInjector, FaultKind } from './faultInjector.ts';

interface MiddlewareContext {
  commandName?: string;
}
interface Args {
  input: Record<string, unknown>;
  request?: unknown;
}
interface Output {
  output: Record<string, unknown>;
  response?: unknown;
}
type Next = (args: Args) => Promise<Output>;
/** The part of an SDK v3 client's middleware stack this module uses. */
interface Stack {
  add(middleware: unknown, options: Record<string, unknown>): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An error shaped like the SDK's service exceptions, so `classifyError` sees what AWS would send. */
const serviceError = (name: string, status: number, message: string): Error =>
  Object.assign(new Error(`${message} (injected fault)`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1 },
  });

/** Each service's throttling answer. */
const throttlingError = (commandName: string, clientName: string): Error => {
  if (clientName.includes('S3')) return serviceError('SlowDown', 503, 'Please reduce your request rate.');
  if (
    clientName.includes('DynamoDB') ||
    commandName.startsWith('BatchWrite') ||
    commandName === 'QueryCommand'
  )
    return serviceError('ProvisionedThroughputExceededException', 400, 'Throughput exceeds the limit.');
  return serviceError('ThrottlingException', 400, 'Rate exceeded.');
};

/** A network failure after the service did the work (socket reset while the answer was on its way). */
const responseLostError = (): Error =>
  Object.assign(new Error('socket hang up after the request was served (injected fault: response lost)'), {
    name: 'TimeoutError',
    code: 'ECONNRESET',
  });

/** Pick a random non-empty strict subset when possible (at least one entry is left out). */
const splitSome = <T>(items: readonly T[], random: () => number): { kept: T[]; left: T[] } => {
  const kept: T[] = [];
  const left: T[] = [];
  for (const item of items) (random() < 0.5 ? left : kept).push(item);
  if (left.length === 0 && kept.length > 0) left.push(kept.pop() as T);
  return { kept, left };
};

/** BatchWriteItem writes some items; the rest come back in UnprocessedItems, as DynamoDB does under load. */
const partialBatchWrite = async (next: Next, args: Args, random: () => number): Promise<Output> => {
  const requestItems = (args.input.RequestItems ?? {}) as Record<string, unknown[]>;
  const kept: Record<string, unknown[]> = {};
  const left: Record<string, unknown[]> = {};
  for (const [table, items] of Object.entries(requestItems)) {
    const split = splitSome(items, random);
    if (split.kept.length > 0) kept[table] = split.kept;
    if (split.left.length > 0) left[table] = split.left;
  }
  const result =
    Object.keys(kept).length > 0
      ? await next({ ...args, input: { ...args.input, RequestItems: kept } })
      : { output: { $metadata: { httpStatusCode: 200 } } as Record<string, unknown> };
  const unprocessed = { ...((result.output.UnprocessedItems ?? {}) as Record<string, unknown[]>) };
  for (const [table, items] of Object.entries(left))
    unprocessed[table] = [...(unprocessed[table] ?? []), ...items];
  return { ...result, output: { ...result.output, UnprocessedItems: unprocessed } };
};

/** DeleteMessageBatch deletes some entries and reports the rest as failed (SQS answers 200 either way). */
const partialDeleteBatch = async (next: Next, args: Args, random: () => number): Promise<Output> => {
  const entries = (args.input.Entries ?? []) as { Id?: string }[];
  const split = splitSome(entries, random);
  const result =
    split.kept.length > 0
      ? await next({ ...args, input: { ...args.input, Entries: split.kept } })
      : { output: { $metadata: { httpStatusCode: 200 }, Successful: [] } as Record<string, unknown> };
  const failed = [
    ...((result.output.Failed ?? []) as unknown[]),
    ...split.left.map((e) => ({
      Id: e.Id,
      Code: 'InternalError',
      SenderFault: false,
      Message: 'injected fault: not deleted',
    })),
  ];
  return { ...result, output: { ...result.output, Failed: failed } };
};

/** Add the injector to one client's middleware stack. */
const install = (stack: Stack, injector: FaultInjector, clientName: string, random: () => number): void =>
  stack.add(
    (next: Next, context: MiddlewareContext) =>
      async (args: Args): Promise<Output> => {
        const commandName = context.commandName ?? '';
        const kind = injector.draw(commandName);
        switch (kind) {
          case undefined:
          case FaultKind.invocationCrash:
            return next(args);
          case FaultKind.serverError:
          case FaultKind.snsServerError:
            throw serviceError('InternalError', 500, 'We encountered an internal error.');
          case FaultKind.throttling:
            throw throttlingError(commandName, clientName);
          case FaultKind.latency:
            await sleep(1000 + Math.floor(random() * 3000));
            return next(args);
          case FaultKind.responseLost:
            await next(args);
            throw responseLostError();
          case FaultKind.partialBatchWrite:
            return partialBatchWrite(next, args, random);
          case FaultKind.partialDeleteBatch:
            return partialDeleteBatch(next, args, random);
          case FaultKind.copyErrorBody:
            // S3 answered 200 with an <Error> body: the SDK's throw200Exceptions step turns that into a 503
            // InternalError (the copy did not complete), which is what reaches the pipeline.
            throw serviceError('InternalError', 503, 'We encountered an internal error. Please try again.');
        }
      },
    { step: 'initialize', priority: 'high', name: 'silentScalperFaults', override: true },
  );

/**
 * AWS clients for the pipeline's own requests (the handler and the runner's deletes), with faults from
 * `injector`. Separate from the clients the uploader, the tests and the checker use, which never see a fault.
 */
export const createFaultyClients = (
  options: {
    readonly endpoint: string;
    readonly region: string;
    /** Sign as this IAM user (IAM-enforced runs); the emulator's dummy keys otherwise. */
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  },
  injector: FaultInjector,
  random: () => number = Math.random,
): AwsClients => {
  const clients = createAwsClients(options, false);
  install(clients.s3.middlewareStack as unknown as Stack, injector, 'S3Client', random);
  // The document client shares its inner client's stack: one install covers both.
  install(clients.dynamo.middlewareStack as unknown as Stack, injector, 'DynamoDBClient', random);
  install(clients.sqs.middlewareStack as unknown as Stack, injector, 'SQSClient', random);
  install(clients.sns.middlewareStack as unknown as Stack, injector, 'SNSClient', random);
  return clients;
};
