/**
 * The policy file: its JSON shape (published as `schema/policy.schema.json`), its validation and its
 * compiled form. Pure: no file system and no environment (src/config reads the file and the variables).
 *
 * Decisions (docs/policy.md):
 * - JSON, not YAML: no parser dependency in the Lambda bundle, and JSON Schema tooling reads it as is.
 * - A rule's omitted fields inherit the default rule's, so a rule that only says `allow` still blocks
 *   executables; `"block": []` clears the list on purpose.
 * - `prefix` and `glob` may be combined (both must match); a rule needs at least one of them.
 */

/** What to do with an empty object (0 bytes) or a folder marker (0 bytes, key ending in `/`). */
export const EmptyObjectAction = { QUARANTINE: 'quarantine', IGNORE: 'ignore' } as const;
/** An {@link EmptyObjectAction} value. */
export type EmptyObjectAction = (typeof EmptyObjectAction)[keyof typeof EmptyObjectAction];

/** What to do with an encrypted entry inside an archive. */
export const EncryptedEntryAction = { QUARANTINE: 'quarantine', ACCEPT: 'accept' } as const;
/** An {@link EncryptedEntryAction} value. */
export type EncryptedEntryAction = (typeof EncryptedEntryAction)[keyof typeof EncryptedEntryAction];

/** Archive limits of a rule, as written in the file. */
export interface ArchiveSettingsDocument {
  readonly inspect?: boolean;
  readonly maxEntries?: number;
  readonly maxCompressionRatio?: number;
  readonly encryptedEntries?: EncryptedEntryAction;
}

/** The settings a rule (or the default rule) may give, as written in the file. */
export interface RuleSettingsDocument {
  readonly allow?: readonly string[];
  readonly block?: readonly string[];
  readonly maxSizeBytes?: number;
  readonly emptyObjects?: EmptyObjectAction;
  readonly folderMarkers?: EmptyObjectAction;
  readonly archives?: ArchiveSettingsDocument;
}

/** One rule as written in the file. */
export interface RuleDocument extends RuleSettingsDocument {
  readonly name?: string;
  readonly prefix?: string;
  readonly glob?: string;
}

/** The policy file. */
export interface PolicyDocument {
  readonly $schema?: string;
  readonly version: 1;
  readonly default?: RuleSettingsDocument;
  readonly rules?: readonly RuleDocument[];
}

/** Archive limits after inheritance. */
export interface ArchiveLimits {
  /** Read the central directory of zip-family files (one more ranged GET). */
  readonly inspect: boolean;
  /** More entries than this quarantine the archive ARCHIVE_TOO_MANY_ENTRIES. */
  readonly maxEntries: number;
  /** Uncompressed / compressed size above this (for entries of at least 1 MiB) is ARCHIVE_BOMB. */
  readonly maxCompressionRatio: number;
  readonly encryptedEntries: EncryptedEntryAction;
}

/** A type pattern: a MIME type (`application/pdf`), a MIME family (`image/*`) or an extension (`pdf`). */
export type TypePattern =
  | { readonly kind: 'mime'; readonly mime: string }
  | { readonly kind: 'family'; readonly family: string }
  | { readonly kind: 'ext'; readonly ext: string };

/** One compiled rule; the default rule matches every key. */
export interface PolicyRule {
  /** The rule's name (recorded as `policyRule`); `default` for the default rule. */
  readonly name: string;
  readonly matches: (key: string) => boolean;
  /** Absent: any type that is not blocked. */
  readonly allow?: readonly TypePattern[];
  readonly block: readonly TypePattern[];
  readonly maxSizeBytes: number;
  readonly emptyObjects: EmptyObjectAction;
  readonly folderMarkers: EmptyObjectAction;
  readonly archives: ArchiveLimits;
}

/** A compiled policy: rules in file order, then the default rule. */
export interface Policy {
  readonly rules: readonly PolicyRule[];
  readonly defaultRule: PolicyRule;
}

/** One problem found in a policy document; `path` leads from the root to the field. */
export interface PolicyProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Built-in archive limits (a policy file may change them per rule). */
export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  inspect: true,
  maxEntries: 10_000,
  maxCompressionRatio: 100,
  encryptedEntries: EncryptedEntryAction.QUARANTINE,
};

/** `rules[1].allow[0]` from a path. */
export const formatPolicyPath = (path: readonly (string | number)[]): string =>
  path.length === 0
    ? '(root)'
    : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

const MIME_PATTERN = /^[a-z0-9][a-z0-9.+-]*\/([a-z0-9][a-z0-9.+-]*|\*)$/;
const EXT_PATTERN = /^\.?[a-z0-9][a-z0-9_+-]*(\.[a-z0-9][a-z0-9_+-]*)*$/;

/** Parse one type pattern (lower-cased); `undefined` when it is not one. */
export const parseTypePattern = (raw: string): TypePattern | undefined => {
  const text = raw.trim().toLowerCase();
  if (text.includes('/')) {
    if (!MIME_PATTERN.test(text)) return undefined;
    return text.endsWith('/*') ? { kind: 'family', family: text.slice(0, -1) } : { kind: 'mime', mime: text };
  }
  if (!EXT_PATTERN.test(text)) return undefined;
  return { kind: 'ext', ext: text.replace(/^\./, '') };
};

/** Does a sniffed type (MIME and/or extension) match the pattern? */
export const typeMatches = (pattern: TypePattern, type: { mime?: string; ext?: string }): boolean => {
  if (pattern.kind === 'ext') return type.ext === pattern.ext;
  if (pattern.kind === 'mime') return type.mime === pattern.mime;
  return type.mime?.startsWith(pattern.family) ?? false;
};

const escapeRegExp = (text: string): string => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/**
 * A glob over the whole key: `*` any characters but `/`, `**` any characters, `?` one character but `/`.
 * Everything else is literal (no brace or class syntax: keys may contain them).
 */
export const globToRegExp = (glob: string): RegExp => {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 's');
};

const RULE_KEYS = new Set([
  'name',
  'prefix',
  'glob',
  'allow',
  'block',
  'maxSizeBytes',
  'emptyObjects',
  'folderMarkers',
  'archives',
]);
const DEFAULT_KEYS = new Set([...RULE_KEYS].filter((k) => k !== 'name' && k !== 'prefix' && k !== 'glob'));
const ARCHIVE_KEYS = new Set(['inspect', 'maxEntries', 'maxCompressionRatio', 'encryptedEntries']);
const ROOT_KEYS = new Set(['$schema', 'version', 'default', 'rules']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

type Path = (string | number)[];

/** The field checks of a policy document, each adding what is wrong to `problems`. */
const policyChecks = (problems: PolicyProblem[]) => {
  const problem = (path: Path, message: string) => problems.push({ path, message });
  const onlyKeys = (object: Record<string, unknown>, allowed: Set<string>, path: Path) => {
    for (const key of Object.keys(object))
      if (!allowed.has(key))
        problem([...path, key], `unknown field (expected one of ${[...allowed].join(', ')})`);
  };
  const integer = (v: unknown, path: Path, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      problem(path, `must be an integer from ${min} to ${max}`);
  };
  const oneOf = (v: unknown, path: Path, allowed: readonly string[]) => {
    if (typeof v !== 'string' || !allowed.includes(v)) problem(path, `must be one of ${allowed.join(', ')}`);
  };
  const typeList = (v: unknown, path: Path) => {
    if (!Array.isArray(v)) {
      problem(path, 'must be an array of types (e.g. ["pdf", "image/*"])');
      return;
    }
    v.forEach((item, i) => {
      if (typeof item !== 'string' || parseTypePattern(item) === undefined)
        problem(
          [...path, i],
          'must be a MIME type ("application/pdf"), a family ("image/*") or an extension ("pdf")',
        );
    });
  };
  const settings = (object: Record<string, unknown>, path: Path) => {
    if ('allow' in object) typeList(object.allow, [...path, 'allow']);
    if ('block' in object) typeList(object.block, [...path, 'block']);
    if ('maxSizeBytes' in object) integer(object.maxSizeBytes, [...path, 'maxSizeBytes'], 1);
    for (const field of ['emptyObjects', 'folderMarkers'] as const)
      if (field in object) oneOf(object[field], [...path, field], Object.values(EmptyObjectAction));
    if ('archives' in object) {
      const archives = object.archives;
      const at = [...path, 'archives'];
      if (!isObject(archives)) {
        problem(at, 'must be an object');
        return;
      }
      onlyKeys(archives, ARCHIVE_KEYS, at);
      if ('inspect' in archives && typeof archives.inspect !== 'boolean')
        problem([...at, 'inspect'], 'must be true or false');
      if ('maxEntries' in archives) integer(archives.maxEntries, [...at, 'maxEntries'], 1, 1_000_000);
      if ('maxCompressionRatio' in archives)
        integer(archives.maxCompressionRatio, [...at, 'maxCompressionRatio'], 2, 1_000_000);
      if ('encryptedEntries' in archives)
        oneOf(archives.encryptedEntries, [...at, 'encryptedEntries'], Object.values(EncryptedEntryAction));
    }
  };

  return { problem, onlyKeys, settings };
};

/** Check the `rules` array: each rule an object with known fields, a prefix or a glob, valid settings. */
const checkRules = (rules: unknown, checks: ReturnType<typeof policyChecks>): void => {
  const { problem, onlyKeys, settings } = checks;
  if (!Array.isArray(rules)) {
    problem(['rules'], 'must be an array of rules');
    return;
  }
  rules.forEach((rule: unknown, i) => {
    const at = ['rules', i];
    if (!isObject(rule)) {
      problem(at, 'must be an object');
      return;
    }
    onlyKeys(rule, RULE_KEYS, at);
    if ('name' in rule && (typeof rule.name !== 'string' || rule.name.trim() === ''))
      problem([...at, 'name'], 'must be a non-empty string');
    for (const field of ['prefix', 'glob'] as const)
      if (field in rule && (typeof rule[field] !== 'string' || rule[field] === ''))
        problem([...at, field], 'must be a non-empty string');
    if (!('prefix' in rule) && !('glob' in rule))
      problem(at, 'a rule needs a prefix or a glob (the default rule covers every other key)');
    settings(rule, at);
  });
};

/** Check a parsed policy document; returns every problem (empty when valid). */
export const validatePolicyDocument = (value: unknown): PolicyProblem[] => {
  const problems: PolicyProblem[] = [];
  const checks = policyChecks(problems);
  const { problem, onlyKeys, settings } = checks;
  if (!isObject(value)) {
    problem([], 'a policy must be a JSON object');
    return problems;
  }
  onlyKeys(value, ROOT_KEYS, []);
  if (value.version !== 1) problem(['version'], 'must be 1');
  if ('$schema' in value && typeof value.$schema !== 'string') problem(['$schema'], 'must be a string');
  if ('default' in value) {
    if (!isObject(value.default)) problem(['default'], 'must be an object');
    else {
      onlyKeys(value.default, DEFAULT_KEYS, ['default']);
      settings(value.default, ['default']);
    }
  }
  if ('rules' in value) checkRules(value.rules, checks);
  return problems;
};

/** The default rule's values when neither the file nor the environment gives them. */
export interface PolicyBase {
  readonly maxFileSizeBytes: number;
  readonly blockedTypes: readonly string[];
}

const patterns = (list: readonly string[]): TypePattern[] =>
  list.map(parseTypePattern).filter((p): p is TypePattern => p !== undefined);

/**
 * Compile a valid document (call {@link validatePolicyDocument} first). The default rule takes each
 * field from the document's `default`, else from `base` (the environment variables), else built-ins.
 */
export const compilePolicy = (document: PolicyDocument | undefined, base: PolicyBase): Policy => {
  const d = document?.default ?? {};
  const defaultRule: PolicyRule = {
    name: 'default',
    matches: () => true,
    ...(d.allow ? { allow: patterns(d.allow) } : {}),
    block: patterns(d.block ?? base.blockedTypes),
    maxSizeBytes: d.maxSizeBytes ?? base.maxFileSizeBytes,
    emptyObjects: d.emptyObjects ?? EmptyObjectAction.QUARANTINE,
    folderMarkers: d.folderMarkers ?? EmptyObjectAction.IGNORE,
    archives: { ...DEFAULT_ARCHIVE_LIMITS, ...d.archives },
  };
  const rules = (document?.rules ?? []).map((r, i): PolicyRule => {
    const glob = r.glob === undefined ? undefined : globToRegExp(r.glob);
    const allow = r.allow ? patterns(r.allow) : defaultRule.allow;
    return {
      name: r.name ?? `rules[${i}]`,
      matches: (key) => (r.prefix === undefined || key.startsWith(r.prefix)) && (glob?.test(key) ?? true),
      ...(allow ? { allow } : {}),
      block: r.block ? patterns(r.block) : defaultRule.block,
      maxSizeBytes: r.maxSizeBytes ?? defaultRule.maxSizeBytes,
      emptyObjects: r.emptyObjects ?? defaultRule.emptyObjects,
      folderMarkers: r.folderMarkers ?? defaultRule.folderMarkers,
      archives: { ...defaultRule.archives, ...r.archives },
    };
  });
  return { rules, defaultRule };
};

/** The first rule matching the key, else the default rule. */
export const ruleFor = (policy: Policy, key: string): PolicyRule =>
  policy.rules.find((rule) => rule.matches(key)) ?? policy.defaultRule;
