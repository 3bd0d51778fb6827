import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** What {@link createLambdaContext} needs to know about the function being played. */
export interface LambdaContextOptions {
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly memorySizeMb: number;
  readonly region: string;
  /** @default a random UUID, as Lambda gives each invocation */
  readonly awsRequestId?: string;
  /** @default 123456789012, moto's account */
  readonly accountId?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * A Lambda `Context` for one invocation. `getRemainingTimeInMillis()` counts down from the function
 * timeout, starting when the context is created (the moment of invocation), never below 0.
 */
export const createLambdaContext = (options: LambdaContextOptions): Context => {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const account = options.accountId ?? '123456789012';
  const day = new Date(now()).toISOString().slice(0, 10).replaceAll('-', '/');
  const refuse = (): never => {
    throw new Error('context.done/fail/succeed are not supported: return a promise from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${account}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memorySizeMb),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `${day}/[$LATEST]local`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: refuse,
    fail: refuse,
    succeed: refuse,
  };
};
