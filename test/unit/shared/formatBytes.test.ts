import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadAssets } from '../../../src/dashboard/assets.ts';
import { formatBytes } from '../../../src/shared/formatBytes.js';

describe('formatBytes', () => {
  it('reads like a human would write it', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('leaves a size that is not a number blank instead of printing NaN', () => {
    // Prepare / Act / Assess
    expect(formatBytes(Number.NaN)).toBe('');
  });

  it('is the very module the dashboard serves to the browser', () => {
    // Prepare
    const source = readFileSync(new URL('../../../src/shared/formatBytes.js', import.meta.url));
    // Act
    const served = loadAssets('token').get('/formatBytes.js');
    // Assess
    expect(served?.contentType).toMatch(/^text\/javascript/);
    expect(served?.body.equals(source)).toBe(true);
  });
});
