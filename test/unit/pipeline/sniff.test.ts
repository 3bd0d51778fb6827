import { describe, expect, it } from 'vitest';
import { looksLikeText, sniff } from '../../../src/pipeline/sniff.ts';
import { SAMPLE_EXPECTATIONS, SAMPLE_KINDS, sampleFile } from '../../helpers/files.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('sniff', () => {
  it.each(SAMPLE_KINDS.filter((k) => k !== 'empty'))(
    'recognises the %s sample by its bytes',
    async (kind) => {
      // Prepare
      const file = sampleFile(kind, { seed: 3 });
      // Act
      const result = await sniff(file.bytes, `upload/file.${file.ext}`);
      // Assess
      expect(result.mime).toBe(SAMPLE_EXPECTATIONS[kind].mime);
    },
  );

  it('reports nothing for no bytes', async () => {
    expect(await sniff(new Uint8Array(0), 'x.txt')).toEqual({});
  });

  it('records text as the type its extension names (csv, json), else text/plain', async () => {
    const bytes = text('a,b\n1,2\n');
    expect(await sniff(bytes, 'data.csv')).toEqual({ mime: 'text/csv', ext: 'csv', contentClass: 'text' });
    expect(await sniff(text('{"a":1}'), 'DATA.JSON')).toEqual({
      mime: 'application/json',
      ext: 'json',
      contentClass: 'text',
    });
    expect(await sniff(bytes, 'README')).toEqual({ mime: 'text/plain', ext: 'txt', contentClass: 'text' });
    expect(await sniff(bytes, 'photo.png')).toEqual({ mime: 'text/plain', ext: 'txt', contentClass: 'text' });
  });

  it('reports unknown binary without a MIME type', async () => {
    const bytes = Uint8Array.from({ length: 512 }, (_, i) => (i * 97 + 13) & 0xff);
    expect(await sniff(bytes, 'blob.dat')).toEqual({ contentClass: 'binary' });
  });

  it('finds a PDF inside the first sniff window of a padded file', async () => {
    const file = sampleFile('pdf', { sizeBytes: 100_000 });
    expect((await sniff(file.bytes.subarray(0, 4100), 'x.pdf')).ext).toBe('pdf');
  });
});

describe('looksLikeText', () => {
  it('accepts UTF-8 text with accents, emoji and line breaks', () => {
    expect(looksLikeText(text('naïve café 日本語 😀\r\n\ttab'))).toBe(true);
  });

  it('accepts a prefix that cuts a multi-byte character in half', () => {
    const full = text('ab€'); // € is 3 bytes
    expect(looksLikeText(full.subarray(0, full.length - 1))).toBe(true);
  });

  it('rejects NUL bytes and invalid UTF-8', () => {
    expect(looksLikeText(text('abc\u0000def'))).toBe(false);
    expect(looksLikeText(Uint8Array.of(0x61, 0xc3, 0x28, 0x62))).toBe(false);
  });

  it('rejects text full of control characters but tolerates a stray one', () => {
    expect(looksLikeText(text('\u0001\u0002\u0003\u0004 binary-ish \u0005\u0006'))).toBe(false);
    expect(looksLikeText(text(`${'x'.repeat(500)}\u0007${'y'.repeat(500)}`))).toBe(true);
  });

  it('accepts UTF-16 with a byte-order mark', () => {
    expect(looksLikeText(Uint8Array.of(0xff, 0xfe, 0x61, 0x00, 0x62, 0x00))).toBe(true);
  });

  it('rejects nothing at all', () => {
    expect(looksLikeText(new Uint8Array(0))).toBe(false);
  });
});
