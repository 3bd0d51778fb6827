import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, sourceFiles } from '../../helpers/sourceFiles.ts';

/**
 * The dependency rule of docs/architecture.md, checked on every `npm test`: each folder of src/ (and
 * infra/) may import only the folders listed for it. The matrix is the architecture: handlers → pipeline
 * ← adapters, with the local runtime, the CLI and the dashboard as outer rooms. Changing it is a design
 * decision; change docs/architecture.md with it.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'src/text': [],
  'src/cost': [],
  'src/pipeline': ['src/text'],
  'src/config': ['src/pipeline', 'src/text'],
  'src/adapters': ['src/pipeline', 'src/config', 'src/text'],
  'src/tracking': ['src/pipeline', 'src/config', 'src/text'],
  'src/ops': ['src/pipeline', 'src/config', 'src/tracking', 'src/text'],
  'src/handlers': ['src/pipeline', 'src/config', 'src/adapters', 'src/ops', 'src/text'],
  'src/local': ['src/pipeline', 'src/config', 'src/adapters', 'src/ops', 'src/handlers', 'src/text'],
  'src/dashboard': ['src/pipeline', 'src/config', 'src/adapters', 'src/tracking', 'src/ops', 'src/text'],
  'src/cli': [
    'src/pipeline',
    'src/config',
    'src/adapters',
    'src/tracking',
    'src/ops',
    'src/local',
    'src/dashboard',
    'src/text',
  ],
  infra: ['src/pipeline', 'src/config', 'src/text'],
};

/** Packages a folder must not import: the pipeline's core stays free of the AWS SDK and Lambda types. */
const MAY_NOT_IMPORT_PACKAGES: Readonly<Record<string, readonly RegExp[]>> = {
  'src/pipeline': [/^@aws-sdk\//, /^aws-lambda$/, /^aws-cdk-lib/],
  'src/config': [/^@aws-sdk\//, /^aws-cdk-lib/],
  'src/text': [/./],
  'src/cost': [/./],
};

/** Every module specifier a file imports or re-exports (static and dynamic). */
const specifiersOf = (source: string): string[] => {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1] ?? '');
  return found;
};

/** The folder a repository path belongs to: `src/<room>` or the top-level folder. */
const folderOf = (path: string): string => {
  const [top, second] = path.split('/');
  return top === 'src' && second ? `src/${second}` : (top ?? path);
};

interface Import {
  readonly from: string;
  readonly specifier: string;
  /** Repository path for a relative import, else undefined (a package). */
  readonly target?: string;
}

const importsOf = (file: string): Import[] =>
  specifiersOf(readFileSync(join(repoRoot, file), 'utf8')).map((specifier) =>
    specifier.startsWith('.')
      ? { from: file, specifier, target: relative(repoRoot, join(repoRoot, dirname(file), specifier)) }
      : { from: file, specifier },
  );

const allImports = [...sourceFiles('src', /\.(ts|js)$/), ...sourceFiles('infra', /\.(ts|js)$/)].flatMap(
  importsOf,
);

/** Folder → the folders it imports, from the code as it is. */
const folderGraph = (): Map<string, Set<string>> => {
  const graph = new Map<string, Set<string>>();
  for (const i of allImports) {
    if (!i.target) continue;
    const [a, b] = [folderOf(i.from), folderOf(i.target)];
    if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
  }
  return graph;
};

/** A cycle of folders, as a path `a → b → a`, or undefined. */
const findCycle = (graph: Map<string, Set<string>>): string | undefined => {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]): string | undefined => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node].join(' → ');
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return undefined;
};

describe('the dependency rule (docs/architecture.md)', () => {
  it('reads the imports of every file of src/ and infra/', () => {
    // Prepare / Act / Assess: a parser that found nothing would let every rule pass
    expect(allImports.filter((i) => i.target).length).toBeGreaterThan(300);
    for (const folder of new Set(allImports.map((i) => folderOf(i.from))))
      expect(Object.keys(MAY_IMPORT), `${folder} has no row in the matrix`).toContain(folder);
  });

  it('lets each folder import only the folders the matrix allows it', () => {
    // Act
    const wrong = allImports
      .filter((i) => i.target !== undefined)
      .filter((i) => {
        const [from, to] = [folderOf(i.from), folderOf(i.target ?? '')];
        return from !== to && !(MAY_IMPORT[from] ?? []).includes(to);
      })
      .map((i) => `${i.from} imports ${i.specifier}`);
    // Assess
    expect(wrong).toEqual([]);
  });

  it('keeps the AWS SDK, Lambda types and the CDK out of the inner layers', () => {
    const wrong = allImports
      .filter((i) => i.target === undefined && !i.specifier.startsWith('node:'))
      .filter((i) => (MAY_NOT_IMPORT_PACKAGES[folderOf(i.from)] ?? []).some((p) => p.test(i.specifier)))
      .map((i) => `${i.from} imports ${i.specifier}`);
    expect(wrong).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(findCycle(folderGraph())).toBeUndefined();
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    // Prepare
    const graph = new Map([
      ['src/pipeline', new Set(['src/config'])],
      ['src/config', new Set(['src/pipeline'])],
    ]);
    // Act / Assess
    expect(findCycle(graph)).toBe('src/pipeline → src/config → src/pipeline');
  });
});
