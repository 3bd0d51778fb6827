/** A value of the configuration as it goes into an environment variable. */
type EnvValue = string | number | readonly string[] | undefined;

/**
 * The inverse of the loaders: the variables for the given values, under the names the loader reads
 * (`names`), leaving out what is undefined so the loader's defaults stay the single source of truth.
 * Lists are comma-separated. Shared by `handlerEnvironment` and `retryEnvironment`.
 */
export const toEnvironment = <K extends string>(
  names: Readonly<Record<K, string>>,
  values: Partial<Record<K, EnvValue>>,
): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [field, value] of Object.entries(values) as [K, EnvValue][]) {
    const name: string | undefined = names[field];
    if (value === undefined || name === undefined) continue;
    env[name] = typeof value === 'string' || typeof value === 'number' ? String(value) : value.join(',');
  }
  return env;
};
