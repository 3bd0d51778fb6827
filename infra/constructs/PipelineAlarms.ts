import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarm, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { quarantineRatePercent } from './pipelineMetrics.ts';

/** Alarm thresholds. Defaults live in {@link DEFAULT_ALARM_THRESHOLDS}. */
export interface AlarmThresholds {
  /** Oldest message in the ingest queue older than this for 5 minutes in a row means the backlog stalls. */
  readonly oldestMessageAgeSeconds: number;
  /** Quarantined share of finished files in a 5-minute window, in percent. */
  readonly quarantineRatePercent: number;
  /** Windows with fewer finished files than this never raise the quarantine-rate alarm. */
  readonly quarantineRateMinFiles: number;
}

/** Default alarm thresholds. */
export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  oldestMessageAgeSeconds: 15 * 60,
  quarantineRatePercent: 10,
  quarantineRateMinFiles: 20,
};

/** Short names of the alarms; the deployed alarm is named `<stack name>-<short name>`. */
export const ALARM_NAMES = {
  dlqNotEmpty: 'dlq-not-empty',
  oldestMessageTooOld: 'oldest-message-too-old',
  functionErrors: 'ingest-errors',
  functionThrottles: 'ingest-throttles',
  quarantineRateHigh: 'quarantine-rate-high',
} as const;

/** Props of {@link PipelineAlarms}. */
export interface PipelineAlarmsProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ingestFunction: IFunction;
  /** Alarm and OK notifications go here. */
  readonly topic: ITopic;
  readonly thresholds: AlarmThresholds;
}

/**
 * The alarms that tell an operator the pipeline needs a human, each notifying the alerts topic when it
 * fires and when it recovers. What each one means and what to do is in docs/deploy.md.
 */
export class PipelineAlarms extends Construct {
  /** Every alarm, keyed like {@link ALARM_NAMES}. */
  public readonly alarms: Record<keyof typeof ALARM_NAMES, IAlarm>;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const fiveMinutes = Duration.minutes(5);
    const t = props.thresholds;
    const action = new SnsAction(props.topic);
    const alarm = (key: keyof typeof ALARM_NAMES, alarmProps: ConstructorParameters<typeof Alarm>[2]) => {
      const created = new Alarm(this, key, { ...alarmProps, alarmName: `${stackName}-${ALARM_NAMES[key]}` });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };

    this.alarms = {
      // Any message in the DLQ is a file the pipeline could not handle: poison or out of receives.
      dlqNotEmpty: alarm('dlqNotEmpty', {
        alarmDescription:
          'Messages are waiting in the dead-letter queue: inspect them, fix the cause, replay.',
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: Stats.MAXIMUM,
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      oldestMessageTooOld: alarm('oldestMessageTooOld', {
        alarmDescription: `The oldest ingest message has waited over ${t.oldestMessageAgeSeconds} s for 5 minutes: the backlog is not draining.`,
        metric: props.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: Stats.MAXIMUM,
        }),
        threshold: t.oldestMessageAgeSeconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      // With partial batch responses the handler returns normally for per-file failures; an Errors data
      // point means a whole invocation failed (crash, timeout, bad configuration).
      functionErrors: alarm('functionErrors', {
        alarmDescription:
          'The ingest function failed whole invocations (crash, timeout or bad configuration).',
        metric: props.ingestFunction.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      functionThrottles: alarm('functionThrottles', {
        alarmDescription:
          'The ingest function was throttled: account concurrency is exhausted or reserved concurrency is below maxConcurrency.',
        metric: props.ingestFunction.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      quarantineRateHigh: alarm('quarantineRateHigh', {
        alarmDescription: `Over ${t.quarantineRatePercent}% of at least ${t.quarantineRateMinFiles} files in 5 minutes were quarantined: check the uploader or the policy.`,
        metric: quarantineRatePercent(fiveMinutes, t.quarantineRateMinFiles),
        threshold: t.quarantineRatePercent,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    };
  }
}
