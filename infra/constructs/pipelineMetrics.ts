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
export const quarantinedTotal = (period: Duration): MathExpression =>
  new MathExpression({
    expression: 'FILL(quarantined, 0)',
    usingMetrics: {
      quarantined: pipelineMetric(IngestMetric.FilesQuarantinedTotal, { statistic: Stats.SUM, period }),
    },
    period,
    label: 'Quarantined',
  });

/**
 * Percentage of finished files that were quarantined in each period, or 0 while fewer than `minFiles`
 * finished (a handful of files makes a meaningless rate). Finished = processed + quarantined + gone.
 * Reads the reason-less total: an alarm's math may use at most 10 metrics, fewer than the reasons.
 */
export const quarantineRatePercent = (period: Duration, minFiles: number): MathExpression => {
  const usingMetrics: Record<string, Metric> = {
    processed: pipelineMetric(IngestMetric.FilesProcessed, { statistic: Stats.SUM, period }),
    gone: pipelineMetric(IngestMetric.FilesGone, { statistic: Stats.SUM, period }),
    quarantinedAll: pipelineMetric(IngestMetric.FilesQuarantinedTotal, { statistic: Stats.SUM, period }),
  };
  const quarantined = 'FILL(quarantinedAll, 0)';
  const finished = `(${quarantined} + FILL(processed, 0) + FILL(gone, 0))`;
  return new MathExpression({
    expression: `IF(${finished} >= ${minFiles}, 100 * ${quarantined} / ${finished}, 0)`,
    usingMetrics,
    period,
    label: 'Quarantine rate (%)',
  });
};
