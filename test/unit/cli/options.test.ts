import { describe, expect, it } from 'vitest';
import { contentTypeFor, DEFAULT_CONTENT_TYPE } from '../../../src/cli/contentType.ts';
import { decodeCursor, encodeCursor } from '../../../src/cli/cursor.ts';
import { integerIn, parseSince, parseStatus } from '../../../src/cli/options.ts';
import { normalizePrefix } from '../../../src/cli/uploader.ts';

const NOW = new Date('2026-11-25T12:00:00.000Z');

describe('option parsing', () => {
  it('reads --since as a duration back from now', () => {
    expect(parseSince('24h', NOW).toISOString()).toBe('2026-11-24T12:00:00.000Z');
    expect(parseSince('30m', NOW).toISOString()).toBe('2026-11-25T11:30:00.000Z');
    expect(parseSince('7d', NOW).toISOString()).toBe('2026-11-18T12:00:00.000Z');
    expect(parseSince('90s', NOW).toISOString()).toBe('2026-11-25T11:58:30.000Z');
    expect(parseSince('1.5h', NOW).toISOString()).toBe('2026-11-25T10:30:00.000Z');
  });

  it('reads --since as a date', () => {
    expect(parseSince('2026-11-24T08:00:00Z', NOW).toISOString()).toBe('2026-11-24T08:00:00.000Z');
  });

  it('rejects a --since that is neither, with examples', () => {
    expect(() => parseSince('yesterday', NOW)).toThrow(/duration \(e\.g\. 30m, 24h, 7d\)/);
    expect(() => parseSince('', NOW)).toThrow();
  });

  it('checks integer ranges', () => {
    const concurrency = integerIn(1, 256);
    expect(concurrency('8')).toBe(8);
    expect(() => concurrency('0')).toThrow(/from 1 to 256/);
    expect(() => concurrency('2.5')).toThrow();
    expect(() => concurrency('many')).toThrow();
  });

  it('accepts statuses in any case and names the valid ones', () => {
    expect(parseStatus('quarantined')).toBe('QUARANTINED');
    expect(() => parseStatus('FAILED')).toThrow(/PROCESSED, QUARANTINED, GONE/);
  });

  it('round-trips a cursor through a shell-safe form', () => {
    const listSk =
      '2026-11-25T01:02:03.000Z#FILE#silent-scalper-input/dir/a b+ü%.txt#2026-11-25T01:02:02.000Z#UPLOAD#e';
    const shown = encodeCursor(listSk);
    expect(shown).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(shown)).toBe(listSk);
    expect(() => decodeCursor('not a cursor!')).toThrow(/not a cursor/);
    expect(() => decodeCursor(encodeCursor('hello'))).toThrow(/not a cursor/);
  });
});

describe('upload naming', () => {
  it('treats the prefix as a folder', () => {
    expect(normalizePrefix(undefined)).toBe('');
    expect(normalizePrefix('')).toBe('');
    expect(normalizePrefix('dumps/today')).toBe('dumps/today/');
    expect(normalizePrefix('/dumps/today/')).toBe('dumps/today/');
  });

  it('declares the content type from the extension, case-insensitively', () => {
    expect(contentTypeFor('a/report.PDF')).toBe('application/pdf');
    expect(contentTypeFor('photo.jpeg')).toBe('image/jpeg');
    expect(contentTypeFor('data.csv')).toBe('text/csv');
    expect(contentTypeFor('noextension')).toBe(DEFAULT_CONTENT_TYPE);
    expect(contentTypeFor('archive.unknownext')).toBe(DEFAULT_CONTENT_TYPE);
  });
});
