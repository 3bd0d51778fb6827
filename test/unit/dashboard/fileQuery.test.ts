import { describe, expect, it } from 'vitest';
import { parseFileQuery, parseFileRef } from '../../../src/dashboard/fileQuery.ts';

describe('parseFileQuery', () => {
  it('takes the filters of the file table and defaults to 50 rows', () => {
    expect(
      parseFileQuery(
        new URLSearchParams('status=QUARANTINED&reason=TYPE_MISMATCH&prefix=dump/&type=image/png'),
      ),
    ).toEqual({
      limit: 50,
      status: 'QUARANTINED',
      reason: 'TYPE_MISMATCH',
      prefix: 'dump/',
      type: 'image/png',
    });
    expect(parseFileQuery(new URLSearchParams('status=&limit=10'))).toEqual({ limit: 10 });
  });

  it('refuses values it cannot use, naming the parameter', () => {
    expect(() => parseFileQuery(new URLSearchParams('status=DELETED'))).toThrow(/status must be one of/);
    expect(() => parseFileQuery(new URLSearchParams('limit=5000'))).toThrow(/limit/);
    expect(() => parseFileQuery(new URLSearchParams(`prefix=${'é'.repeat(513)}`))).toThrow(
      /prefix is longer than 1024 bytes/,
    );
  });
});

describe('parseFileRef', () => {
  it('takes any key of up to 1,024 bytes, markup included', () => {
    const key = '<img src=x onerror=alert(1)>.png';
    expect(parseFileRef(new URLSearchParams({ bucket: 'silent-scalper-input', key }))).toEqual({
      bucket: 'silent-scalper-input',
      key,
    });
    expect(() => parseFileRef(new URLSearchParams({ bucket: 'Bad_Bucket', key }))).toThrow(/bucket/);
    expect(() => parseFileRef(new URLSearchParams({ bucket: 'ok-bucket', key: '' }))).toThrow(/key/);
  });
});
