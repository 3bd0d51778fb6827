import { describe, expect, it } from 'vitest';
import {
  decodeS3Key,
  NotAnS3EventError,
  normaliseEventTime,
  parseS3EventBody,
  uploadIdOf,
} from '../../../src/pipeline/s3Event.ts';
import {
  encodeS3EventKey,
  motoS3Record,
  realS3Record,
  s3EventBody,
  s3TestEventBody,
} from '../../helpers/events.ts';

describe('decodeS3Key', () => {
  it.each([
    ['a b+c%.png', 'a+b%2Bc%25.png'],
    ['dir/sub dir/file.txt', 'dir%2Fsub+dir%2Ffile.txt'],
    ['dir/sub dir/file.txt', 'dir/sub+dir/file.txt'],
    ['rapport été/naïve 日本語 😀.pdf', encodeS3EventKey('rapport été/naïve 日本語 😀.pdf')],
    ['100% sure+1.csv', encodeS3EventKey('100% sure+1.csv')],
    ["quotes 'and' (parens)*~!.txt", encodeS3EventKey("quotes 'and' (parens)*~!.txt")],
  ])('decodes %s from %s', (expected, encoded) => {
    expect(decodeS3Key(encoded)).toBe(expected);
  });

  it('round-trips keys through the encoding S3 and moto use', () => {
    for (const key of ['a b+c%.png', '+', '%', ' leading', 'x/y/z', 'ü+ü ü%ü']) {
      expect(decodeS3Key(encodeS3EventKey(key))).toBe(key);
      expect(decodeS3Key(encodeS3EventKey(key, true))).toBe(key);
    }
  });

  it('rejects malformed percent-encoding as not an S3 event', () => {
    expect(() => decodeS3Key('bad%zz')).toThrow(NotAnS3EventError);
  });
});

describe('normaliseEventTime', () => {
  it('keeps real S3 times (UTC with Z)', () => {
    expect(normaliseEventTime('2026-11-25T10:00:00.123Z')).toBe('2026-11-25T10:00:00.123Z');
  });

  it('treats moto 5.2.1 times (microseconds, no zone) as UTC', () => {
    expect(normaliseEventTime('2026-11-25T10:00:00.123456')).toBe('2026-11-25T10:00:00.123Z');
  });

  it('converts offsets to UTC and adds milliseconds', () => {
    expect(normaliseEventTime('2026-11-25T12:00:00+02:00')).toBe('2026-11-25T10:00:00.000Z');
  });

  it.each(['yesterday', '', '2026-13-45T99:00:00'])('rejects %j', (raw) => {
    expect(() => normaliseEventTime(raw)).toThrow(NotAnS3EventError);
  });
});

describe('uploadIdOf', () => {
  it('prefers versionId, then sequencer, then eTag, then a hash', () => {
    const base = { key: 'k', size: 3 };
    expect(uploadIdOf({ ...base, versionId: 'v1', sequencer: 's', eTag: 'e' })).toBe('v:v1');
    expect(uploadIdOf({ ...base, sequencer: 's', eTag: 'e' })).toBe('s:s');
    expect(uploadIdOf({ ...base, eTag: 'e' })).toBe('e:e');
    expect(uploadIdOf(base)).toMatch(/^h:[0-9a-f]{32}$/);
    expect(uploadIdOf(base)).toBe(uploadIdOf({ key: 'k', size: 3 }));
    expect(uploadIdOf(base)).not.toBe(uploadIdOf({ key: 'k', size: 4 }));
  });

  it('ignores the "null" version id of unversioned objects', () => {
    expect(uploadIdOf({ key: 'k', size: 1, versionId: 'null', eTag: 'e' })).toBe('e:e');
  });
});

describe('parseS3EventBody', () => {
  it('parses a real S3 notification', () => {
    // Prepare
    const body = s3EventBody(
      realS3Record({ encodedKey: 'photos/a+b%2Bc%25.png', size: 1234, eTag: 'abc123', sequencer: '00AB' }),
    );
    // Act
    const parsed = parseS3EventBody(body);
    // Assess
    expect(parsed).toEqual({
      kind: 'records',
      ignored: 0,
      records: [
        {
          eventName: 'ObjectCreated:Put',
          bucket: 'silent-scalper-input',
          key: 'photos/a b+c%.png',
          size: 1234,
          eTag: 'abc123',
          sequencer: '00AB',
          eventTime: '2026-11-25T10:00:00.123Z',
          uploadId: 's:00AB',
        },
      ],
    });
  });

  it('parses a moto notification (%2F, time without Z, no sequencer)', () => {
    const body = s3EventBody(motoS3Record({ encodedKey: 'in%2Fnaïve+file.csv', size: 10, eTag: 'e1' }));
    const parsed = parseS3EventBody(body);
    expect(parsed.kind).toBe('records');
    if (parsed.kind !== 'records') return;
    expect(parsed.records[0]).toMatchObject({
      key: 'in/naïve file.csv',
      eventTime: '2026-11-25T10:00:00.123Z',
      uploadId: 'e:e1',
    });
    expect(parsed.records[0]?.sequencer).toBeUndefined();
  });

  it('keeps the version id of versioned buckets', () => {
    const body = s3EventBody(
      realS3Record({ encodedKey: 'k', size: 1, eTag: 'e', versionId: '3HL4kqtJlcpX' }),
    );
    const parsed = parseS3EventBody(body);
    expect(parsed.kind === 'records' && parsed.records[0]).toMatchObject({
      versionId: '3HL4kqtJlcpX',
      uploadId: 'v:3HL4kqtJlcpX',
    });
  });

  it('processes every record of a body and counts other event types as ignored', () => {
    const body = s3EventBody(
      realS3Record({ encodedKey: 'one', size: 1 }),
      realS3Record({ encodedKey: 'gone', eventName: 'ObjectRemoved:Delete' }),
      realS3Record({ encodedKey: 'two', size: 2, eventName: 'ObjectCreated:CompleteMultipartUpload' }),
    );
    const parsed = parseS3EventBody(body);
    expect(parsed.kind === 'records' && parsed.records.map((r) => r.key)).toEqual(['one', 'two']);
    expect(parsed.kind === 'records' && parsed.ignored).toBe(1);
  });

  it('recognises the s3:TestEvent', () => {
    expect(parseS3EventBody(s3TestEventBody())).toEqual({ kind: 'test' });
  });

  it.each([
    ['not JSON', 'hello'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
    ['no Records', '{"foo":1}'],
    ['empty Records', '{"Records":[]}'],
    [
      'a record without s3',
      '{"Records":[{"eventName":"ObjectCreated:Put","eventTime":"2026-11-25T10:00:00Z"}]}',
    ],
    ['a record without key', s3EventBody({ ...realS3Record({ encodedKey: '' }) })],
    ['a negative size', s3EventBody(realS3Record({ encodedKey: 'k', size: -1 }))],
    ['a bad time', s3EventBody(realS3Record({ encodedKey: 'k', size: 1, eventTime: 'soon' }))],
    ['an SNS envelope', JSON.stringify({ Type: 'Notification', Message: '{}' })],
  ])('rejects %s as not an S3 event', (_what, body) => {
    expect(() => parseS3EventBody(body)).toThrow(NotAnS3EventError);
  });
});
