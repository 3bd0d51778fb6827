import { describe, expect, it } from 'vitest';
import { classifyError, describeError } from '../../../src/pipeline/classifyError.ts';
import { ObjectGoneError, PermanentError, TransientError } from '../../../src/pipeline/errors.ts';
import { sdkError } from '../../helpers/fakeAws.ts';

describe('classifyError', () => {
  it.each([
    ['throttling', sdkError('ThrottlingException', 400)],
    ['S3 SlowDown', sdkError('SlowDown', 503)],
    ['DynamoDB throughput', sdkError('ProvisionedThroughputExceededException', 400)],
    ['a 500', sdkError('InternalError', 500)],
    ['a 503 with an unknown name', sdkError('Whatever', 503)],
    ['a 429', sdkError('TooManyRequests', 429)],
    ['an SDK-retryable error', sdkError('Odd', 400, 'odd', true)],
    ['a socket reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['an unknown error (bug): retried, last receive quarantines', new TypeError('x is undefined')],
    ['a thrown string', 'boom'],
  ])('treats %s as transient', (_what, error) => {
    expect(classifyError(error)).toBeInstanceOf(TransientError);
  });

  it.each([
    ['access denied', sdkError('AccessDenied', 403)],
    ['a validation error', sdkError('ValidationException', 400)],
    ['a missing bucket', sdkError('NoSuchBucket', 404)],
  ])('treats %s as permanent', (_what, error) => {
    expect(classifyError(error)).toBeInstanceOf(PermanentError);
  });

  it('passes classified errors through unchanged', () => {
    const gone = new ObjectGoneError('b', 'k');
    expect(classifyError(gone)).toBe(gone);
  });

  it('keeps the original error as the cause', () => {
    const original = sdkError('SlowDown', 503);
    expect(classifyError(original).cause).toBe(original);
  });
});

describe('describeError', () => {
  it('names the root error on one line and caps its length', () => {
    expect(describeError(classifyError(sdkError('SlowDown', 503, 'Please\nreduce')))).toBe(
      'SlowDown: Please reduce',
    );
    expect(describeError(new Error('x'.repeat(1000)), 50)).toHaveLength(50);
  });
});
