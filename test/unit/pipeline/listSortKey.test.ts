import { describe, expect, it } from 'vitest';
import {
  filePartitionKey,
  listIndexAttributes,
  listSortKey,
  MAX_SORT_KEY_BYTES,
  uploadSortKey,
} from '../../../src/pipeline/recordKeys.ts';

const at = '2026-11-25T01:02:03.000Z';
const sk = uploadSortKey('2026-11-25T01:02:02.000Z', 'etag1');

describe('listSortKey (sort key of the list indexes)', () => {
  it('is readable for ordinary keys: time, then the item keys', () => {
    const pk = filePartitionKey('silent-scalper-input', 'dir/a b+ü%.txt');
    expect(listSortKey(at, pk, sk)).toBe(`${at}#${pk}#${sk}`);
  });

  it('stays within DynamoDB sort key limit for 1,024-byte S3 keys, unique and time-first', () => {
    // Prepare: two maximal keys differing only in their last character (multi-byte characters too)
    const long = (last: string) => `${'é'.repeat(500)}${'x'.repeat(22)}${last}`;
    const pkA = filePartitionKey('silent-scalper-input', long('a'));
    const pkB = filePartitionKey('silent-scalper-input', long('b'));

    // Act
    const a = listSortKey(at, pkA, sk);
    const b = listSortKey(at, pkB, sk);

    // Assess
    expect(Buffer.byteLength(long('a'))).toBe(1023);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(MAX_SORT_KEY_BYTES);
    expect(a.startsWith(`${at}#`)).toBe(true);
    expect(a).not.toBe(b);
    expect(listSortKey(at, pkA, sk)).toBe(a);
    expect(
      listIndexAttributes({
        bucket: 'b',
        key: long('a'),
        status: 'PROCESSED',
        processedAtIso: at,
        pk: pkA,
        sk,
      }).listSk,
    ).toBe(a);
  });
});
