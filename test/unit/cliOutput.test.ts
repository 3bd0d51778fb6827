import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatRate,
  Progress,
  renderFields,
  renderTable,
  truncateMiddle,
} from '../../src/cli/output.ts';

const fakeStream = (isTTY: boolean) => {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 120, write: (text: string) => writes.push(text) } };
};

describe('formatting', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 * 1024 ** 2)).toBe('64.0 MiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('formats durations from milliseconds to hours', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1400)).toBe('1.4 s');
    expect(formatDuration(123_000)).toBe('2 m 03 s');
    expect(formatDuration(3_900_000)).toBe('1 h 05 m');
  });

  it('formats a rate and survives zero time', () => {
    expect(formatRate(150, 1000)).toBe('150.0');
    expect(formatRate(5, 0)).toBe('0.0');
  });

  it('shortens long keys in the middle, keeping the file name', () => {
    expect(truncateMiddle('short', 10)).toBe('short');
    const cut = truncateMiddle('dumps/2026/11/25/very/deep/folder/report.pdf', 20);
    expect([...cut]).toHaveLength(20);
    expect(cut).toBe('dumps/202…report.pdf');
    expect(cut.endsWith('report.pdf')).toBe(true);
    expect(truncateMiddle('ünïcödé-ünïcödé', 7)).toBe('ünï…ödé');
  });
});

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers and draws a rule under the header', () => {
    // Act
    const table = renderTable(
      [
        { name: 'PROCESSED', n: 200 },
        { name: 'GONE', n: 5 },
      ],
      [
        { header: 'STATUS', value: (r) => r.name },
        { header: 'FILES', value: (r) => String(r.n), alignRight: true },
      ],
    );
    // Assess
    expect(table.split('\n')).toEqual([
      'STATUS     FILES',
      '─────────  ─────',
      'PROCESSED    200',
      'GONE           5',
    ]);
  });

  it('keeps a key with a newline on one row, the newline shown as an escape', () => {
    const table = renderTable([{ key: 'a\nb' }], [{ header: 'KEY', value: (r) => r.key }]);
    expect(table.split('\n')).toHaveLength(3);
  });

  it('renders aligned fields and leaves out empty ones', () => {
    expect(
      renderFields([
        ['size', '1 KiB'],
        ['declared type', undefined],
        ['receives', 2],
      ]),
    ).toBe('size:     1 KiB\nreceives: 2');
  });
});

describe('Progress', () => {
  it('prints a line per tenth of the files when not on a terminal', () => {
    // Prepare
    const { writes, stream } = fakeStream(false);
    let now = 0;
    const progress = new Progress({ totalFiles: 20, totalBytes: 2000, stream, now: () => now });
    // Act
    for (let i = 0; i < 20; i++) {
      now += 100;
      progress.addBytes(100);
      progress.fileDone(i === 3);
    }
    progress.finish();
    // Assess
    expect(writes).toHaveLength(10);
    expect(writes.at(-1)).toBe('100% 20/20 files, 2.0 KiB/2.0 KiB, 10.0 files/s, 1 failed\n');
    expect(writes.every((w) => !w.includes('\r'))).toBe(true);
  });

  it('redraws one line in place on a terminal, at most every redraw interval', () => {
    // Prepare
    const { writes, stream } = fakeStream(true);
    let now = 0;
    const progress = new Progress({
      totalFiles: 4,
      totalBytes: 4,
      stream,
      now: () => now,
      redrawIntervalMs: 100,
    });
    // Act: two files within 100 ms draw once; the next after 150 ms draws again
    progress.fileDone(false);
    progress.fileDone(false);
    now = 150;
    progress.fileDone(false);
    progress.fileDone(false);
    progress.finish();
    // Assess
    const draws = writes.filter((w) => w.startsWith('\r'));
    expect(draws).toHaveLength(3);
    expect(draws.at(-1)).toContain('4/4 files');
    expect(writes.at(-1)).toBe('\n');
  });
});

describe('renderTable with wide characters', () => {
  it('keeps columns aligned when a key has CJK characters, as a terminal shows them', async () => {
    // Prepare
    const { renderTable: render, displayWidth } = await import('../../src/cli/output.ts');
    const rows = [
      { key: 'demo/notes/日本語メモ.txt', status: 'PROCESSED' },
      { key: 'demo/photos/sunset.png', status: 'PROCESSED' },
    ];
    // Act
    const lines = render(rows, [
      { header: 'KEY', value: (r) => r.key },
      { header: 'STATUS', value: (r) => r.status },
    ]).split('\n');
    // Assess: STATUS starts at the same terminal column on every line.
    const columns = lines.slice(2).map((l) => displayWidth(l.slice(0, l.indexOf('PROCESSED'))));
    expect(new Set(columns).size).toBe(1);
    expect(displayWidth('日本')).toBe(4);
  });
});
