import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPowertoolsLogger } from '../../../src/adapters/powertools.ts';
import { printable } from '../../../src/text/printable.js';
import { HOSTILE_KEYS, UNSAFE_CHARACTER_OR_LF } from '../../helpers/hostileKeys.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the handler logger (Powertools JSON, up --json-logs and CloudWatch)', () => {
  it.each(Object.entries(HOSTILE_KEYS))('logs the %s key as its visible escape', (_, key) => {
    // Prepare
    const written: string[] = [];
    const record = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    // Warnings go to stderr (Console.warn); both streams are recorded.
    vi.spyOn(process.stdout, 'write').mockImplementation(record);
    vi.spyOn(process.stderr, 'write').mockImplementation(record);
    // Act
    createPowertoolsLogger().warn(`cannot read ${key}`, { key });
    // Assess
    const line = written.join('').trimEnd();
    expect(line).not.toMatch(UNSAFE_CHARACTER_OR_LF);
    expect(JSON.parse(line)).toMatchObject({ message: `cannot read ${printable(key)}`, key: printable(key) });
  });
});
