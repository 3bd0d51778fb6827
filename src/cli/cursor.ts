import { InvalidArgumentError } from 'commander';

/**
 * The CLI shows a listing cursor as base64url: the raw cursor (a `listSk`) holds `#`, spaces and any
 * character of a key, which would need careful quoting in a shell.
 */
export const encodeCursor = (listSk: string): string => Buffer.from(listSk, 'utf8').toString('base64url');

/** Parse a `--cursor` value printed by `files`. */
export const decodeCursor = (value: string): string => {
  const trimmed = value.trim();
  const decoded = Buffer.from(trimmed, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed) || !/^\d{4}-\d{2}-\d{2}T[^#]*#/.test(decoded))
    throw new InvalidArgumentError('is not a cursor printed by `silent-scalper files`.');
  return decoded;
};
