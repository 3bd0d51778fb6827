import type { AwsClients } from '../src/adapters/awsClients.ts';

/** Requests sent per service and command, and the body bytes S3 GETs returned. */
export interface RequestCounts {
  /** service → command name → HTTP requests (each retry attempt counts). */
  readonly requests: Record<string, Record<string, number>>;
  /** Sum of the `Content-Length` of GetObject responses: the bytes S3 sent for object bodies. */
  s3BytesRead: number;
}

/** Total requests of one service. */
export const serviceTotal = (counts: RequestCounts, service: string): number =>
  Object.values(counts.requests[service] ?? {}).reduce((sum, n) => sum + n, 0);

interface MiddlewareStackLike {
  add(middleware: unknown, options: { step: 'deserialize'; name: string; override?: boolean }): void;
}

const headerOf = (response: unknown, name: string): string | undefined => {
  const headers = (response as { headers?: Record<string, string> } | undefined)?.headers;
  return headers?.[name] ?? headers?.[name.toLowerCase()];
};

/**
 * Count every HTTP request a client sends, with a middleware in the `deserialize` step: that step runs
 * once per attempt (inside the retry middleware of `finalizeRequest`), so retries are counted too.
 * Requests that fail are counted as well.
 */
export const countClientRequests = (
  stack: MiddlewareStackLike,
  service: string,
  counts: RequestCounts,
): void => {
  counts.requests[service] ??= {};
  const byCommand = counts.requests[service];
  stack.add(
    (next: (args: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
        byCommand[command] = (byCommand[command] ?? 0) + 1;
        const result = await next(args);
        if (service === 's3' && command === 'GetObject') {
          counts.s3BytesRead += Number(headerOf(result.response, 'content-length') ?? 0);
        }
        return result;
      },
    { step: 'deserialize', name: 'silentScalperBenchCounter', override: true },
  );
};

/** Attach counters to all four clients; returns the live counts. */
export const countRequests = (clients: AwsClients): RequestCounts => {
  const counts: RequestCounts = { requests: {}, s3BytesRead: 0 };
  countClientRequests(clients.s3.middlewareStack as unknown as MiddlewareStackLike, 's3', counts);
  countClientRequests(clients.dynamo.middlewareStack as unknown as MiddlewareStackLike, 'dynamodb', counts);
  countClientRequests(clients.sqs.middlewareStack as unknown as MiddlewareStackLike, 'sqs', counts);
  countClientRequests(clients.sns.middlewareStack as unknown as MiddlewareStackLike, 'sns', counts);
  return counts;
};
