/**
 * A self-contained HTML report with inline SVG charts: no script, no CDN, opens from disk in any browser.
 */

/** One line of a chart: points are (seconds since the run started, value). */
export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A vertical marker, e.g. where the spike phase starts. */
export interface ChartMarker {
  readonly atSeconds: number;
  readonly label: string;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly markers?: readonly ChartMarker[];
  /** Right end of the x axis in seconds (so stacked charts line up). @default the largest x */
  readonly xMaxSeconds?: number;
  /** @default 960 */
  readonly width?: number;
  /** @default 300 */
  readonly height?: number;
}

/** Escape text for HTML and SVG. */
export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A "nice" step (1, 2 or 5 × 10^n) that cuts `range` into about `targetTicks` parts. */
export const niceStep = (range: number, targetTicks: number): number => {
  if (!(range > 0)) return 1;
  const raw = range / Math.max(1, targetTicks);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
};

const format = (value: number): string =>
  Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 1 : 0);

/** One line chart as an `<svg>` element: axes with ticks, a legend, optional vertical markers. */
export const lineChart = (options: LineChartOptions): string => {
  const width = options.width ?? 960;
  const height = options.height ?? 300;
  const margin = { top: 36, right: 20, bottom: 40, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const allPoints = options.series.flatMap((s) => s.points);
  const xMax =
    options.xMaxSeconds ??
    Math.max(1, ...allPoints.map(([x]) => x), ...(options.markers ?? []).map((m) => m.atSeconds));
  const yMax = Math.max(1, ...allPoints.map(([, y]) => y)) * 1.05;
  const x = (v: number) => margin.left + (v / xMax) * plotW;
  const y = (v: number) => margin.top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(
    `<text x="${margin.left}" y="20" font-size="15" font-weight="600" fill="#222">${escapeHtml(options.title)}</text>`,
  );
  const yStep = niceStep(yMax, 5);
  for (let v = 0; v <= yMax; v += yStep) {
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#555">${format(v)}</text>`,
    );
  }
  const xStep = niceStep(xMax, 10);
  for (let v = 0; v <= xMax; v += xStep) {
    parts.push(
      `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#555"/>`,
      `<text x="${x(v).toFixed(1)}" y="${margin.top + plotH + 16}" font-size="11" text-anchor="middle" fill="#555">${format(v)}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#555"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#555"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 6}" font-size="12" text-anchor="middle" fill="#333">seconds since the first upload</text>`,
    `<text x="14" y="${margin.top + plotH / 2}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 14 ${margin.top + plotH / 2})">${escapeHtml(options.yLabel)}</text>`,
  );
  for (const marker of options.markers ?? []) {
    const mx = x(marker.atSeconds).toFixed(1);
    parts.push(
      `<line x1="${mx}" x2="${mx}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<text x="${(x(marker.atSeconds) + 3).toFixed(1)}" y="${margin.top + 10}" font-size="10" fill="#777">${escapeHtml(marker.label)}</text>`,
    );
  }
  for (const series of options.series) {
    const points = series.points.filter(([px]) => px >= 0 && px <= xMax);
    if (points.length === 0) continue;
    const d = points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline fill="none" stroke="${series.color}" stroke-width="1.8" points="${d}"><title>${escapeHtml(series.name)}</title></polyline>`,
    );
  }
  let legendX = margin.left + plotW;
  for (const series of [...options.series].reverse()) {
    const labelWidth = 7 * series.name.length + 26;
    legendX -= labelWidth;
    parts.push(
      `<rect x="${legendX}" y="10" width="14" height="4" fill="${series.color}"/>`,
      `<text x="${legendX + 18}" y="16" font-size="11" fill="#333">${escapeHtml(series.name)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
};

/** A whole report page: title, a table of figures, then the charts. */
export const htmlReport = (args: {
  readonly title: string;
  readonly verdict: { readonly passed: boolean; readonly text: string };
  readonly figures: readonly (readonly [string, string])[];
  readonly charts: readonly string[];
  readonly notes?: readonly string[];
}): string => {
  const rows = args.figures
    .map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  const notes = (args.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(args.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1000px; }
.verdict { padding: 8px 12px; border-radius: 4px; font-weight: 600; }
.pass { background: #e6f4ea; color: #1e6b34; } .fail { background: #fce8e6; color: #a50e0e; }
table { border-collapse: collapse; margin: 16px 0; } th, td { text-align: left; padding: 3px 12px 3px 0; }
th { font-weight: 500; color: #555; } svg { display: block; margin: 16px 0; border: 1px solid #eee; }
</style>
</head>
<body>
<h1>${escapeHtml(args.title)}</h1>
<p class="verdict ${args.verdict.passed ? 'pass' : 'fail'}">${escapeHtml(args.verdict.text)}</p>
<table>
${rows}
</table>
${args.charts.join('\n')}
${notes ? `<ul>\n${notes}\n</ul>` : ''}
</body>
</html>
`;
};
