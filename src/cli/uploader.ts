import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pLimit from 'p-limit';
import { OBJECT_METADATA } from '../pipeline/constants.ts';
import { contentTypeFor } from './contentType.ts';
import { CliError } from './errors.ts';

/** S3's longest object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Files up to this size are read into memory, so the SDK can retry the request. */
export const BUFFERED_UPLOAD_MAX_BYTES = 8 * 1024 ** 2;
/** Above this size a file goes up in parts (multipart upload). */
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 64 * 1024 ** 2;
/** Part size of a multipart upload. S3 needs ≥ 5 MiB for every part but the last, and ≤ 10,000 parts. */
export const DEFAULT_PART_SIZE_BYTES = 16 * 1024 ** 2;
const MIN_PART_SIZE_BYTES = 5 * 1024 ** 2;
const MAX_PARTS = 10_000;
/** Parts of one file sent at once. */
const PART_CONCURRENCY = 4;
/** Directory entries visited at most: a guard against walking a whole disk by mistake. */
const MAX_WALK_ENTRIES = 1_000_000;

/** One local file and the key it gets. */
export interface LocalFile {
  readonly path: string;
  readonly key: string;
  readonly size: number;
}

/** `prefix` as a folder: empty, or ending with exactly one `/`. */
export const normalizePrefix = (prefix: string | undefined): string => {
  const trimmed = (prefix ?? '').replace(/^\/+/, '');
  if (!trimmed) return '';
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
};

const toPosix = (path: string): string => path.split(sep).join('/');

/**
 * The files to upload and their keys: a file keeps its name; a directory is walked recursively and its
 * files keep their path relative to it (like `aws s3 cp --recursive`). Symbolic links to files are
 * followed, links to directories are not (no cycles). Fails before any upload when a path is missing, a key
 * is too long, or two files would get the same key.
 */
export const collectFiles = async (paths: readonly string[], prefix?: string): Promise<LocalFile[]> => {
  const folder = normalizePrefix(prefix);
  const files: LocalFile[] = [];
  let visited = 0;
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new CliError(`no such file or directory: ${path}`);
    if (info.isFile()) {
      files.push({ path, key: folder + basename(path), size: info.size });
      continue;
    }
    if (!info.isDirectory()) throw new CliError(`not a file or directory: ${path}`);
    const pending = [path];
    while (pending.length > 0) {
      const dir = pending.pop() as string;
      const entries = await readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const entry of entries) {
        if (++visited > MAX_WALK_ENTRIES)
          throw new CliError(`more than ${MAX_WALK_ENTRIES} entries under ${path}: upload smaller folders`);
        const full = join(dir, entry.name);
        if (entry.isDirectory()) pending.push(full);
        else if (entry.isFile() || entry.isSymbolicLink()) {
          const target = await stat(full).catch(() => undefined);
          if (target?.isFile())
            files.push({ path: full, key: folder + toPosix(relative(path, full)), size: target.size });
        }
      }
    }
  }
  const tooLong = files.filter((f) => Buffer.byteLength(f.key, 'utf8') > MAX_KEY_BYTES);
  if (tooLong.length > 0)
    throw new CliError(
      `${tooLong.length} key(s) longer than S3's ${MAX_KEY_BYTES} bytes, e.g. ${tooLong[0]?.path}: use a shorter --prefix or shorter paths`,
    );
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.key);
    if (other) throw new CliError(`${other} and ${f.path} would both be uploaded as "${f.key}"`);
    seen.set(f.key, f.path);
  }
  return files;
};

/** Options of {@link uploadFile}. */
export interface UploadFileOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default DEFAULT_MULTIPART_THRESHOLD_BYTES */
  readonly multipartThresholdBytes?: number;
  /** @default DEFAULT_PART_SIZE_BYTES */
  readonly partSizeBytes?: number;
  /** Told about bytes sent, as they complete (whole file, or per part). */
  readonly onBytes?: (bytes: number) => void;
  /** Clock for `uploaded-at`. @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Upload one file with its content type and `uploaded-at` metadata (the time the upload started, from
 * which end-to-end latency is measured). Small files are sent from memory; medium ones streamed with a
 * single PutObject; large ones in parts (a single PUT is limited to 5 GiB and restarts from zero on failure:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html).
 */
export const uploadFile = async (file: LocalFile, options: UploadFileOptions): Promise<void> => {
  const { s3, bucket } = options;
  const common = {
    Bucket: bucket,
    Key: file.key,
    ContentType: contentTypeFor(file.path),
    Metadata: { [OBJECT_METADATA.uploadedAt]: (options.now?.() ?? new Date()).toISOString() },
  };
  const threshold = options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES;
  if (file.size <= Math.min(BUFFERED_UPLOAD_MAX_BYTES, threshold)) {
    await s3.send(new PutObjectCommand({ ...common, Body: await readFile(file.path) }));
  } else if (file.size <= threshold) {
    await s3.send(
      new PutObjectCommand({ ...common, Body: createReadStream(file.path), ContentLength: file.size }),
    );
  } else {
    await uploadMultipart(file, common, options);
    return;
  }
  options.onBytes?.(file.size);
};

/**
 * A large file in parts with the SDK's own multipart uploader (`@aws-sdk/lib-storage` `Upload`): it reads
 * the stream part by part, sends `PART_CONCURRENCY` parts at once with CRC32 checksums, and aborts the
 * multipart upload when a part fails (an unfinished one keeps its parts, and their cost, until aborted).
 */
const uploadMultipart = async (
  file: LocalFile,
  common: { Bucket: string; Key: string; ContentType: string; Metadata: Record<string, string> },
  options: UploadFileOptions,
): Promise<void> => {
  const partSize = Math.max(
    MIN_PART_SIZE_BYTES,
    options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
    Math.ceil(file.size / MAX_PARTS),
  );
  const upload = new Upload({
    client: options.s3,
    params: { ...common, Body: createReadStream(file.path), ChecksumAlgorithm: 'CRC32' },
    partSize,
    queueSize: PART_CONCURRENCY,
    leavePartsOnError: false,
  });
  // `loaded` is cumulative: pass on what each event adds, so the progress bar counts every byte once.
  let reported = 0;
  upload.on('httpUploadProgress', ({ loaded }) => {
    if (loaded === undefined || loaded <= reported) return;
    options.onBytes?.(loaded - reported);
    reported = loaded;
  });
  await upload.done();
  if (reported < file.size) options.onBytes?.(file.size - reported);
};

/** A file that could not be uploaded. */
export interface UploadFailure {
  readonly path: string;
  readonly key: string;
  readonly error: string;
}

/** What {@link uploadAll} did. */
export interface UploadSummary {
  readonly bucket: string;
  readonly files: number;
  readonly uploaded: number;
  readonly bytes: number;
  readonly failed: UploadFailure[];
  readonly durationMs: number;
  readonly filesPerSecond: number;
  readonly bytesPerSecond: number;
}

/** Options of {@link uploadAll}. */
export interface UploadAllOptions extends UploadFileOptions {
  /** Files uploaded at once. */
  readonly concurrency: number;
  /** Told when a file is done (after its last byte), failed or not. */
  readonly onFileDone?: (file: LocalFile, error?: unknown) => void;
}

/** Upload files in parallel (at most `concurrency` at once); failures are collected, not thrown. */
export const uploadAll = async (
  files: readonly LocalFile[],
  options: UploadAllOptions,
): Promise<UploadSummary> => {
  const startedAt = performance.now();
  const limit = pLimit(options.concurrency);
  const failed: UploadFailure[] = [];
  let bytes = 0;
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        try {
          await uploadFile(file, options);
          bytes += file.size;
          options.onFileDone?.(file);
        } catch (error) {
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          failed.push({ path: file.path, key: file.key, error: message });
          options.onFileDone?.(file, error);
        }
      }),
    ),
  );
  const durationMs = performance.now() - startedAt;
  const seconds = Math.max(durationMs, 1) / 1000;
  const uploaded = files.length - failed.length;
  return {
    bucket: options.bucket,
    files: files.length,
    uploaded,
    bytes,
    failed,
    durationMs: Math.round(durationMs),
    filesPerSecond: Math.round((uploaded / seconds) * 10) / 10,
    bytesPerSecond: Math.round(bytes / seconds),
  };
};
