import { describe, expect, it } from 'vitest';
import { checkBatchResponse } from '../../../src/pipeline/checkBatchResponse.ts';

describe('checkBatchResponse', () => {
  it('returns an empty list when nothing failed (the whole batch succeeded)', () => {
    expect(checkBatchResponse(['a', 'b'], [])).toEqual({ response: { batchItemFailures: [] }, dropped: [] });
  });

  it('lists each failed message once, in batch order', () => {
    const { response } = checkBatchResponse(['a', 'b', 'c'], ['c', 'a', 'c']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'c' }]);
  });

  it('drops identifiers that are empty or not in the batch (they would fail the whole batch)', () => {
    const { response, dropped } = checkBatchResponse(['a', 'b'], ['', 'zzz', 'b']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
    expect(dropped).toEqual(['', 'zzz']);
  });
});
