import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FileStatus, QuarantineReason } from '../../src/pipeline/constants.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import { makeFileRecord, putRecords } from './trackingRecords.ts';

/**
 * Object keys an attacker who can upload would choose to attack whoever reads them: one per kind of
 * control or bidi trick. Every surface (CLI commands, `up`'s log, the dashboard) is tested with all.
 */
export const HOSTILE_KEYS = {
  /** CSI 2J: clears the screen, then a forged all-clear line. */
  clearScreen: 'hostile/\u001b[2J\u001b[HALL FILES PROCESSED OK.png',
  /** OSC 0: sets the terminal window title (terminated by BEL). */
  windowTitle: 'hostile/\u001b]0;owned\u0007title.png',
  /** OSC 8: a hidden hyperlink around innocent text (terminated by ST, ESC \). */
  hiddenLink: 'hostile/\u001b]8;;https://attacker.example/\u001b\\click-me\u001b]8;;\u001b\\.pdf',
  /** C1 CSI (U+009B): the one-character form of ESC [ that many terminals honour. */
  c1Csi: 'hostile/\u009b2Jc1-clear.csv',
  /** RLO (U+202E): `invoice\u202Efdp.exe` shows as `invoiceexe.pdf`. */
  bidiOverride: 'hostile/invoice\u202Efdp.exe',
  /** RLI/PDI isolates and LRM/RLM/ALM marks. */
  bidiIsolate: 'hostile/\u2067gpj.exe\u2069\u200e\u200f\u061c.txt',
  /** CR/LF: a forged second line. */
  lineBreaks: 'hostile/a\r\n12:00:00.000   ALL FILES PROCESSED OK\n.txt',
  /** DEL and a backspace, which erase what was printed before them. */
  erase: 'hostile/safe\u0008\u0008\u0008\u0008evil\u007f.txt',
  /** U+2028 LINE SEPARATOR, a line break for some viewers. */
  lineSeparator: 'hostile/line\u2028separator.txt',
} as const;

/** Every character that must never reach an output raw. */
export const UNSAFE_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this pattern exists to find control characters.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** Like {@link UNSAFE_CHARACTER}, LF included (for single values and one-line outputs). */
export const UNSAFE_CHARACTER_OR_LF =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: this pattern exists to find control characters.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/**
 * One record per hostile key, as the handler writes a file quarantined after a failure whose message
 * quotes the key, newest first, with a declared content type that carries a control sequence too. For the
 * surfaces (CLI, dashboard) that must show them all escaped.
 */
export const putHostileQuarantines = (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
): Promise<FileRecord[]> => {
  const now = Date.now();
  return putRecords(
    dynamo,
    tableName,
    Object.values(HOSTILE_KEYS).map((key, i) =>
      makeFileRecord({
        key,
        processedAt: new Date(now - i * 1000).toISOString(),
        status: FileStatus.QUARANTINED,
        reason: QuarantineReason.PROCESSING_FAILED,
        declaredContentType: 'text/plain\u001b[31m',
        error: `read of ${key} timed out`,
      }),
    ),
  );
};
