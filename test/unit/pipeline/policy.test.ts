import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOCKED_TYPES } from '../../../src/config/handlerConfig.ts';
import { QuarantineReason } from '../../../src/pipeline/constants.ts';
import { evaluatePolicy, typeMismatchOf } from '../../../src/pipeline/policy.ts';
import { sniff } from '../../../src/pipeline/sniff.ts';
import { sampleFile } from '../../helpers/files.ts';

const config = { maxFileSizeBytes: 1024 * 1024, blockedTypes: DEFAULT_BLOCKED_TYPES };

const verdictFor = async (bytes: Uint8Array, key: string, size = bytes.length, cfg = config) =>
  evaluatePolicy({ key, size, sniffed: await sniff(bytes, key) }, cfg);

describe('evaluatePolicy', () => {
  it('accepts files whose content matches their name', async () => {
    for (const kind of ['png', 'jpeg', 'gif', 'pdf', 'zip', 'csv', 'txt', 'json'] as const) {
      const file = sampleFile(kind);
      expect(await verdictFor(file.bytes, `in/${kind} file.${file.ext}`), kind).toEqual({ accepted: true });
    }
  });

  it('accepts files without an extension or with one it does not know', async () => {
    expect(await verdictFor(sampleFile('png').bytes, 'in/no-extension')).toEqual({ accepted: true });
    expect(await verdictFor(sampleFile('pdf').bytes, 'in/report.v2data')).toEqual({ accepted: true });
  });

  it('quarantines empty files as EMPTY_FILE first', async () => {
    expect(await verdictFor(new Uint8Array(0), 'virus.exe', 0)).toMatchObject({
      reason: QuarantineReason.EMPTY_FILE,
    });
  });

  it('quarantines files over the limit as TOO_LARGE', async () => {
    const file = sampleFile('png');
    const verdict = await verdictFor(file.bytes, 'big.png', config.maxFileSizeBytes + 1);
    expect(verdict).toMatchObject({ accepted: false, reason: QuarantineReason.TOO_LARGE });
    expect(await verdictFor(file.bytes, 'limit.png', config.maxFileSizeBytes)).toEqual({ accepted: true });
  });

  it('blocks executables by their bytes, whatever their name', async () => {
    expect(await verdictFor(sampleFile('exe').bytes, 'invoice.pdf')).toMatchObject({
      reason: QuarantineReason.BLOCKED_TYPE,
      detail: 'content is exe',
    });
    expect(await verdictFor(sampleFile('elf').bytes, 'tool')).toMatchObject({
      reason: QuarantineReason.BLOCKED_TYPE,
    });
  });

  it('blocks by extension too (an installer that sniffs as a plain compound file or zip)', async () => {
    expect(await verdictFor(sampleFile('zip').bytes, 'app.apk')).toMatchObject({
      reason: QuarantineReason.BLOCKED_TYPE,
      detail: 'extension .apk is blocked',
    });
  });

  it('follows the configured blocked list', async () => {
    const exe = sampleFile('exe').bytes;
    expect(await verdictFor(exe, 'tool.exe', exe.length, { ...config, blockedTypes: [] })).toEqual({
      accepted: true,
    });
    expect(
      await verdictFor(sampleFile('pdf').bytes, 'x.pdf', 229, { ...config, blockedTypes: ['PDF'] }),
    ).toMatchObject({ reason: QuarantineReason.BLOCKED_TYPE });
  });

  it('quarantines a PDF named .jpg as TYPE_MISMATCH', async () => {
    const file = sampleFile('mismatch');
    expect(await verdictFor(file.bytes, 'photo.jpg')).toEqual({
      accepted: false,
      reason: QuarantineReason.TYPE_MISMATCH,
      detail: 'extension .jpg claims jpg, content is pdf',
    });
  });
});

describe('typeMismatchOf', () => {
  it.each([
    [
      'text named .png',
      { mime: 'text/plain', ext: 'txt', contentClass: 'text' as const },
      'a.png',
      'extension .png claims png, content is text',
    ],
    [
      'binary named .csv',
      { contentClass: 'binary' as const },
      'a.csv',
      'extension .csv claims text, content is binary',
    ],
    [
      'unknown binary named .png',
      { contentClass: 'binary' as const },
      'a.png',
      'extension .png claims png, content is unrecognised binary',
    ],
    [
      'a zip named .csv',
      { mime: 'application/zip', ext: 'zip' },
      'a.csv',
      'extension .csv claims text, content is zip',
    ],
  ])('flags %s', (_what, sniffed, key, detail) => {
    expect(typeMismatchOf(key, sniffed)).toBe(detail);
  });

  it.each([
    ['a docx that sniffs as zip', { mime: 'application/zip', ext: 'zip' }, 'report.docx'],
    ['a docx that sniffs as docx', { ext: 'docx' }, 'report.DOCX'],
    ['a zip holding a docx', { ext: 'docx' }, 'bundle.zip'],
    ['an xls (compound file)', { ext: 'cfb' }, 'sheet.xls'],
    ['an XML text named .txt', { ext: 'xml', mime: 'application/xml' }, 'notes.txt'],
    ['an mp4 brand in a .mov', { ext: 'mp4' }, 'clip.mov'],
    ['an mp3 without a recognisable header', { contentClass: 'binary' as const }, 'song.mp3'],
    ['text named .csv', { contentClass: 'text' as const, ext: 'csv' }, 'a.csv'],
    ['anything without an extension', { ext: 'pdf' }, 'README'],
  ])('accepts %s', (_what, sniffed, key) => {
    expect(typeMismatchOf(key, sniffed)).toBeUndefined();
  });
});
