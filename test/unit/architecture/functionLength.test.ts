import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot, sourceFiles } from '../../helpers/sourceFiles.ts';

/** The longest function the pipeline and the operations may hold (issue #17: "no function over ~80 lines"). */
const MAX_FUNCTION_LINES = 80;
/** Folders whose functions are read as named steps a reader can follow. */
const FOLDERS = ['src/pipeline', 'src/ops'];

/** Every function of a file (declarations, arrows, expressions, methods) with its length in lines. */
const functionsOf = (file: string): { where: string; lines: number }[] => {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(repoRoot, file), 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const found: { where: string; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ where: `${file}:${start + 1}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
};

describe('function length', () => {
  it(`keeps every function of ${FOLDERS.join(' and ')} within ${MAX_FUNCTION_LINES} lines`, () => {
    // Act
    const long = FOLDERS.flatMap((dir) => sourceFiles(dir))
      .flatMap(functionsOf)
      .filter((f) => f.lines > MAX_FUNCTION_LINES)
      .map((f) => `${f.where} (${f.lines} lines)`);
    // Assess
    expect(long).toEqual([]);
  });
});
