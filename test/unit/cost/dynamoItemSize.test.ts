import { describe, expect, it } from 'vitest';
import { dynamoItemSize, readUnits, writeUnits } from '../../../src/cost/dynamoItemSize.ts';

describe('DynamoDB item size rules', () => {
  it('counts names and UTF-8 values, numbers by significant digits, lists with their overhead', () => {
    // Assess: the examples follow the rules in the DynamoDB developer guide
    expect(dynamoItemSize({ pk: 'abc' })).toBe(5);
    expect(dynamoItemSize({ k: 'ü' })).toBe(3);
    expect(dynamoItemSize({ n: 1234 })).toBe(1 + 3);
    expect(dynamoItemSize({ n: 100 })).toBe(1 + 2);
    expect(dynamoItemSize({ l: ['ab', 'c'] })).toBe(1 + 3 + (1 + 2) + (1 + 1));
    expect(dynamoItemSize({ m: { a: 'x' } })).toBe(1 + 3 + (1 + 1 + 1));
    expect(dynamoItemSize({ skipped: undefined, b: true })).toBe(2);
  });

  it('bills a started KB per write and a started 4 KB per read, halved when eventually consistent', () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(0)).toBe(0.5);
    expect(readUnits(4097)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
  });
});
