// The one formatBytes of Silent Scalper, shared by the CLI, the dashboard server and the browser.
// Plain JavaScript (with formatBytes.d.ts beside it for TypeScript) because the browser cannot load
// TypeScript and the dashboard serves its assets as they are, without a build step: the server serves
// this very file at /formatBytes.js (src/dashboard/assets.ts) and the TypeScript code imports it.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * `0 B`, `1023 B`, `1.5 KiB`, `12.0 MiB` (binary units, one decimal above bytes); `''` for a value that
 * is not a finite number (a record without a size).
 * @param {number} bytes
 * @returns {string}
 */
export const formatBytes = (bytes) => {
  if (!Number.isFinite(bytes)) return '';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
};
