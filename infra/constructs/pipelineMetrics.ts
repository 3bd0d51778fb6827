import type { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, QuarantineReason, SERVICE_NAME } from '../../src/pipeline/constants.ts';
import { IngestMetric } from '../../src/pipeline/ports.ts';

/** Dimension name Powertools Metrics puts the service name under. */
export const SERVICE_DIMENSION = 'service';
/** Extra dimension of `FilesQuarantined`: the quarantine reason. */
export const REASON_DIMENSION = 'reason';

/**
 * One of the EMF metrics the ingest handler emits (namespace `SilentScalper`, dimension
 * `service=silent-scalper`, plus `extraDimensions` such as the quarantine reason).
 */
export const pipelineMetric = (
  name: IngestMetric,
  options: {
    readonly statistic: string;
    readonly period: Duration;
    readonly label?: string;
    readonly extraDimensions?: Readonly<Record<string, string>>;
  },
): Metric =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAME, ...options.extraDimensions },
    statistic: options.statistic,
    period: options.period,
    ...(options.label ? { label: options.label } : {}),
  });

/**
 * `FilesQuarantined` once per reason. CloudWatch keeps one series per dimension combination and alarms
 * cannot use SEARCH, so totals are sums over the known reasons.
 */
export const quarantinedByReason = (period: Duration): Metric[] =>
  Object.values(QuarantineReason).map((reason) =>
    pipelineMetric(IngestMetric.FilesQuarantined, {
      statistic: Stats.SUM,
      period,
      label: reason,
      extraDimensions: { [REASON_DIMENSION]: reason },
    }),
  );

/** Files quarantined for any reason, per period (missing data counts as 0). */
export const quarantinedTotal = (period: Duration): MathExpression => {
  const byReason = quarantinedByReason(period);
  const usingMetrics = Object.fromEntries(byReason.map((metric, i) => [`q${i}`, metric]));
  return new MathExpression({
    expression: byReason.map((_, i) => `FILL(q${i}, 0)`).join(' + '),
    usingMetrics,
    period,
    label: 'Quarantined',
  });
};

/**
 * Percentage of finished files that were quarantined in each period, or 0 while fewer than `minFiles`
 * finished (a handful of files makes a meaningless rate). Finished = processed + quarantined + gone.
 */
export const quarantineRatePercent = (period: Duration, minFiles: number): MathExpression => {
  const byReason = quarantinedByReason(period);
  const usingMetrics: Record<string, Metric> = {
    processed: pipelineMetric(IngestMetric.FilesProcessed, { statistic: Stats.SUM, period }),
    gone: pipelineMetric(IngestMetric.FilesGone, { statistic: Stats.SUM, period }),
  };
  byReason.forEach((metric, i) => {
    usingMetrics[`q${i}`] = metric;
  });
  const quarantined = `(${byReason.map((_, i) => `FILL(q${i}, 0)`).join(' + ')})`;
  const finished = `(${quarantined} + FILL(processed, 0) + FILL(gone, 0))`;
  return new MathExpression({
    expression: `IF(${finished} >= ${minFiles}, 100 * ${quarantined} / ${finished}, 0)`,
    usingMetrics,
    period,
    label: 'Quarantine rate (%)',
  });
};
