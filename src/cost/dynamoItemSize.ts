/**
 * DynamoDB's item size rules, which decide write and read units
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * attribute names count in UTF-8 bytes; a string is its UTF-8 bytes; a number about one byte per two
 * significant digits plus one; binary its bytes; null and booleans one byte; a list or map 3 bytes plus
 * one byte per element plus the elements (a map's element names count too).
 */
const numberSize = (value: number): number => {
  const digits = String(Math.abs(value))
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
};

/** Size in bytes of one attribute value by DynamoDB's rules (a document-client value: string, number, …). */
export const dynamoValueSize = (value: unknown): number => {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(Number(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + dynamoValueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + dynamoValueSize(v), 0);
  if (typeof value === 'object')
    return (
      3 +
      Object.entries(value as Record<string, unknown>).reduce(
        (sum, [name, v]) => sum + 1 + Buffer.byteLength(name, 'utf8') + dynamoValueSize(v),
        0,
      )
    );
  return Buffer.byteLength(String(value), 'utf8');
};

/** Size in bytes of an item: every attribute's name plus its value. Undefined attributes are not stored. */
export const dynamoItemSize = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce(
    (sum, [name, value]) =>
      value === undefined ? sum : sum + Buffer.byteLength(name, 'utf8') + dynamoValueSize(value),
    0,
  );

/** Write units of writing an item of `bytes` once: one per started KB, at least one. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/**
 * Read units of one Query or GetItem that read `bytes` of items: one per started 4 KB of the sum (a Query
 * rounds the total, not each item), halved for eventually consistent reads, at least one request's worth.
 */
export const readUnits = (bytes: number, consistent = false): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
