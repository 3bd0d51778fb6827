import { Command } from 'commander';
import { CliError } from '../errors.ts';
import { integerIn } from '../options.ts';
import { formatBytes, formatDuration, Progress, toJson } from '../output.ts';
import { out, withTarget } from '../run.ts';
import { collectFiles, normalizePrefix, uploadAll } from '../uploader.ts';

interface UploadOptions {
  prefix: string;
  concurrency: number;
  json?: boolean;
}

/** `silent-scalper upload <paths…>` — parallel uploads into the input bucket with a progress bar. */
export const uploadCommand = (): Command =>
  new Command('upload')
    .summary('upload files and folders into the input bucket, in parallel')
    .description(
      'Upload files and folders (recursively) into the input bucket, in parallel. Each object gets its content type from its extension and `uploaded-at` metadata (the start of its end-to-end latency). Files above 64 MiB go up in 16 MiB parts (multipart upload).',
    )
    .argument('<paths...>', 'files or directories; a directory keeps its inner paths as keys')
    .option('--prefix <prefix>', 'folder to put every key under, e.g. dumps/2026-11-25', '')
    .option('--concurrency <n>', 'files uploaded at once (1–256)', integerIn(1, 256), 8)
    .option('--json', 'print the summary as JSON (progress stays on stderr)')
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper upload ./dump --prefix dumps/today\n  silent-scalper upload a.csv b.pdf --concurrency 2 --json',
    )
    .action(async (paths: string[], options: UploadOptions, command: Command) => {
      const files = await collectFiles(paths, options.prefix);
      if (files.length === 0) throw new CliError(`nothing to upload: no files in ${paths.join(', ')}`);
      await withTarget(command, async (target) => {
        const bucket = target.names.inputBucket;
        const progress = new Progress({
          totalFiles: files.length,
          totalBytes: files.reduce((sum, f) => sum + f.size, 0),
          stream: process.stderr,
        });
        const summary = await uploadAll(files, {
          s3: target.clients.s3,
          bucket,
          concurrency: options.concurrency,
          onBytes: (bytes) => progress.addBytes(bytes),
          onFileDone: (_file, error) => progress.fileDone(error !== undefined),
        });
        progress.finish();
        if (options.json) {
          out.stdout(toJson(summary));
        } else {
          const where = `s3://${bucket}/${normalizePrefix(options.prefix)}`;
          out.stdout(
            `Uploaded ${summary.uploaded} of ${summary.files} files (${formatBytes(summary.bytes)}) to ${where} in ${formatDuration(summary.durationMs)}: ${summary.filesPerSecond} files/s, ${formatBytes(summary.bytesPerSecond)}/s.`,
          );
          if (summary.failed.length > 0) {
            out.stdout(`${summary.failed.length} failed:`);
            for (const f of summary.failed) out.stdout(`  ${f.path} → ${f.key}: ${f.error}`);
          } else {
            out.stdout('Follow them with `silent-scalper status` and `silent-scalper files`.');
          }
        }
        if (summary.failed.length > 0) process.exitCode = 1;
      });
    });
