import { describe, expect, it } from 'vitest';
import { CliError, connectionErrorCode, explainError } from '../../../src/cli/errors.ts';

const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name });
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });

describe('explainError', () => {
  it('tells to start the local pipeline when the endpoint refuses connections', () => {
    const message = explainError(refused(), { endpoint: 'http://127.0.0.1:4566' });
    expect(message).toContain('cannot reach http://127.0.0.1:4566');
    expect(message).toContain('is `silent-scalper up` running?');
  });

  it('finds the connection error inside an AggregateError (IPv6 and IPv4 both refused)', () => {
    const aggregate = new AggregateError([refused(), refused()], 'connect failed');
    expect(connectionErrorCode(aggregate)).toBe('ECONNREFUSED');
    expect(connectionErrorCode(new Error('x', { cause: refused() }))).toBe('ECONNREFUSED');
    expect(connectionErrorCode(new Error('x'))).toBeUndefined();
  });

  it('names the ways to configure credentials when there are none', () => {
    const message = explainError(
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
    );
    expect(message).toContain('no AWS credentials found');
    expect(message).toContain('AWS_PROFILE');
    expect(message).toContain('--endpoint');
  });

  it('tells to deploy when the stack does not exist', () => {
    const message = explainError(sdkError('ValidationError', 'Stack with id SilentScalper does not exist'), {
      stack: 'SilentScalper',
      region: 'eu-west-1',
    });
    expect(message).toContain('stack "SilentScalper" does not exist in eu-west-1');
    expect(message).toContain('npx cdk deploy');
  });

  it('tells to provision when a local resource is missing', () => {
    const message = explainError(sdkError('ResourceNotFoundException', 'Requested resource not found'), {
      endpoint: 'http://127.0.0.1:4566',
    });
    expect(message).toContain('run `silent-scalper up`');
  });

  it('passes CLI errors through and keeps other errors readable', () => {
    expect(explainError(new CliError('nothing to upload'))).toBe('nothing to upload');
    expect(explainError(sdkError('ThrottlingException', 'slow down'))).toBe('ThrottlingException: slow down');
    expect(explainError('plain')).toBe('plain');
  });
});
