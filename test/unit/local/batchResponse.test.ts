import { describe, expect, it } from 'vitest';
import { interpretBatchResponse } from '../../../src/local/batchResponse.ts';

const ids = ['id-1', 'id-2', 'id-3'];

describe('interpretBatchResponse (how Lambda reads a partial batch response)', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty object', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
  ])('treats %s as complete success', (_label, response) => {
    expect(interpretBatchResponse(response, ids)).toEqual({ kind: 'partial', failedIds: new Set() });
  });

  it('keeps the reported messages for redelivery', () => {
    // Act
    const verdict = interpretBatchResponse(
      {
        batchItemFailures: [
          { itemIdentifier: 'id-2' },
          { itemIdentifier: 'id-3' },
          { itemIdentifier: 'id-2' },
        ],
      },
      ids,
    );

    // Assess
    expect(verdict).toEqual({ kind: 'partial', failedIds: new Set(['id-2', 'id-3']) });
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }, 'itemIdentifier is ""'],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, 'itemIdentifier is null'],
    ['a missing itemIdentifier', { batchItemFailures: [{ id: 'id-1' }] }, 'itemIdentifier is null'],
    [
      'an unknown message id',
      { batchItemFailures: [{ itemIdentifier: 'nope' }] },
      'not a message of this batch',
    ],
    ['a null entry', { batchItemFailures: [null] }, 'itemIdentifier is null'],
    ['a number as identifier', { batchItemFailures: [{ itemIdentifier: 7 }] }, 'itemIdentifier is 7'],
    ['a list that is not a list', { batchItemFailures: { itemIdentifier: 'id-1' } }, 'is not a list'],
  ])('fails the whole batch on %s', (_label, response, reason) => {
    // Act
    const verdict = interpretBatchResponse(response, ids);

    // Assess
    expect(verdict.kind).toBe('malformed');
    expect(verdict.kind === 'malformed' && verdict.reason).toContain(reason);
  });

  it('fails the whole batch when the response cannot be serialised to JSON', () => {
    // Prepare
    const circular: Record<string, unknown> = { batchItemFailures: [] };
    circular.self = circular;

    // Act / Assess
    expect(interpretBatchResponse(circular, ids).kind).toBe('malformed');
    expect(interpretBatchResponse({ n: 1n }, ids).kind).toBe('malformed');
  });
});
