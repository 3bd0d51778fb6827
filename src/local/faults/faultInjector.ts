/**
 * Fault injection for the local runtime: moto never throttles, never loses a response, never answers
 * BatchWriteItem with `UnprocessedItems` or DeleteMessageBatch with `Failed` entries. AWS does all of these,
 * so the local pipeline's own requests (handler + runner deletes, never the uploader or the checker) can be
 * made to meet them on purpose.
 *
 * Decisions:
 * - Faults are drawn ONCE per operation, before the SDK's own retries (the `initialize` step): a drawn
 *   fault reaches the pipeline as if every SDK attempt had failed. That is harsher than AWS, where the
 *   SDK's retries absorb most single faults, and it is what exercises the pipeline's own recovery.
 * - The runner's ReceiveMessage is never faulted: it plays Lambda's poller, which is AWS's own code.
 * - `rate` is the share of faulted operations; each kind that applies to an operation gets an equal part
 *   of it unless `rates` names that kind's own probability.
 */

/** The kinds of fault the local runtime can inject. */
export const FaultKind = {
  /** A 5xx answer (InternalError / ServiceUnavailable); the request did nothing. */
  serverError: 'serverError',
  /** The service's throttling error; the request did nothing. */
  throttling: 'throttling',
  /** The request waits 1–4 s before it is sent (then succeeds). */
  latency: 'latency',
  /** The request is served (its work is done) and then the response is lost (a network error). */
  responseLost: 'responseLost',
  /** BatchWriteItem writes only some items and returns the rest in `UnprocessedItems`. */
  partialBatchWrite: 'partialBatchWrite',
  /** DeleteMessageBatch deletes only some entries and lists the rest in `Failed`. */
  partialDeleteBatch: 'partialDeleteBatch',
  /** CopyObject answers 200 with an `<Error>` body (the copy did not happen). */
  copyErrorBody: 'copyErrorBody',
  /** SNS Publish answers 5xx. */
  snsServerError: 'snsServerError',
  /** The invocation's process dies mid-batch (drawn by the runner once per invocation). */
  invocationCrash: 'invocationCrash',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** Every fault kind, in a stable order (reports, CLI help). */
export const FAULT_KINDS: readonly FaultKind[] = Object.values(FaultKind);

/** Kinds that apply to any faulted operation. */
const GENERIC_KINDS: readonly FaultKind[] = [
  FaultKind.serverError,
  FaultKind.throttling,
  FaultKind.latency,
  FaultKind.responseLost,
];

/** The kind that only one operation has. */
const OPERATION_KINDS: Readonly<Record<string, FaultKind>> = {
  BatchWriteItemCommand: FaultKind.partialBatchWrite,
  BatchWriteCommand: FaultKind.partialBatchWrite,
  DeleteMessageBatchCommand: FaultKind.partialDeleteBatch,
  CopyObjectCommand: FaultKind.copyErrorBody,
  PublishCommand: FaultKind.snsServerError,
};

/**
 * An invocation makes a dozen or more requests, so a crash gets a tenth of the share `rate` gives a kind
 * (0.3 → 3 % of invocations crash), unless `rates.invocationCrash` says otherwise.
 */
const CRASH_SHARE = 0.1;

/** What to inject. */
export interface FaultPlan {
  /** Share of faulted operations, 0–1, split evenly between the kinds that apply. @default 0 */
  readonly rate?: number;
  /** Per-kind probability per operation it applies to; wins over the share `rate` gives that kind. */
  readonly rates?: Readonly<Partial<Record<FaultKind, number>>>;
}

/** Counts of what was injected, by kind, and of the operations seen. */
export interface FaultCounters {
  /** Operations that went through the injector while it was on. */
  operations: number;
  /** Operations that got a fault. */
  injected: number;
  byKind: Record<FaultKind, number>;
}

/** A fault injector shared by the pipeline's clients; switchable at run time. */
export interface FaultInjector {
  /** The fault (if any) for one operation; counts it. */
  draw(commandName: string): FaultKind | undefined;
  /** For one invocation of `timeoutMs`: ms after which it crashes, or undefined; counts it. */
  drawCrash(timeoutMs: number): number | undefined;
  /** Turn injection on or off at run time (counters are kept). */
  setEnabled(enabled: boolean): void;
  readonly enabled: boolean;
  /** Replace the plan at run time. */
  setPlan(plan: FaultPlan): void;
  readonly plan: FaultPlan;
  /** A snapshot of the counters. */
  counters(): FaultCounters;
}

/** Operations never faulted: the runner's poll (Lambda's own poller). */
const NEVER_FAULTED = new Set(['ReceiveMessageCommand']);

const probability = (value: number, what: string): number => {
  if (!(Number.isFinite(value) && value >= 0 && value <= 1))
    throw new RangeError(`${what} must be a number from 0 to 1 (got ${value})`);
  return value;
};

/** Check a plan up front: every rate is a probability, every named kind exists. */
export const validateFaultPlan = (plan: FaultPlan): FaultPlan => {
  if (plan.rate !== undefined) probability(plan.rate, 'fault rate');
  for (const [kind, rate] of Object.entries(plan.rates ?? {})) {
    if (!FAULT_KINDS.includes(kind as FaultKind))
      throw new RangeError(`unknown fault kind "${kind}" (kinds: ${FAULT_KINDS.join(', ')})`);
    probability(rate ?? 0, `rate of ${kind}`);
  }
  return plan;
};

/** The kinds that apply to one operation. */
export const kindsFor = (commandName: string): readonly FaultKind[] => {
  if (NEVER_FAULTED.has(commandName)) return [];
  const own = OPERATION_KINDS[commandName];
  return own ? [...GENERIC_KINDS, own] : GENERIC_KINDS;
};

/** Create an injector. `random` is injectable so tests are deterministic. */
export const createFaultInjector = (
  initial: FaultPlan = {},
  options: { readonly enabled?: boolean; readonly random?: () => number } = {},
): FaultInjector => {
  let plan = validateFaultPlan(initial);
  let enabled = options.enabled ?? true;
  const random = options.random ?? Math.random;
  const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const counters = { operations: 0, injected: 0 };

  return {
    draw(commandName) {
      if (!enabled) return undefined;
      const kinds = kindsFor(commandName);
      if (kinds.length === 0) return undefined;
      counters.operations += 1;
      const share = (plan.rate ?? 0) / kinds.length;
      const roll = random();
      let cumulative = 0;
      for (const kind of kinds) {
        cumulative += plan.rates?.[kind] ?? share;
        if (roll < cumulative) {
          counters.injected += 1;
          byKind[kind] += 1;
          return kind;
        }
      }
      return undefined;
    },
    drawCrash(timeoutMs) {
      if (!enabled) return undefined;
      const rate = plan.rates?.invocationCrash ?? (plan.rate ?? 0) * CRASH_SHARE;
      if (random() >= rate) return undefined;
      counters.injected += 1;
      byKind.invocationCrash += 1;
      return Math.floor(random() * timeoutMs);
    },
    setEnabled(value) {
      enabled = value;
    },
    get enabled() {
      return enabled;
    },
    setPlan(next) {
      plan = validateFaultPlan(next);
    },
    get plan() {
      return plan;
    },
    counters: () => ({ ...counters, byKind: { ...byKind } }),
  };
};

/**
 * Parse the CLI's fault option: a share (`0.3`) or per-kind rates (`latency=0.1,responseLost=0.05`),
 * or both (`0.2,latency=0.1`).
 */
export const parseFaultPlan = (value: string): FaultPlan => {
  let rate: number | undefined;
  const rates: Partial<Record<FaultKind, number>> = {};
  for (const part of value.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const [name, raw] = part.includes('=') ? part.split('=', 2) : [undefined, part];
    const number = Number(raw);
    if (raw === undefined || raw.trim() === '' || Number.isNaN(number))
      throw new RangeError(`"${part}" is not a rate (e.g. 0.3 or latency=0.1)`);
    if (name === undefined) rate = number;
    else rates[name.trim() as FaultKind] = number;
  }
  return validateFaultPlan({ ...(rate !== undefined ? { rate } : {}), rates });
};
