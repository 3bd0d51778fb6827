import { PermanentError } from '../../src/pipeline/errors.ts';
import type { ObjectStore } from '../../src/pipeline/ports.ts';

/**
 * The real object store with a fault: reading a planned key (of `bucket`, when given; else of any bucket)
 * fails with a permanent error — a parser crash, so the handler quarantines the file PROCESSING_FAILED at
 * once — as many times as `plan` says, then works. `plan` is counted down in place.
 */
export const failingReads = (
  real: ObjectStore,
  plan: Map<string, number>,
  options: { readonly bucket?: string } = {},
): ObjectStore => ({
  ...real,
  async readPrefix(ref) {
    const left = plan.get(ref.key) ?? 0;
    if ((options.bucket === undefined || ref.bucket === options.bucket) && left > 0) {
      plan.set(ref.key, left - 1);
      throw new PermanentError(`injected: parser crashed on ${ref.key}`);
    }
    return real.readPrefix(ref);
  },
});
