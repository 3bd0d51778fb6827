import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExpectedOutcome, FileKind } from './fileMix.ts';

/** One line of a run's manifest: what the load generator uploaded and what the pipeline owes it. */
export interface ManifestEntry {
  readonly bucket: string;
  /** Object key as uploaded (decoded, the way the metadata table stores it). */
  readonly key: string;
  readonly kind: FileKind;
  readonly sizeBytes: number;
  readonly contentType: string;
  /** Value of the `uploaded-at` object metadata: when the PUT started (ISO-8601 UTC). */
  readonly uploadedAt: string;
  /** How long the PUT took. */
  readonly uploadMs: number;
  /** False when the PUT failed: the object may or may not exist, so it is not owed a record. */
  readonly ok: boolean;
  readonly expected: ExpectedOutcome;
  readonly etag?: string;
  readonly error?: string;
}

/** Manifest files of a run end with this; one per load-generator process/thread. */
const MANIFEST_SUFFIX = '.manifest.ndjson';

/**
 * Appends manifest lines to `<dir>/<writerId>.manifest.ndjson`. One file per writer, so concurrent
 * artillery workers never interleave partial lines; each line is written synchronously so a crash
 * loses nothing that was already uploaded.
 */
export class ManifestWriter {
  readonly path: string;

  constructor(dir: string, writerId: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${writerId}${MANIFEST_SUFFIX}`);
  }

  append(entry: ManifestEntry): void {
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }
}

/** Read every manifest file of a run directory. A torn last line (a killed writer) is skipped and counted. */
export const readManifest = (dir: string): { entries: ManifestEntry[]; tornLines: number } => {
  const entries: ManifestEntry[] = [];
  let tornLines = 0;
  const files = readdirSync(dir).filter((name) => name.endsWith(MANIFEST_SUFFIX));
  for (const file of files.sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as ManifestEntry);
      } catch {
        tornLines += 1;
      }
    }
  }
  return { entries, tornLines };
};
