import { QuarantineReason } from './constants.ts';
import { claimedTypeOf, extensionOf } from './fileTypes.ts';
import type { SniffResult } from './sniff.ts';

/** The policy's settings (from HandlerConfig). */
export interface PolicyConfig {
  /** Larger files are quarantined TOO_LARGE. */
  readonly maxFileSizeBytes: number;
  /** Types quarantined BLOCKED_TYPE, by sniffed `file-type` extension or by the key's own extension. */
  readonly blockedTypes: readonly string[];
}

/** The policy's decision on one file. */
export type PolicyVerdict =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: QuarantineReason; readonly detail: string };

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
 * Apply the policy, most decisive rule first: EMPTY_FILE, TOO_LARGE, BLOCKED_TYPE (the sniffed type or
 * the key's extension is blocked), TYPE_MISMATCH.
 */
export const evaluatePolicy = (
  file: { readonly key: string; readonly size: number; readonly sniffed: SniffResult },
  config: PolicyConfig,
): PolicyVerdict => {
  if (file.size === 0)
    return { accepted: false, reason: QuarantineReason.EMPTY_FILE, detail: 'object is empty' };
  if (file.size > config.maxFileSizeBytes)
    return {
      accepted: false,
      reason: QuarantineReason.TOO_LARGE,
      detail: `size ${file.size} bytes exceeds the limit of ${config.maxFileSizeBytes} bytes`,
    };
  const blocked = new Set(config.blockedTypes.map((t) => t.toLowerCase()));
  if (file.sniffed.ext !== undefined && blocked.has(file.sniffed.ext))
    return {
      accepted: false,
      reason: QuarantineReason.BLOCKED_TYPE,
      detail: `content is ${file.sniffed.ext}`,
    };
  const extension = extensionOf(file.key);
  if (extension !== undefined && blocked.has(extension))
    return {
      accepted: false,
      reason: QuarantineReason.BLOCKED_TYPE,
      detail: `extension .${extension} is blocked`,
    };
  const mismatch = typeMismatchOf(file.key, file.sniffed);
  if (mismatch) return { accepted: false, reason: QuarantineReason.TYPE_MISMATCH, detail: mismatch };
  return { accepted: true };
};
