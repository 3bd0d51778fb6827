import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { propsFromContext } from '../../infra/contextProps.ts';
import { handlerEnvironment } from '../../src/config/handlerConfig.ts';

const context = (values: Record<string, string>) => (key: string) => values[key];

describe('cdk synth -c policyFile=…', () => {
  it('puts a valid policy file into the function environment as compact JSON', () => {
    // Prepare
    const { props } = propsFromContext(context({ policyFile: 'policies/demo.json' }));
    // Act
    const env = handlerEnvironment({
      metadataTable: 't',
      quarantineBucket: 'q',
      alertsTopicArn: 'arn',
      dlqUrl: 'u',
      maxReceives: 5,
      ...(props.handlerTunables ? { tunables: props.handlerTunables } : {}),
    });
    // Assess
    expect(JSON.parse(env.POLICY ?? '{}')).toMatchObject({
      version: 1,
      rules: [{ name: 'invoices' }, { name: 'photos' }],
    });
    expect(env.POLICY).not.toContain('$schema');
  });

  it('fails synthesis naming the file, line and field of a mistake', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'bad.json');
    writeFileSync(
      file,
      '{\n  "version": 1,\n  "rules": [\n    { "prefix": "a/", "allow": ["image/"] }\n  ]\n}\n',
    );
    // Act / Assess
    expect(() => propsFromContext(context({ policyFile: file }))).toThrow(
      `${file}:4:33 rules[0].allow[0]: must be a MIME type`,
    );
  });
});
