import { readFileSync } from 'node:fs';
import { findNodeAtLocation, type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { SilentScalperError } from '../pipeline/errors.ts';
import { formatPolicyPath, type PolicyDocument, validatePolicyDocument } from '../pipeline/policyDocument.ts';

/**
 * Reading a policy file: parse with positions (jsonc-parser, comments refused: the file is strict JSON)
 * so every problem names its line, column and field. One function serves `cdk synth` (context
 * `policyFile`), `up --policy` and the cold start (the `POLICY` variable holds the compact JSON, so there
 * the line is always 1 and the field path is what helps).
 */

/**
 * The Lambda environment of a function is at most 4 KB in total (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html),
 * shared with the other variables: the compact policy may take 3 KB of it.
 */
export const MAX_POLICY_ENV_BYTES = 3072;

/** One located problem. */
export interface PolicyFileProblem {
  readonly line: number;
  readonly column: number;
  /** `rules[1].allow[0]`, or `(root)`. */
  readonly field: string;
  readonly message: string;
}

/** A policy file that does not parse or validate; `problems` lists every one, located. */
export class InvalidPolicyError extends SilentScalperError {
  constructor(
    public readonly source: string,
    public readonly problems: readonly PolicyFileProblem[],
  ) {
    super(
      `invalid policy ${source}:\n${problems
        .map((p) => `  ${source}:${p.line}:${p.column} ${p.field}: ${p.message}`)
        .join('\n')}`,
    );
  }
}

const lineAndColumn = (text: string, offset: number): { line: number; column: number } => {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i += 1)
    if (text.charCodeAt(i) === 10) {
      line += 1;
      start = i + 1;
    }
  return { line, column: offset - start + 1 };
};

/** The node of the deepest existing part of the path (an unknown field's own value, a missing one's parent). */
const nodeFor = (root: Node, path: readonly (string | number)[]): Node => {
  for (let n = path.length; n > 0; n -= 1) {
    const node = findNodeAtLocation(root, [...path.slice(0, n)]);
    // For an object member, point at its property name (the start of the line a reader looks for).
    if (node) return node.parent?.type === 'property' ? (node.parent.children?.[0] ?? node) : node;
  }
  return root;
};

/**
 * Parse and validate a policy's text. Throws {@link InvalidPolicyError} naming line, column and field.
 * `source` names the text in messages (a file path, or the variable `POLICY`).
 */
export const parsePolicyText = (text: string, source: string): PolicyDocument => {
  const syntax: ParseError[] = [];
  const root = parseTree(text, syntax, { disallowComments: true, allowTrailingComma: false });
  if (syntax.length > 0 || root === undefined) {
    const problems = syntax.map((e) => ({
      ...lineAndColumn(text, e.offset),
      field: '(syntax)',
      message: `not valid JSON (${printParseErrorCode(e.error)})`,
    }));
    throw new InvalidPolicyError(
      source,
      problems.length > 0 ? problems : [{ line: 1, column: 1, field: '(syntax)', message: 'empty' }],
    );
  }
  const value: unknown = JSON.parse(text);
  const problems = validatePolicyDocument(value);
  if (problems.length > 0)
    throw new InvalidPolicyError(
      source,
      problems.map((p) => ({
        ...lineAndColumn(text, nodeFor(root, p.path).offset),
        field: formatPolicyPath(p.path),
        message: p.message,
      })),
    );
  return value as PolicyDocument;
};

/** Read, parse and validate a policy file (throws {@link InvalidPolicyError}, or the read error). */
export const readPolicyFile = (path: string): PolicyDocument =>
  parsePolicyText(readFileSync(path, 'utf8'), path);

/**
 * The compact JSON the function's `POLICY` variable carries. Throws when it would not fit the Lambda
 * environment, naming the file and the size.
 */
export const policyEnvValue = (document: PolicyDocument, source = 'policy'): string => {
  const { $schema: _schema, ...rest } = document;
  const json = JSON.stringify(rest);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_POLICY_ENV_BYTES)
    throw new InvalidPolicyError(source, [
      {
        line: 1,
        column: 1,
        field: '(root)',
        message: `the compact policy is ${bytes} bytes; the Lambda environment (4 KB in all) leaves it ${MAX_POLICY_ENV_BYTES}`,
      },
    ]);
  return json;
};
