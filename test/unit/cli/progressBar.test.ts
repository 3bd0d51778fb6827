import { describe, expect, it } from 'vitest';
import { replayProgressPrinter } from '../../../src/cli/commands/replay-dlq.ts';
import { progressBar } from '../../../src/cli/progressBar.ts';

const fakeStream = (isTTY: boolean) => {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 100, write: (text: string) => writes.push(text) } };
};

describe('progressBar', () => {
  it('redraws one line in place on a terminal, at most once per interval unless forced', () => {
    // Prepare
    let now = 0;
    const { writes, stream } = fakeStream(true);
    const bar = progressBar({ stream, barWidth: () => 10, now: () => now });
    // Act
    bar.redraw(0.5, 'half');
    now = 50;
    bar.redraw(0.6, 'skipped: too soon');
    bar.redraw(1, 'done', true);
    bar.finish();
    // Assess
    expect(writes).toEqual([
      `\r\x1b[2K${'█'.repeat(5)}${'░'.repeat(5)} half`,
      `\r\x1b[2K${'█'.repeat(10)} done`,
      '\n',
    ]);
  });

  it('writes whole lines to a log, no faster than asked, and ends no line it did not draw', () => {
    // Prepare
    let now = 0;
    const { writes, stream } = fakeStream(false);
    const bar = progressBar({ stream, barWidth: () => 10, now: () => now });
    // Act
    bar.log('one', 2000);
    now = 1000;
    bar.log('too soon', 2000);
    now = 2500;
    bar.log('two', 2000);
    bar.finish();
    // Assess
    expect(writes).toEqual(['one\n', 'two\n']);
  });
});

describe('the replay-dlq progress printer', () => {
  it('shows moved messages against the DLQ depth with a bar on a terminal', () => {
    // Prepare
    const { writes, stream } = fakeStream(true);
    const printer = replayProgressPrinter(stream, () => 0);
    // Act
    printer.update({ mode: 'manual', total: 4, received: 2, moved: 1, skipped: 1, failed: 0 });
    printer.finish();
    // Assess
    expect(writes[0]).toContain('1/4 moved, 1 skipped');
    expect(writes[0]).toContain('█'.repeat(12));
    expect(writes.at(-1)).toBe('\n');
  });

  it('prints plain lines without a bar when the output is not a terminal', () => {
    // Prepare
    const { writes, stream } = fakeStream(false);
    const printer = replayProgressPrinter(stream, () => 0);
    // Act
    printer.update({ mode: 'native', received: 3, moved: 3, skipped: 0, failed: 0 });
    printer.finish();
    // Assess
    expect(writes).toEqual(['SQS move task: 3 moved, 0 skipped\n']);
  });
});
