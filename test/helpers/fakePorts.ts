import { createHash } from 'node:crypto';
import { ObjectGoneError, TransientError } from '../../src/pipeline/errors.ts';
import type {
  AlertMessage,
  AlertPublisher,
  DeadLetterSender,
  LoggerPort,
  MetadataStore,
  MetricsPort,
  ObjectHead,
  ObjectStore,
  TableItem,
} from '../../src/pipeline/ports.ts';
import type { IngestPipelineDeps } from '../../src/pipeline/processBatch.ts';

/** One stored object. */
interface StoredObject {
  bytes: Uint8Array;
  contentType?: string;
  metadata: Record<string, string>;
  etag: string;
  tags?: Record<string, string>;
}

/** Which port call to break, and how: return an error to throw it (the call does nothing). */
export type PortFault = (call: string, args: unknown) => Error | 'afterWork' | undefined;

/**
 * Small in-memory fakes of the pipeline's ports (not the AWS SDK): an object store of buckets, a table of
 * items, an alert and DLQ log. `fault` breaks chosen calls; `'afterWork'` does the work and then throws
 * (a response lost on the way back).
 */
export const fakePorts = () => {
  const objects = new Map<string, StoredObject>();
  const items = new Map<string, TableItem>();
  const alerts: AlertMessage[] = [];
  const deadLetters: { body: string; attributes: Readonly<Record<string, string>> }[] = [];
  const calls: string[] = [];
  const state: { fault?: PortFault } = {};
  const at = (bucket: string, key: string) => `${bucket}/${key}`;

  /** Run a call through the fault hook. */
  const call = async <T>(name: string, args: unknown, work: () => T): Promise<T> => {
    calls.push(name);
    const fault = state.fault?.(name, args);
    if (fault instanceof Error) throw fault;
    const result = work();
    if (fault === 'afterWork') throw new TransientError(`${name}: response lost after the work was done`);
    return result;
  };
  const get = (bucket: string, key: string, ifMatch?: string): StoredObject => {
    const found = objects.get(at(bucket, key));
    if (!found || (ifMatch && ifMatch.replace(/"/g, '') !== found.etag))
      throw new ObjectGoneError(bucket, key);
    return found;
  };
  const headOf = (o: StoredObject): ObjectHead => ({
    size: o.bytes.length,
    metadata: { ...o.metadata },
    etag: `"${o.etag}"`,
    ...(o.contentType ? { contentType: o.contentType } : {}),
  });

  const objectStore: ObjectStore = {
    readPrefix: (ref) =>
      call('readPrefix', ref, () => {
        const o = get(ref.bucket, ref.key, ref.ifMatch);
        return { ...headOf(o), bytes: o.bytes.slice(0, ref.maxBytes) };
      }),
    readSuffix: (ref) =>
      call('readSuffix', ref, () => {
        const o = get(ref.bucket, ref.key, ref.ifMatch);
        return { bytes: o.bytes.slice(Math.max(0, o.bytes.length - ref.maxBytes)), size: o.bytes.length };
      }),
    readRange: (ref) =>
      call('readRange', ref, () => {
        const o = get(ref.bucket, ref.key, ref.ifMatch);
        return { bytes: o.bytes.slice(ref.start, ref.end + 1), size: o.bytes.length };
      }),
    headObject: (ref) => call('headObject', ref, () => headOf(get(ref.bucket, ref.key, ref.ifMatch))),
    copyObject: (args) =>
      call('copyObject', args, () => {
        const source = get(args.source.bucket, args.source.key, args.source.ifMatch);
        objects.set(at(args.target.bucket, args.target.key), {
          bytes: source.bytes,
          metadata: { ...args.metadata },
          etag: source.etag,
          ...(args.contentType ? { contentType: args.contentType } : {}),
        });
        return { etag: source.etag };
      }),
    getObjectTags: (ref) => call('getObjectTags', ref, () => ({ ...(get(ref.bucket, ref.key).tags ?? {}) })),
    putObjectTags: (ref) =>
      call('putObjectTags', ref, () => {
        get(ref.bucket, ref.key).tags = { ...ref.tags };
      }),
    deleteObject: (ref) =>
      call('deleteObject', ref, () => {
        const found = objects.get(at(ref.bucket, ref.key));
        if (found && (!ref.ifMatch || ref.ifMatch.replace(/"/g, '') === found.etag))
          objects.delete(at(ref.bucket, ref.key));
      }),
  };
  const metadataStore: MetadataStore = {
    batchPut: (batch) =>
      call('batchPut', batch, () => {
        for (const item of batch) items.set(`${item.pk}\u0000${item.sk}`, { ...item });
        return { unprocessed: [] };
      }),
    putHistoryStep: (step) =>
      call('putHistoryStep', step, () => {
        items.set(`${step.pk}\u0000${step.sk}`, { ...step });
      }),
    fileHistory: (bucket, key) =>
      call('fileHistory', { bucket, key }, () =>
        [...items.values()].filter((i) => 'bucket' in i && i.bucket === bucket && i.key === key),
      ),
  };
  const alertPublisher: AlertPublisher = {
    publish: (alert) => call('publish', alert, () => void alerts.push(alert)),
  };
  const deadLetterSender: DeadLetterSender = {
    send: (message) => call('sendDeadLetter', message, () => void deadLetters.push(message)),
  };
  const logger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {} };
  const metrics: MetricsPort = { add() {}, flush() {} };

  /** Put an object (an upload); returns its ETag without quotes. */
  const put = (bucket: string, key: string, bytes: Uint8Array, contentType?: string): string => {
    const etag = createHash('md5').update(bytes).digest('hex');
    objects.set(at(bucket, key), { bytes, metadata: {}, etag, ...(contentType ? { contentType } : {}) });
    return etag;
  };
  const deps: IngestPipelineDeps = {
    objectStore,
    metadataStore,
    alerts: alertPublisher,
    deadLetters: deadLetterSender,
    logger,
    metrics,
    clock: { now: () => Date.now() },
    sleep: async () => {},
    random: () => 0.5,
  };
  return {
    deps,
    put,
    has: (bucket: string, key: string) => objects.has(at(bucket, key)),
    object: (bucket: string, key: string) => objects.get(at(bucket, key)),
    items: () => [...items.values()],
    alerts,
    deadLetters,
    calls,
    set fault(fault: PortFault | undefined) {
      state.fault = fault;
    },
  };
};
