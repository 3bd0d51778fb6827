import { ConfigError } from './configError.ts';

/** An environment: `process.env` or a plain object in tests and in the CDK app. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Typed, validated reads of one environment; each failure is a {@link ConfigError} naming the variable. */
export interface EnvReader {
  /** A non-blank string; throws when the variable is missing or blank. */
  required(name: string): string;
  /** The trimmed value, or `undefined` when missing or blank. */
  optional(name: string): string | undefined;
  /** An integer in [min, max]; `fallback` undefined makes the variable required. */
  integer(name: string, fallback: number | undefined, min: number, max: number): number;
}

/**
 * The one parser of environment variables, shared by the handler's and the retry function's
 * configuration (they used to carry a copy each), so both report a bad value the same way.
 */
export const envReader = (env: Env): EnvReader => {
  const optional = (name: string): string | undefined => env[name]?.trim() || undefined;
  return {
    optional,
    required: (name) => {
      const value = optional(name);
      if (value === undefined) throw new ConfigError(name, 'is required but not set');
      return value;
    },
    integer: (name, fallback, min, max) => {
      const raw = optional(name);
      if (raw === undefined) {
        if (fallback === undefined) throw new ConfigError(name, 'is required but not set');
        return fallback;
      }
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max)
        throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
      return value;
    },
  };
};
