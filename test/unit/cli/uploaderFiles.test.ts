import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFiles } from '../../../src/cli/uploader.ts';

describe('collectFiles', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ss-collect-'));
    await mkdir(join(root, 'dump', 'sub dir', 'deeper'), { recursive: true });
    await writeFile(join(root, 'dump', 'a.csv'), 'a,b\n');
    await writeFile(join(root, 'dump', 'sub dir', 'ü+%.txt'), 'hello');
    await writeFile(join(root, 'dump', 'sub dir', 'deeper', 'empty.bin'), '');
    await writeFile(join(root, 'single.pdf'), '%PDF-1.4');
    // A link back to the top must not make the walk loop.
    await symlink(join(root, 'dump'), join(root, 'dump', 'sub dir', 'loop'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('walks directories recursively, keeping inner paths as keys under the prefix', async () => {
    // Act
    const files = await collectFiles([join(root, 'dump'), join(root, 'single.pdf')], 'today');
    // Assess
    expect(files.map((f) => [f.key, f.size]).sort()).toEqual(
      [
        ['today/a.csv', 4],
        ['today/sub dir/deeper/empty.bin', 0],
        ['today/sub dir/ü+%.txt', 5],
        ['today/single.pdf', 8],
      ].sort(),
    );
  });

  it('fails before uploading when a path does not exist', async () => {
    await expect(collectFiles([join(root, 'missing')])).rejects.toThrow(
      /no such file or directory: .*missing/,
    );
  });

  it('refuses two files that would get the same key', async () => {
    await expect(collectFiles([join(root, 'dump', 'a.csv'), join(root, 'dump', 'a.csv')])).rejects.toThrow(
      /would both be uploaded as "a.csv"/,
    );
  });

  it('refuses keys longer than S3 allows, counting UTF-8 bytes', async () => {
    await expect(collectFiles([join(root, 'single.pdf')], 'é'.repeat(510))).rejects.toThrow(
      /longer than S3's 1024 bytes/,
    );
    await expect(collectFiles([join(root, 'single.pdf')], 'é'.repeat(500))).resolves.toHaveLength(1);
  });
});
