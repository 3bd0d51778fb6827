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
      maxRetries: 5,
      baseDelaySeconds: 10,
    });
  });

  it('uses the defaults for unset tunables', () => {
    expect(loadRetryConfig(retryEnvironment(names))).toEqual({ ...DEFAULT_RETRY_POLICY, ...names });
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
