import { printable } from '../text/printable.js';

/** Where the runner reports what it does. */
export interface RunnerLogger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Options of {@link createRunnerLogger}. */
export interface RunnerLoggerOptions {
  /** One JSON object per line instead of text for a human. @default false */
  readonly json?: boolean;
  /** Lines below this level are dropped. @default 'info' */
  readonly level?: 'info' | 'warn' | 'error' | 'silent';
  /** @default process.stdout / process.stderr (warnings and errors) */
  readonly write?: (line: string, level: 'info' | 'warn' | 'error') => void;
  /** @default Date.now */
  readonly now?: () => number;
}

const RANK = { info: 0, warn: 1, error: 2, silent: 3 } as const;
const MARK = { info: ' ', warn: '!', error: '✗' } as const;

const defaultWrite = (line: string, level: 'info' | 'warn' | 'error'): void => {
  (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
};

/**
 * A logger for the terminal: `12:00:01.234   message` (the message already says what happened; fields
 * are only shown in JSON mode), or JSON lines `{"time","level","message",...fields}` with `json`.
 */
export const createRunnerLogger = (options: RunnerLoggerOptions = {}): RunnerLogger => {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? defaultWrite;
  const now = options.now ?? Date.now;
  const log =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields: Readonly<Record<string, unknown>> = {}): void => {
      if (RANK[level] < min) return;
      const time = new Date(now()).toISOString();
      // Messages and fields quote keys and errors (upload text): one line, no control or bidi character.
      // In JSON those can only sit inside strings, where `\uXXXX` is the same value.
      write(
        printable(
          options.json
            ? JSON.stringify({ time, level: level.toUpperCase(), message, ...fields })
            : `${time.slice(11, 23)} ${MARK[level]} ${message}`,
        ),
        level,
      );
    };
  return { info: log('info'), warn: log('warn'), error: log('error') };
};

/** A logger that drops everything (tests that assert on counters instead). */
export const silentRunnerLogger: RunnerLogger = { info() {}, warn() {}, error() {} };
