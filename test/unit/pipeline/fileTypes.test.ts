import { supportedExtensions } from 'file-type';
import { describe, expect, it } from 'vitest';
import { CFB_CLASSES } from '../../../src/pipeline/cfbClass.ts';
import { claimedTypeOf, EXTENSION_TYPES, extensionOf, textTypeFor } from '../../../src/pipeline/fileTypes.ts';

describe('extensionOf', () => {
  it.each([
    ['photo.PNG', 'png'],
    ['dir.v2/archive.tar.gz', 'gz'],
    ['dir.v2/README', undefined],
    ['.env', undefined],
    ['trailing.', undefined],
    ['a b/c d.Json', 'json'],
    ['ünï/cödé.csv', 'csv'],
  ])('%s → %s', (key, ext) => {
    expect(extensionOf(key)).toBe(ext);
  });
});

describe('EXTENSION_TYPES', () => {
  it('only names types the sniffer can report (or text), so every claim can be met', () => {
    // file-type's extensions, plus the compound-file classes told apart by root CLSID (msi, doc).
    const known = new Set<string>([...supportedExtensions, ...Object.values(CFB_CLASSES).map((c) => c.ext)]);
    for (const [extension, claim] of Object.entries(EXTENSION_TYPES)) {
      for (const sniffed of claim.sniffed) expect(known.has(sniffed), `${extension} → ${sniffed}`).toBe(true);
      expect(claim.sniffed.length > 0 || claim.text !== undefined, extension).toBe(true);
    }
  });

  it('lets Office and other ZIP-based files sniff as plain zip', () => {
    for (const extension of ['docx', 'xlsx', 'pptx', 'odt', 'ods', 'epub', 'jar', 'apk', 'xpi'])
      expect(EXTENSION_TYPES[extension]?.sniffed, extension).toContain('zip');
  });

  it('lets legacy Office files and installers sniff as compound files (cfb)', () => {
    for (const extension of ['doc', 'xls', 'ppt', 'msi'])
      expect(EXTENSION_TYPES[extension]?.sniffed).toContain('cfb');
  });

  it('does not claim anything for unknown extensions or inherited object keys', () => {
    expect(claimedTypeOf('file.weird')).toBeUndefined();
    expect(claimedTypeOf('file.constructor')).toBeUndefined();
    expect(claimedTypeOf('file.__proto__')).toBeUndefined();
  });
});

describe('textTypeFor', () => {
  it.each([
    ['x.csv', 'text/csv'],
    ['x.json', 'application/json'],
    ['x.tsv', 'text/tab-separated-values'],
    ['x.md', 'text/markdown'],
    ['x.txt', 'text/plain'],
    ['x.png', 'text/plain'],
    ['noext', 'text/plain'],
  ])('%s → %s', (key, mime) => {
    expect(textTypeFor(key).mime).toBe(mime);
  });
});
