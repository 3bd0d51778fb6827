import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/configError.ts';
import {
  DEFAULT_RETRY_POLICY,
  loadRetryConfig,
  RETRY_ENV,
  retryEnvironment,
} from '../../../src/config/retryConfig.ts';

const names = {
  metadataTable: 'files',
  quarantineBucket: 'q',
  alertsTopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
  inputBucket: 'in',
};

describe('retry configuration', () => {
  it('round-trips through the environment the stack builds', () => {
    const env = retryEnvironment({ ...names, policy: { maxRetries: 5, baseDelaySeconds: 10 } });
    expect(loadRetryConfig(env)).toEqual({
      ...DEFAULT_RETRY_POLICY,
      ...names,
      sourceBuckets: ['in'],
      maxRetries: 5,
      baseDelaySeconds: 10,
    });
  });

  it('uses the defaults for unset tunables', () => {
    expect(loadRetryConfig(retryEnvironment(names))).toEqual({
      ...DEFAULT_RETRY_POLICY,
      ...names,
      sourceBuckets: ['in'],
    });
  });

  it('reads every source bucket from SOURCE_BUCKETS, the primary first; without it only INPUT_BUCKET', () => {
    // Prepare
    const env = retryEnvironment({
      ...names,
      inputBucket: 'acme-dumps',
      sourceBuckets: ['acme-partner-drop', 'acme-dumps', 'acme-partner-drop'],
    });
    // Act
    const config = loadRetryConfig(env);
    // Assess
    expect(env[RETRY_ENV.sourceBuckets]).toBe('acme-partner-drop,acme-dumps,acme-partner-drop');
    expect(config.sourceBuckets).toEqual(['acme-dumps', 'acme-partner-drop']);
    expect(loadRetryConfig(retryEnvironment({ ...names, inputBucket: 'acme-dumps' })).sourceBuckets).toEqual([
      'acme-dumps',
    ]);
  });

  it('refuses at cold start a SOURCE_BUCKETS that is not a list of bucket names or leaves out the primary', () => {
    const env = retryEnvironment({ ...names, inputBucket: 'acme-dumps' });
    const withSources = (value: string) => () =>
      loadRetryConfig({ ...env, [RETRY_ENV.sourceBuckets]: value });
    expect(withSources('acme-dumps,,acme-partner')).toThrow(/SOURCE_BUCKETS: must be .*an empty entry/);
    expect(withSources('acme-dumps,Bad_Name')).toThrow(/SOURCE_BUCKETS: must be .*"Bad_Name"/);
    expect(withSources('acme-partner')).toThrow(/SOURCE_BUCKETS: must include INPUT_BUCKET \("acme-dumps"\)/);
    expect(withSources('acme-partner')).toThrow(ConfigError);
  });

  it('names the variable that is missing or invalid', () => {
    const env = retryEnvironment(names);
    expect(() => loadRetryConfig({ ...env, [RETRY_ENV.inputBucket]: '' })).toThrow(/INPUT_BUCKET/);
    expect(() => loadRetryConfig({ ...env, [RETRY_ENV.maxRetries]: 'three' })).toThrow(ConfigError);
    expect(() => loadRetryConfig({ ...env, [RETRY_ENV.maxRetries]: 'three' })).toThrow(/RETRY_MAX_RETRIES/);
    expect(() => loadRetryConfig({ ...env, [RETRY_ENV.baseDelaySeconds]: '-1' })).toThrow(
      /RETRY_BASE_DELAY_SECONDS/,
    );
  });
});
