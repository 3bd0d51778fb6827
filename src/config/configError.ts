import { SilentScalperError } from '../pipeline/errors.ts';

/**
 * Missing or invalid configuration; the message names the variable. Fails at cold start.
 * It lives with the configuration that throws it (not in the pipeline, which never reads configuration),
 * and derives from the one error base so every error of the project reports its own `name`.
 */
export class ConfigError extends SilentScalperError {
  constructor(
    public readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}
