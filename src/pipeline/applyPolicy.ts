import { ZIP_FAMILY } from './fileTypes.ts';
import { inspectArchive } from './inspectArchive.ts';
import { evaluatePolicy, type PolicyConfig, type PolicyVerdict, policyOf } from './policy.ts';
import { ruleFor } from './policyDocument.ts';
import type { ObjectRef, ObjectStore } from './ports.ts';
import type { SniffResult } from './sniff.ts';
import type { FileRecord } from './types.ts';

/** The policy's verdict on one file, what judging it read, and what it adds to the file's record. */
export interface PolicyOutcome {
  readonly verdict: PolicyVerdict;
  /** Bytes read beyond the first ranged GET (the archive's central directory). */
  readonly bytesRead: number;
  readonly attributes: Pick<FileRecord, 'policyRule' | 'ignored' | 'archiveEntries'>;
}

const ZIP_EXTENSIONS: ReadonlySet<string> = new Set(ZIP_FAMILY);

/**
 * Judge one file: pick its rule, run the checks on what the first read sniffed (policy.ts), and, when
 * they pass and the content is a zip-family archive the rule inspects, read its central directory
 * (inspectArchive.ts: at most two more ranged GETs, bounded). S3 errors propagate to the caller.
 */
export const applyPolicy = async (
  file: {
    readonly ref: ObjectRef & { readonly ifMatch?: string };
    readonly size: number;
    /** The bytes of the first read, from offset 0. */
    readonly prefix: Uint8Array;
    readonly sniffed: SniffResult;
  },
  config: PolicyConfig,
  objectStore: ObjectStore,
): Promise<PolicyOutcome> => {
  const rule = ruleFor(policyOf(config), file.ref.key);
  const policyRule = rule.name;
  const verdict = evaluatePolicy({ key: file.ref.key, size: file.size, sniffed: file.sniffed }, config, rule);
  if (!verdict.accepted) return { verdict, bytesRead: 0, attributes: { policyRule } };
  if (verdict.ignored) return { verdict, bytesRead: 0, attributes: { policyRule, ignored: verdict.ignored } };
  const ext = file.sniffed.ext;
  if (!rule.archives.inspect || ext === undefined || !ZIP_EXTENSIONS.has(ext))
    return { verdict, bytesRead: 0, attributes: { policyRule } };
  const inspection = await inspectArchive({
    objectStore,
    ref: file.ref,
    size: file.size,
    prefix: file.prefix,
    rule,
  });
  return {
    verdict: inspection.verdict,
    bytesRead: inspection.bytesRead,
    attributes: {
      policyRule,
      ...(inspection.entryCount !== undefined ? { archiveEntries: inspection.entryCount } : {}),
    },
  };
};
