import { describe, expect, it } from 'vitest';
import { createRunnerLogger } from '../../../src/local/runnerLogger.ts';
import { printable } from '../../../src/text/printable.js';
import { HOSTILE_KEYS, UNSAFE_CHARACTER_OR_LF } from '../../helpers/hostileKeys.ts';

const capture = (json: boolean) => {
  const lines: string[] = [];
  const logger = createRunnerLogger({ json, write: (line) => lines.push(line), now: () => 0 });
  return { lines, logger };
};

describe('the runner logger (up’s log) with hostile keys', () => {
  it.each(Object.entries(HOSTILE_KEYS))('prints the %s key as one escaped line', (_, key) => {
    // Prepare
    const { lines, logger } = capture(false);
    // Act: the line the local runtime writes for every file, and a handler error quoting the key
    const fileLine = (k: string) => `  QUARANTINED PROCESSING_FAILED     text/plain               ${k}`;
    logger.info(fileLine(key), { key });
    logger.error(`read failed: ${key} — timed out`);
    // Assess
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(UNSAFE_CHARACTER_OR_LF);
    expect(lines[0]).toBe(`00:00:00.000   ${fileLine(printable(key))}`);
  });

  it.each(Object.entries(HOSTILE_KEYS))(
    'writes the %s key in JSON lines as the same value, escaped',
    (_, key) => {
      // Prepare
      const { lines, logger } = capture(true);
      // Act
      logger.warn(`file ${key}`, { key });
      // Assess
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(UNSAFE_CHARACTER_OR_LF);
      expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'WARN', message: `file ${key}`, key });
    },
  );
});
