import { IgnoredAs, QuarantineReason } from './constants.ts';
import { claimedTypeOf, extensionOf } from './fileTypes.ts';
import {
  compilePolicy,
  EmptyObjectAction,
  type Policy,
  type PolicyRule,
  ruleFor,
  type TypePattern,
  typeMatches,
} from './policyDocument.ts';
import type { SniffResult } from './sniff.ts';

/** The policy's settings (from HandlerConfig). */
export interface PolicyConfig {
  /** Larger files are quarantined TOO_LARGE (the default rule's limit when `policy` is absent). */
  readonly maxFileSizeBytes: number;
  /** Types quarantined BLOCKED_TYPE, by sniffed `file-type` extension or by the key's own extension. */
  readonly blockedTypes: readonly string[];
  /** The compiled policy file; absent: one default rule made of the two fields above. */
  readonly policy?: Policy;
}

/** The policy's decision on one file. `ignored`: accepted without checks (folder marker, empty object). */
export type PolicyVerdict =
  | { readonly accepted: true; readonly ignored?: IgnoredAs }
  | { readonly accepted: false; readonly reason: QuarantineReason; readonly detail: string };

/** The compiled policy of a config (one default rule when it has no policy file). */
export const policyOf = (config: PolicyConfig): Policy => config.policy ?? compilePolicy(undefined, config);

const describePattern = (p: TypePattern): string =>
  p.kind === 'ext' ? p.ext : p.kind === 'mime' ? p.mime : `${p.family}*`;

/**
 * Does the content match what the key's extension claims? `undefined` when it does (or the extension
 * claims nothing); otherwise a sentence saying how it differs.
 */
export const typeMismatchOf = (key: string, sniffed: SniffResult): string | undefined => {
  const claimed = claimedTypeOf(key);
  if (!claimed) return undefined;
  const { extension, claim } = claimed;
  if (sniffed.contentClass === 'text') {
    return claim.text ? undefined : `extension .${extension} claims ${claim.sniffed[0]}, content is text`;
  }
  if (sniffed.contentClass === 'binary') {
    if (claim.text) return `extension .${extension} claims text, content is binary`;
    return claim.weakMagic
      ? undefined
      : `extension .${extension} claims ${claim.sniffed[0]}, content is unrecognised binary`;
  }
  if (sniffed.ext === undefined) return undefined;
  return claim.sniffed.includes(sniffed.ext)
    ? undefined
    : `extension .${extension} claims ${claim.text ? 'text' : claim.sniffed[0]}, content is ${sniffed.ext}`;
};

/**
 * Apply the rule that matches the key (the first in file order, else the default rule), most decisive
 * check first: folder marker / empty object (ignore or EMPTY_FILE), TOO_LARGE, BLOCKED_TYPE (the sniffed
 * type or the key's extension is blocked), TYPE_MISMATCH, NOT_ALLOWED (outside the rule's `allow`).
 * Archive content is judged afterwards (inspectArchive.ts), since it costs a read.
 */
export const evaluatePolicy = (
  file: { readonly key: string; readonly size: number; readonly sniffed: SniffResult },
  config: PolicyConfig,
  rule: PolicyRule = ruleFor(policyOf(config), file.key),
): PolicyVerdict => {
  if (file.size === 0) {
    const folderMarker = file.key.endsWith('/');
    const action = folderMarker ? rule.folderMarkers : rule.emptyObjects;
    if (action === EmptyObjectAction.IGNORE)
      return { accepted: true, ignored: folderMarker ? IgnoredAs.FOLDER_MARKER : IgnoredAs.EMPTY_OBJECT };
    return {
      accepted: false,
      reason: QuarantineReason.EMPTY_FILE,
      detail: folderMarker ? 'folder marker (empty object)' : 'object is empty',
    };
  }
  if (file.size > rule.maxSizeBytes)
    return {
      accepted: false,
      reason: QuarantineReason.TOO_LARGE,
      detail: `size ${file.size} bytes exceeds the limit of ${rule.maxSizeBytes} bytes`,
    };
  const blockedBy = rule.block.find((p) => typeMatches(p, file.sniffed));
  if (blockedBy)
    return {
      accepted: false,
      reason: QuarantineReason.BLOCKED_TYPE,
      detail: `content is ${file.sniffed.ext ?? file.sniffed.mime}`,
    };
  const extension = extensionOf(file.key);
  if (extension !== undefined && rule.block.some((p) => typeMatches(p, { ext: extension })))
    return {
      accepted: false,
      reason: QuarantineReason.BLOCKED_TYPE,
      detail: `extension .${extension} is blocked`,
    };
  const mismatch = typeMismatchOf(file.key, file.sniffed);
  if (mismatch) return { accepted: false, reason: QuarantineReason.TYPE_MISMATCH, detail: mismatch };
  if (rule.allow && !rule.allow.some((p) => typeMatches(p, file.sniffed)))
    return {
      accepted: false,
      reason: QuarantineReason.NOT_ALLOWED,
      detail: `content is ${file.sniffed.mime ?? file.sniffed.contentClass ?? 'unknown'}; rule ${JSON.stringify(rule.name)} allows ${rule.allow.map(describePattern).join(', ')}`,
    };
  return { accepted: true };
};
