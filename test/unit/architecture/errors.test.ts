import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/errors.ts';
import { ConfigError } from '../../../src/config/configError.ts';
import { InvalidSettingsError } from '../../../src/config/settings.ts';
import { BadRequestError } from '../../../src/dashboard/fileQuery.ts';
import { MotoStartError, PortInUseError } from '../../../src/local/moto/motoServer.ts';
import { ProvisionError } from '../../../src/local/provision.ts';
import { MoveTaskUnsupportedError } from '../../../src/ops/ports.ts';
import { ReplayOptionsError } from '../../../src/ops/replayOptions.ts';
import { SilentScalperError } from '../../../src/pipeline/errors.ts';
import { repoRoot, sourceFiles } from '../../helpers/sourceFiles.ts';

describe('errors', () => {
  it('derive from the one base, SilentScalperError, everywhere in src/ and infra/', () => {
    // Prepare / Act: only the base itself may extend Error
    const offenders = [...sourceFiles('src'), ...sourceFiles('infra')].filter(
      (file) =>
        file !== 'src/pipeline/errors.ts' &&
        /class\s+\w+\s+extends\s+Error\b/.test(readFileSync(join(repoRoot, file), 'utf8')),
    );
    // Assess
    expect(offenders).toEqual([]);
  });

  it.each([
    ['PortInUseError', new PortInUseError(4566, '127.0.0.1', '--port')],
    ['MotoStartError', new MotoStartError('no python')],
    ['CliError', new CliError('bad')],
    ['ConfigError', new ConfigError('MAX_RECEIVES', 'is required but not set')],
    ['InvalidSettingsError', new InvalidSettingsError('bad', [])],
    ['BadRequestError', new BadRequestError('bad')],
    ['ProvisionError', new ProvisionError('bad')],
    ['MoveTaskUnsupportedError', new MoveTaskUnsupportedError('no move tasks')],
    ['ReplayOptionsError', new ReplayOptionsError('bad')],
  ])('%s reports its own name and is a SilentScalperError', (name, error) => {
    // Assess
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(SilentScalperError);
  });
});
