import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../pipeline/constants.ts';
import type { LoggerPort, MetricsPort } from '../pipeline/ports.ts';

/** A Powertools logger (structured JSON, level from `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL`). */
export const createPowertoolsLogger = (): Logger => new Logger({ serviceName: SERVICE_NAME });

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
