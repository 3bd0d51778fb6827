import { describe, expect, it } from 'vitest';
import { escapeHtml, htmlReport, lineChart, niceStep } from '../../../load-tests/chart.ts';

describe('HTML report charts', () => {
  it('draws one polyline per non-empty series with a legend entry and markers', () => {
    const svg = lineChart({
      title: 'Queue <depth>',
      yLabel: 'messages',
      series: [
        {
          name: 'visible',
          color: '#00f',
          points: [
            [0, 0],
            [1, 50],
            [2, 10],
          ],
        },
        { name: 'empty', color: '#f00', points: [] },
      ],
      markers: [{ atSeconds: 1.5, label: 'last upload' }],
    });
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('>visible</text>');
    expect(svg).toContain('last upload');
    expect(svg).toContain('Queue &#60;depth&#62;');
    expect(svg).not.toContain('<depth>');
  });

  it('clips points beyond the x range so stacked charts line up', () => {
    const svg = lineChart({
      title: 't',
      yLabel: 'y',
      xMaxSeconds: 10,
      series: [
        {
          name: 's',
          color: '#000',
          points: [
            [5, 1],
            [50, 1],
          ],
        },
      ],
    });
    const points = svg.match(/points="([^"]+)"/)?.[1]?.split(' ') ?? [];
    expect(points).toHaveLength(1);
  });

  it('is self-contained: no script and no external resource', () => {
    const html = htmlReport({
      title: 'run',
      verdict: { passed: true, text: 'PASS' },
      figures: [['uploaded', '10 files']],
      charts: [
        lineChart({ title: 't', yLabel: 'y', series: [{ name: 's', color: '#000', points: [[0, 1]] }] }),
      ],
    });
    expect(html).not.toMatch(/<script|<link|src=|href=|@import/);
    expect(html).toContain('<svg');
    expect(html).toContain('10 files');
  });

  it('picks round tick steps and escapes text', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 10)).toBe(1);
    expect(niceStep(0, 5)).toBe(1);
    expect(escapeHtml(`<a href="x">&'`)).toBe('&#60;a href=&#34;x&#34;&#62;&#38;&#39;');
  });
});
