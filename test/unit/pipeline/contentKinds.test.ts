import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOCKED_TYPES } from '../../../src/config/handlerConfig.ts';
import {
  compoundFile,
  MSI_CLSID,
  SCRIPT_SAMPLES,
  type ScriptSample,
  scriptFile,
  WORD_CLSID,
} from '../../../src/local/policySamples.ts';
import { cfbRootClsid } from '../../../src/pipeline/cfbClass.ts';
import { QuarantineReason } from '../../../src/pipeline/constants.ts';
import { evaluatePolicy } from '../../../src/pipeline/policy.ts';
import { sniff } from '../../../src/pipeline/sniff.ts';

const config = { maxFileSizeBytes: 1024 * 1024, blockedTypes: DEFAULT_BLOCKED_TYPES };
const SNIFF_BYTES = 4100;

const verdictFor = async (bytes: Uint8Array, key: string) =>
  evaluatePolicy(
    { key, size: bytes.length, sniffed: await sniff(bytes.subarray(0, SNIFF_BYTES), key) },
    config,
  );

describe('installers by content (compound file root CLSID)', () => {
  it('reads the root storage CLSID from the directory sector the header points to', () => {
    // Prepare
    const msi = compoundFile(MSI_CLSID, { directorySector: 3 });
    // Act / Assess
    expect(cfbRootClsid(msi)).toBe(MSI_CLSID);
  });

  it('sniffs an MSI as msi and a Word 97–2003 file as doc, though file-type calls both cfb', async () => {
    expect(await sniff(compoundFile(MSI_CLSID), 'x')).toEqual({ mime: 'application/x-msi', ext: 'msi' });
    expect(await sniff(compoundFile(WORD_CLSID), 'x')).toEqual({ mime: 'application/msword', ext: 'doc' });
  });

  it('quarantines an MSI renamed installer.doc or without extension as BLOCKED_TYPE', async () => {
    // Prepare
    const msi = compoundFile(MSI_CLSID);
    // Act / Assess
    for (const key of ['downloads/installer.doc', 'downloads/installer'])
      expect(await verdictFor(msi, key), key).toMatchObject({
        accepted: false,
        reason: QuarantineReason.BLOCKED_TYPE,
        detail: 'content is msi',
      });
  });

  it('accepts a Word document named .doc', async () => {
    expect(await verdictFor(compoundFile(WORD_CLSID), 'letters/letter.doc')).toEqual({ accepted: true });
  });

  it('keeps a compound file whose directory lies beyond the bytes read as cfb (the extension still decides)', async () => {
    // Prepare: directory sector 8 starts at 4,608 bytes, past the 4,100 sniffed.
    const far = compoundFile(MSI_CLSID, { directorySector: 8 });
    // Act
    const sniffed = await sniff(far.subarray(0, SNIFF_BYTES), 'installer');
    // Assess
    expect(sniffed.ext).toBe('cfb');
    expect(await verdictFor(far, 'setup.msi')).toMatchObject({ reason: QuarantineReason.BLOCKED_TYPE });
    expect(await verdictFor(far, 'renamed.doc')).toEqual({ accepted: true });
  });
});

describe('scripts by content', () => {
  const kinds = Object.keys(SCRIPT_SAMPLES) as ScriptSample[];

  it.each(kinds)('recognises a %s script saved as notes.txt', async (kind) => {
    // Act
    const sniffed = await sniff(scriptFile(kind), 'notes.txt');
    // Assess
    expect(sniffed).toMatchObject({ ext: kind, contentClass: 'text' });
  });

  it.each(kinds.filter((k) => k !== 'py'))(
    'quarantines a %s script renamed notes.txt as BLOCKED_TYPE under the default list',
    async (kind) => {
      expect(await verdictFor(scriptFile(kind), 'inbox/notes.txt')).toMatchObject({
        reason: QuarantineReason.BLOCKED_TYPE,
        detail: `content is ${kind}`,
      });
    },
  );

  it('leaves Python sources alone by default (interpreted-language code is data in many dumps)', async () => {
    expect(await verdictFor(scriptFile('py'), 'src/tool.py')).toEqual({ accepted: true });
  });

  it.each(['run.bat', 'run.cmd', 'x.ps1', 'x.vbs', 'x.hta', 'x.jar', 'x.sh'])(
    'blocks %s by its extension even when its content is plain text',
    async (key) => {
      expect(await verdictFor(new TextEncoder().encode('hello\n'), key)).toMatchObject({
        reason: QuarantineReason.BLOCKED_TYPE,
      });
    },
  );

  it('does not take prose that mentions commands for a script', async () => {
    const prose = new TextEncoder().encode(
      '# Notes\nGet-together on Friday.\nWe talked about rem sleep and why dim lights help.\nRun `@echo off` in a batch file.\n',
    );
    expect(await sniff(prose, 'notes.md')).toEqual({
      mime: 'text/markdown',
      ext: 'md',
      contentClass: 'text',
    });
  });
});
