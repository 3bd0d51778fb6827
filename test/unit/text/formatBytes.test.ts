import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../../src/dashboard/assets.ts';
import { formatBytes } from '../../../src/text/formatBytes.js';

describe('formatBytes', () => {
  // The sizes themselves are asserted where the CLI prints them (test/unit/cli/output.test.ts).
  it('leaves a size that is not a number blank instead of printing NaN', () => {
    // Prepare / Act / Assess
    expect(formatBytes(Number.NaN)).toBe('');
  });

  it('is the very module the dashboard serves to the browser', () => {
    // Prepare
    const source = readFileSync(new URL('../../../src/text/formatBytes.js', import.meta.url));
    // Act
    const served = loadAssets('token').get('/formatBytes.js');
    // Assess
    expect(served?.contentType).toMatch(/^text\/javascript/);
    expect(served?.body.equals(source)).toBe(true);
  });
});
