import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../pipeline/constants.ts';
import type { LoggerPort, MetricsPort } from '../pipeline/ports.ts';
import { printable } from '../text/printable.js';

/**
 * A Powertools logger (structured JSON, level from `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL`). Log fields quote
 * keys and errors (upload text): JSON.stringify leaves C1 and bidi controls raw, which a terminal
 * (`up --json-logs`) or a log viewer would act on, so every string value goes through `printable()`
 * first — the value logged is the visible escape (`invoice\u202efdp.exe`), like every other output.
 */
export const createPowertoolsLogger = (): Logger =>
  new Logger({
    serviceName: SERVICE_NAME,
    jsonReplacerFn: (_key, value) => (typeof value === 'string' ? printable(value) : value),
  });

/**
 * The metrics port on Powertools Metrics (EMF, namespace METRICS_NAMESPACE). A data point with its own
 * dimensions (FilesQuarantined by reason) goes out as a single metric so the dimension stays on it alone.
 */
export const createPowertoolsMetrics = (
  metrics: Metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
): MetricsPort => ({
  add(name, unit, value, dimensions) {
    if (dimensions && Object.keys(dimensions).length > 0) {
      const single = metrics.singleMetric();
      for (const [dimension, dimensionValue] of Object.entries(dimensions))
        single.addDimension(dimension, dimensionValue);
      single.addMetric(name, unit, value);
      return;
    }
    metrics.addMetric(name, unit, value);
  },
  flush() {
    metrics.publishStoredMetrics();
  },
});

/** A logger port that writes nothing (tests, benchmarks). */
export const silentLogger: LoggerPort = { debug() {}, info() {}, warn() {}, error() {} };
