/** Rendering for the terminal: sizes, durations, aligned tables and the upload progress bar. */
import stringWidth from 'string-width';
import { printable } from '../text/printable.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `0 B`, `999 B`, `1.5 KiB`, `12.0 MiB` (binary units, one decimal above bytes). */
export const formatBytes = (bytes: number): string => {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
};

/** `850 ms`, `1.4 s`, `2 m 03 s`, `1 h 05 m`. */
export const formatDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600)
    return `${Math.floor(totalSeconds / 60)} m ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)} h ${String(totalMinutes % 60).padStart(2, '0')} m`;
};

/** Per-second rate with one decimal, `0.0` when no time has passed. */
export const formatRate = (count: number, ms: number): string =>
  ms > 0 ? (count / (ms / 1000)).toFixed(1) : '0.0';

/** Shorten to `width` characters, keeping the start and the end (the file name) of a long key. */
export const truncateMiddle = (text: string, width: number): string => {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const tail = Math.ceil((width - 1) / 2);
  const head = width - 1 - tail;
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - tail).join('')}`;
};

/** A column of {@link renderTable}. */
export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => string;
  /** Right-align (numbers). */
  readonly alignRight?: boolean;
  /** Longest cell; longer ones are shortened in the middle. */
  readonly maxWidth?: number;
}

/**
 * Columns `text` takes in a terminal: East Asian wide and full-width characters (CJK, Hangul, most emoji)
 * take two, combining marks none — so keys like `日本語メモ.txt` stay aligned. From `string-width`, which
 * follows the Unicode tables release by release (a hand-kept range table here went stale and missed most
 * emoji and every grapheme cluster).
 */
export const displayWidth = (text: string): number => stringWidth(text);

/** Columns separated by two spaces, padded to the widest cell, a header line and a rule under it. */
export const renderTable = <Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): string => {
  const cells = rows.map((row) =>
    columns.map((c) => {
      // Cells hold upload text (keys, types): controls and bidi controls become visible escapes first,
      // so a cell is one line that cannot move the cursor, and widths are measured on what is shown.
      const value = printable(c.value(row));
      return c.maxWidth ? truncateMiddle(value, c.maxWidth) : value;
    }),
  );
  const widths = columns.map((c, i) =>
    Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(v)));
        return columns[i]?.alignRight ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '─'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
};

/**
 * `key: value` lines with the keys aligned; entries with an undefined value are left out. Values are
 * escaped with {@link printable} (they come from uploads).
 */
export const renderFields = (
  fields: ReadonlyArray<readonly [string, string | number | undefined]>,
): string => {
  const shown = fields.filter(
    (f): f is readonly [string, string | number] => f[1] !== undefined && f[1] !== '',
  );
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${printable(String(v))}`).join('\n');
};

/** Where the progress bar writes: a TTY redraws one line; anything else gets a line per 10 %. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  readonly totalFiles: number;
  readonly totalBytes: number;
  readonly stream: ProgressStream;
  /** Minimum time between two redraws on a TTY. @default 100 */
  readonly redrawIntervalMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** Upload progress: files and bytes done, failures, rate. */
export class Progress {
  private doneFiles = 0;
  private doneBytes = 0;
  private failedFiles = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastDecile = 0;
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Count bytes sent (a whole small file, or one part of a large one). */
  addBytes(bytes: number): void {
    this.doneBytes += bytes;
    this.draw(false);
  }

  /** Count one finished file. */
  fileDone(failed: boolean): void {
    this.doneFiles++;
    if (failed) this.failedFiles++;
    this.draw(false);
  }

  /** Draw the final state and end the line. */
  finish(): void {
    this.draw(true);
    if (this.options.stream.isTTY) this.options.stream.write('\n');
  }

  /** The current line, without control characters. */
  line(): string {
    const { totalFiles, totalBytes } = this.options;
    const fraction =
      totalBytes > 0 ? this.doneBytes / totalBytes : totalFiles > 0 ? this.doneFiles / totalFiles : 1;
    const percent = Math.min(100, Math.floor(fraction * 100));
    const elapsed = this.now() - this.startedAt;
    const failed = this.failedFiles > 0 ? `, ${this.failedFiles} failed` : '';
    return `${String(percent).padStart(3)}% ${this.doneFiles}/${totalFiles} files, ${formatBytes(this.doneBytes)}/${formatBytes(totalBytes)}, ${formatRate(this.doneFiles, elapsed)} files/s${failed}`;
  }

  private draw(force: boolean): void {
    const { stream } = this.options;
    const now = this.now();
    if (stream.isTTY) {
      if (!force && now - this.lastDraw < (this.options.redrawIntervalMs ?? 100)) return;
      this.lastDraw = now;
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 70));
      const { totalFiles } = this.options;
      const filled = totalFiles > 0 ? Math.round((this.doneFiles / totalFiles) * width) : width;
      const bar = `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, width - filled))}`;
      // \r returns to the line start and ESC[2K clears it, so the bar redraws in place.
      stream.write(`\r\x1b[2K${bar} ${this.line()}`);
      return;
    }
    const { totalFiles } = this.options;
    const decile = totalFiles > 0 ? Math.floor((this.doneFiles / totalFiles) * 10) : 10;
    // Not a terminal (a log, a pipe): a line per tenth of the files, the summary says the rest.
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      stream.write(`${this.line()}\n`);
    }
  }
}

/**
 * Print data as indented JSON (the `--json` output of every command). JSON.stringify escapes C0 controls
 * but leaves DEL, C1 (U+009B is a one-byte CSI) and bidi controls raw; they can only sit inside string
 * literals, where `\uXXXX` is the same JSON value, so the output parses to the same data.
 */
export const toJson = (data: unknown): string =>
  printable(JSON.stringify(data, null, 2), { keepLineBreaks: true });
