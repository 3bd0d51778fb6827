/** Where a progress bar writes: a TTY redraws one line; anything else gets whole lines. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of {@link progressBar}. */
export interface ProgressBarOptions {
  readonly stream: ProgressStream;
  /** Width of the bar in characters, from the terminal's columns (80 when unknown). */
  readonly barWidth: (columns: number) => number;
  /** Minimum time between two redraws on a TTY. @default 100 */
  readonly redrawIntervalMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** One progress line on the terminal, shared by `upload` and `replay-dlq`. */
export interface ProgressBar {
  /** True when the stream is a terminal (the bar redraws in place). */
  readonly isTTY: boolean;
  /**
   * TTY only: redraw the bar filled to `fraction` (none when undefined) followed by `text`, at most once per
   * redraw interval unless `force`.
   */
  redraw(fraction: number | undefined, text: string, force?: boolean): void;
  /** Not a TTY (a log, a pipe): write `text` as a whole line, at most once per `minIntervalMs`. */
  log(text: string, minIntervalMs?: number): void;
  /** End the redrawn line, if one was drawn, so what follows starts on a fresh line. */
  finish(): void;
}

/** The one progress bar of the CLI: the commands decide what the line says and how often a log gets one. */
export const progressBar = (options: ProgressBarOptions): ProgressBar => {
  const { stream } = options;
  const now = options.now ?? Date.now;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastLog = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    isTTY: Boolean(stream.isTTY),
    redraw(fraction, text, force = false) {
      const t = now();
      if (!force && t - lastDraw < (options.redrawIntervalMs ?? 100)) return;
      lastDraw = t;
      const width = options.barWidth(stream.columns ?? 80);
      const filled = fraction === undefined ? 0 : Math.round(Math.min(1, fraction) * width);
      const bar =
        fraction === undefined ? '' : `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, width - filled))} `;
      // \r returns to the line start and ESC[2K clears it, so the bar redraws in place.
      stream.write(`\r\x1b[2K${bar}${text}`);
      drawn = true;
    },
    log(text, minIntervalMs = 0) {
      const t = now();
      if (t - lastLog < minIntervalMs) return;
      lastLog = t;
      stream.write(`${text}\n`);
    },
    finish() {
      if (drawn && stream.isTTY) stream.write('\n');
    },
  };
};
