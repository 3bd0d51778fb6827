import { readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const repoRoot = normalize(join(dirname(fileURLToPath(import.meta.url)), '../..'));

/** Source files under `dir` (relative to the root, `/`-separated), whose names match `pattern`. */
export const sourceFiles = (dir: string, pattern = /\.ts$/): string[] =>
  readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path, pattern);
    return pattern.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
