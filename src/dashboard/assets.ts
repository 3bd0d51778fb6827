import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** One file the dashboard serves. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** Placeholder in `index.html` replaced by the per-start CSRF token. */
export const CSRF_PLACEHOLDER = '__CSRF_TOKEN__';

const publicFile = (name: string): Buffer =>
  readFileSync(fileURLToPath(new URL(`./public/${name}`, import.meta.url)));

/**
 * The chart library, read from the installed npm package (uPlot, MIT) and served by the dashboard itself,
 * so the page works offline and loads nothing from a CDN.
 */
const vendorFile = (specifier: string): Buffer =>
  readFileSync(createRequire(import.meta.url).resolve(specifier));

/**
 * Every asset, by URL path, read once at start. A fixed table, not a directory listing: no request path
 * ever reaches the file system.
 */
export const loadAssets = (csrfToken: string): ReadonlyMap<string, Asset> => {
  const html = publicFile('index.html').toString('utf8').replace(CSRF_PLACEHOLDER, csrfToken);
  return new Map<string, Asset>([
    ['/', { body: Buffer.from(html), contentType: 'text/html; charset=utf-8' }],
    ['/app.js', { body: publicFile('app.js'), contentType: 'text/javascript; charset=utf-8' }],
    ['/charts.js', { body: publicFile('charts.js'), contentType: 'text/javascript; charset=utf-8' }],
    // The one printable() of the project, the very file the CLI and the logs import (plain JS for this).
    [
      '/printable.js',
      {
        body: readFileSync(fileURLToPath(new URL('../text/printable.js', import.meta.url))),
        contentType: 'text/javascript; charset=utf-8',
      },
    ],
    ['/style.css', { body: publicFile('style.css'), contentType: 'text/css; charset=utf-8' }],
    ['/favicon.svg', { body: publicFile('favicon.svg'), contentType: 'image/svg+xml' }],
    [
      '/vendor/uPlot.iife.min.js',
      { body: vendorFile('uplot/dist/uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
    ],
    [
      '/vendor/uPlot.min.css',
      { body: vendorFile('uplot/dist/uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
    ],
  ]);
};
