import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/configError.ts';
import { DEFAULT_BLOCKED_TYPES, loadHandlerConfig } from '../../../src/config/handlerConfig.ts';
import {
  InvalidPolicyError,
  parsePolicyText,
  policyEnvValue,
  readPolicyFile,
} from '../../../src/config/policyFile.ts';
import { IgnoredAs, QuarantineReason } from '../../../src/pipeline/constants.ts';
import { evaluatePolicy } from '../../../src/pipeline/policy.ts';
import {
  compilePolicy,
  type PolicyDocument,
  ruleFor,
  validatePolicyDocument,
} from '../../../src/pipeline/policyDocument.ts';
import { sniff } from '../../../src/pipeline/sniff.ts';
import { sampleFile } from '../../helpers/files.ts';

const base = { maxFileSizeBytes: 1024 * 1024, blockedTypes: DEFAULT_BLOCKED_TYPES };
const schema = JSON.parse(
  readFileSync(new URL('../../../schema/policy.schema.json', import.meta.url), 'utf8'),
);

const verdictFor = async (document: PolicyDocument, key: string, bytes: Uint8Array, size = bytes.length) =>
  evaluatePolicy(
    { key, size, sniffed: await sniff(bytes, key) },
    { ...base, policy: compilePolicy(document, base) },
  );

const twoPrefixes: PolicyDocument = {
  version: 1,
  rules: [
    { name: 'invoices', prefix: 'invoices/', allow: ['application/pdf'] },
    { name: 'images', prefix: 'images/', allow: ['image/*'], maxSizeBytes: 2048 },
    { name: 'exports', glob: 'exports/**/*.csv', allow: ['csv', 'json'] },
  ],
};

describe('policy rules', () => {
  it('takes the first matching rule, else the default rule', () => {
    const policy = compilePolicy(
      {
        version: 1,
        rules: [
          { name: 'a', prefix: 'x/' },
          { name: 'b', prefix: 'x/y/' },
        ],
      },
      base,
    );
    expect(ruleFor(policy, 'x/y/z.pdf').name).toBe('a');
    expect(ruleFor(policy, 'other.pdf').name).toBe('default');
  });

  it('quarantines a type outside the allow list as NOT_ALLOWED, naming the rule', async () => {
    expect(await verdictFor(twoPrefixes, 'invoices/notes.txt', sampleFile('txt').bytes)).toEqual({
      accepted: false,
      reason: QuarantineReason.NOT_ALLOWED,
      detail: 'content is text/plain; rule "invoices" allows application/pdf',
    });
    expect(await verdictFor(twoPrefixes, 'invoices/march.pdf', sampleFile('pdf').bytes)).toEqual({
      accepted: true,
    });
  });

  it('matches MIME families and extensions', async () => {
    expect(await verdictFor(twoPrefixes, 'images/a.png', sampleFile('png').bytes)).toEqual({
      accepted: true,
    });
    expect(await verdictFor(twoPrefixes, 'images/a.gif', sampleFile('gif').bytes)).toEqual({
      accepted: true,
    });
    expect(await verdictFor(twoPrefixes, 'images/a.pdf', sampleFile('pdf').bytes)).toMatchObject({
      reason: QuarantineReason.NOT_ALLOWED,
    });
    expect(await verdictFor(twoPrefixes, 'exports/2026/12/a.csv', sampleFile('csv').bytes)).toEqual({
      accepted: true,
    });
  });

  it('applies the rule size limit and still blocks executables the rule does not mention', async () => {
    expect(await verdictFor(twoPrefixes, 'images/big.png', sampleFile('png').bytes, 4096)).toMatchObject({
      reason: QuarantineReason.TOO_LARGE,
    });
    expect(await verdictFor(twoPrefixes, 'invoices/setup.exe', sampleFile('exe').bytes)).toMatchObject({
      reason: QuarantineReason.BLOCKED_TYPE,
    });
  });

  it('ignores folder markers by default (PROCESSED, no quarantine) and quarantines other empty objects', async () => {
    const empty = new Uint8Array(0);
    expect(await verdictFor(twoPrefixes, 'images/2026/', empty)).toEqual({
      accepted: true,
      ignored: IgnoredAs.FOLDER_MARKER,
    });
    expect(await verdictFor(twoPrefixes, 'images/empty.png', empty)).toMatchObject({
      reason: QuarantineReason.EMPTY_FILE,
    });
    const strict: PolicyDocument = {
      version: 1,
      default: { folderMarkers: 'quarantine', emptyObjects: 'ignore' },
    };
    expect(await verdictFor(strict, 'a/', empty)).toMatchObject({ reason: QuarantineReason.EMPTY_FILE });
    expect(await verdictFor(strict, 'a.txt', empty)).toEqual({
      accepted: true,
      ignored: IgnoredAs.EMPTY_OBJECT,
    });
  });

  it('builds the default rule from MAX_FILE_SIZE_BYTES and BLOCKED_TYPES when the file does not set them', () => {
    const config = loadHandlerConfig({
      METADATA_TABLE: 't',
      QUARANTINE_BUCKET: 'q',
      ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:t',
      DLQ_URL: 'http://x/1/q',
      MAX_RECEIVES: '5',
      MAX_FILE_SIZE_BYTES: '1000',
      BLOCKED_TYPES: 'exe,pdf',
      POLICY: JSON.stringify(twoPrefixes),
    });
    expect(config.policy.defaultRule.maxSizeBytes).toBe(1000);
    expect(config.policy.defaultRule.block).toEqual([
      { kind: 'ext', ext: 'exe' },
      { kind: 'ext', ext: 'pdf' },
    ]);
    expect(config.policy.rules.map((r) => r.name)).toEqual(['invoices', 'images', 'exports']);
  });
});

describe('policy validation', () => {
  it('names the line, column and field of each problem in a file', () => {
    // Prepare
    const text = [
      '{',
      '  "version": 1,',
      '  "rules": [',
      '    { "prefix": "a/", "allow": ["pdf"] },',
      '    { "prefix": "b/", "allow": ["pdf", "not a type"] },',
      '    { "allow": ["pdf"], "maxSizeByte": 10 }',
      '  ]',
      '}',
    ].join('\n');
    // Act
    let error: InvalidPolicyError | undefined;
    try {
      parsePolicyText(text, 'policy.json');
    } catch (e) {
      error = e as InvalidPolicyError;
    }
    // Assess
    expect(error).toBeInstanceOf(InvalidPolicyError);
    expect(error?.problems.map((p) => `${p.line}:${p.field}`)).toEqual([
      '5:rules[1].allow[1]',
      '6:rules[2].maxSizeByte',
      '6:rules[2]',
    ]);
    expect(error?.message).toContain('policy.json:5:');
    expect(error?.message).toContain(
      'must be a MIME type ("application/pdf"), a family ("image/*") or an extension ("pdf")',
    );
  });

  it('names the line of a JSON syntax error', () => {
    expect(() => parsePolicyText('{\n  "version": 1,\n  "rules": [,]\n}', 'p.json')).toThrow(
      /p\.json:3:\d+ \(syntax\)/,
    );
  });

  it('fails the cold start with a ConfigError naming POLICY and the field', () => {
    expect(() =>
      loadHandlerConfig({
        METADATA_TABLE: 't',
        QUARANTINE_BUCKET: 'q',
        ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:t',
        DLQ_URL: 'http://x/1/q',
        MAX_RECEIVES: '5',
        POLICY: '{"version":1,"default":{"folderMarkers":"skip"}}',
      }),
    ).toThrow(
      new ConfigError('POLICY', 'default.folderMarkers (column 25): must be one of quarantine, ignore'),
    );
  });

  it('refuses a policy too big for the Lambda environment', () => {
    const huge: PolicyDocument = {
      version: 1,
      rules: Array.from({ length: 100 }, (_, i) => ({
        prefix: `prefix-number-${i}/`,
        allow: ['application/pdf'],
      })),
    };
    expect(() => policyEnvValue(huge)).toThrow(/bytes; the Lambda environment/);
  });

  it('accepts the shipped policies', () => {
    for (const file of ['policies/demo.json', 'policies/example.json'])
      expect(() => readPolicyFile(new URL(`../../../${file}`, import.meta.url).pathname), file).not.toThrow();
  });

  it('agrees with the published JSON Schema on valid and invalid documents', () => {
    // Prepare
    const validate = new Ajv2020({ allErrors: true }).compile(schema);
    const documents: unknown[] = [
      twoPrefixes,
      JSON.parse(readFileSync(new URL('../../../policies/example.json', import.meta.url), 'utf8')),
      { version: 1 },
      { version: 2 },
      { version: 1, rules: [{ allow: ['pdf'] }] },
      { version: 1, rules: [{ prefix: '' }] },
      { version: 1, rules: [{ prefix: 'a/', name: ' ' }] },
      { version: 1, default: { allow: ['image/*', '.PDF'] } },
      { version: 1, default: { allow: ['image/'] } },
      { version: 1, default: { prefix: 'a/' } },
      { version: 1, default: { archives: { maxCompressionRatio: 1 } } },
      { version: 1, default: { archives: { encryptedEntries: 'accept', inspect: 'yes' } } },
      { version: 1, default: { maxSizeBytes: 1.5 } },
      { version: 1, extra: true },
      [],
    ];
    // Act / Assess
    for (const document of documents)
      expect(validate(document), JSON.stringify(document)).toBe(
        validatePolicyDocument(document).length === 0,
      );
  });
});
