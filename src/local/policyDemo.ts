import { fileURLToPath } from 'node:url';
import { FileStatus, QuarantineReason } from '../pipeline/constants.ts';
import { compoundFile, MSI_CLSID, scriptFile, storedZip } from './policySamples.ts';
import { sampleFile } from './samples.ts';

/**
 * The policy part of `up --demo`: the demo's policy file (two prefixes: `demo/invoices/` takes PDFs only,
 * `demo/photos/` images only) and the files that show what it does. Kept apart from demo.ts and
 * samples.ts so the generic demo and the policy demo change independently.
 */

/** The policy file `up --demo` runs with unless `--policy` names another. */
export const DEMO_POLICY_PATH = fileURLToPath(new URL('../../policies/demo.json', import.meta.url));

/** One policy demo file: its bytes are made here (not a generic sample kind). */
export interface PolicyDemoFile {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly expected: { readonly status: FileStatus; readonly reason?: QuarantineReason };
}

const processed = { status: FileStatus.PROCESSED } as const;
const quarantined = (reason: QuarantineReason) => ({ status: FileStatus.QUARANTINED, reason }) as const;

/** The files that show the demo policy and the content checks at work. */
export const policyDemoFiles = (): PolicyDemoFile[] => [
  {
    key: 'demo/invoices/2026-11 invoice.pdf',
    bytes: sampleFile('pdf', { seed: 41 }).bytes,
    contentType: 'application/pdf',
    expected: processed,
  },
  {
    key: 'demo/invoices/notes.txt',
    bytes: sampleFile('txt', { seed: 42 }).bytes,
    contentType: 'text/plain',
    expected: quarantined(QuarantineReason.NOT_ALLOWED),
  },
  {
    key: 'demo/archives/tools.zip',
    bytes: storedZip([
      { name: 'README.txt', data: new TextEncoder().encode('Run setup.\n') },
      { name: 'bin/setup.exe', data: sampleFile('exe', { seed: 43 }).bytes },
    ]),
    contentType: 'application/zip',
    expected: quarantined(QuarantineReason.ARCHIVE_BLOCKED_ENTRY),
  },
  {
    key: 'demo/downloads/installer.doc',
    bytes: compoundFile(MSI_CLSID, { seed: 44 }),
    contentType: 'application/msword',
    expected: quarantined(QuarantineReason.BLOCKED_TYPE),
  },
  {
    key: 'demo/inbox/read me.txt',
    bytes: scriptFile('bat'),
    contentType: 'text/plain',
    expected: quarantined(QuarantineReason.BLOCKED_TYPE),
  },
  {
    key: 'demo/photos/2026/',
    bytes: new Uint8Array(0),
    contentType: 'application/x-directory',
    expected: processed,
  },
];
