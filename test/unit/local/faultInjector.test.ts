import { describe, expect, it } from 'vitest';
import {
  createFaultInjector,
  FaultKind,
  kindsFor,
  parseFaultPlan,
} from '../../../src/local/faults/faultInjector.ts';

/** A random source that replays fixed values. */
const replay = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};

describe('fault injector', () => {
  it('splits the rate evenly between the kinds that apply to an operation', () => {
    // Prepare: rate 0.5 over the five kinds of CopyObject → 0.1 each
    const injector = createFaultInjector(
      { rate: 0.5 },
      { random: replay(0.05, 0.15, 0.25, 0.35, 0.45, 0.55) },
    );

    // Act
    const drawn = Array.from({ length: 6 }, () => injector.draw('CopyObjectCommand'));

    // Assess
    expect(kindsFor('CopyObjectCommand')).toHaveLength(5);
    expect(drawn).toEqual([
      FaultKind.serverError,
      FaultKind.throttling,
      FaultKind.latency,
      FaultKind.responseLost,
      FaultKind.copyErrorBody,
      undefined,
    ]);
    expect(injector.counters()).toMatchObject({ operations: 6, injected: 5 });
  });

  it('takes per-kind rates, never faults the poller, and stops when switched off (keeping its counts)', () => {
    // Prepare
    const injector = createFaultInjector({ rates: { partialBatchWrite: 1 } }, { random: () => 0.5 });

    // Act
    const write = injector.draw('BatchWriteItemCommand');
    const get = injector.draw('GetObjectCommand');
    const poll = injector.draw('ReceiveMessageCommand');
    injector.setEnabled(false);
    const afterOff = injector.draw('BatchWriteItemCommand');

    // Assess
    expect([write, get, poll, afterOff]).toEqual([
      FaultKind.partialBatchWrite,
      undefined,
      undefined,
      undefined,
    ]);
    expect(injector.counters().byKind.partialBatchWrite).toBe(1);
    expect(injector.counters().operations).toBe(2);
  });

  it('parses the CLI form and refuses unknown kinds and rates outside 0–1', () => {
    expect(parseFaultPlan('0.3')).toEqual({ rate: 0.3, rates: {} });
    expect(parseFaultPlan('0.2,latency=0.1')).toEqual({ rate: 0.2, rates: { latency: 0.1 } });
    expect(() => parseFaultPlan('1.5')).toThrow(/0 to 1/);
    expect(() => parseFaultPlan('gremlins=0.1')).toThrow(/unknown fault kind/);
    expect(() => parseFaultPlan('latency=')).toThrow(/not a rate/);
  });
});
