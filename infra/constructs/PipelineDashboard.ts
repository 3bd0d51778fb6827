import { Aws, Duration, Fn, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IngestMetric } from '../../src/pipeline/ports.ts';
import { pipelineMetric, quarantinedByReason, quarantinedTotal } from './pipelineMetrics.ts';

/** Props of {@link PipelineDashboard}. */
export interface PipelineDashboardProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ingestFunction: IFunction;
  /** Shown in an alarm-status widget at the top. */
  readonly alarms: readonly IAlarm[];
}

const oneMinute = Duration.minutes(1);
const WIDTH = 8;
const HEIGHT = 6;

const percentiles = (name: IngestMetric): IMetric[] =>
  [Stats.p(50), Stats.p(95), Stats.p(99)].map((statistic) =>
    pipelineMetric(name, { statistic, period: oneMinute, label: statistic }),
  );

/**
 * One CloudWatch dashboard for the pipeline: backlog (depth, age, DLQ), throughput by outcome,
 * quarantines by reason, latencies and the function's health. Named `<stack>-<region>` because dashboard
 * names are account-wide.
 */
export class PipelineDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const sum = (name: IngestMetric, label: string) =>
      pipelineMetric(name, { statistic: Stats.SUM, period: oneMinute, label });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: Fn.join('-', [Stack.of(this).stackName, Aws.REGION]),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ingest queue depth',
        width: WIDTH,
        height: HEIGHT,
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period: oneMinute, label: 'Waiting' }),
          props.queue.metricApproximateNumberOfMessagesNotVisible({ period: oneMinute, label: 'In flight' }),
        ],
      }),
      new GraphWidget({
        title: 'Oldest ingest message age (s)',
        width: WIDTH,
        height: HEIGHT,
        left: [
          props.queue.metricApproximateAgeOfOldestMessage({
            period: oneMinute,
            statistic: Stats.MAXIMUM,
            label: 'Oldest message',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Dead-letter queue depth',
        width: WIDTH,
        height: HEIGHT,
        left: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: oneMinute,
            statistic: Stats.MAXIMUM,
            label: 'DLQ messages',
          }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Files per minute by status',
        width: WIDTH,
        height: HEIGHT,
        stacked: true,
        left: [
          sum(IngestMetric.FilesProcessed, 'Processed'),
          quarantinedTotal(oneMinute),
          sum(IngestMetric.FilesGone, 'Gone'),
          sum(IngestMetric.FilesFailed, 'Failed (will retry)'),
        ],
      }),
      new GraphWidget({
        title: 'Quarantines per minute by reason',
        width: WIDTH,
        height: HEIGHT,
        stacked: true,
        left: quarantinedByReason(oneMinute),
      }),
      new GraphWidget({
        title: 'Batch item failures, poison messages, alert failures',
        width: WIDTH,
        height: HEIGHT,
        left: [
          sum(IngestMetric.BatchItemFailures, 'Batch item failures'),
          sum(IngestMetric.PoisonMessages, 'Poison messages'),
          sum(IngestMetric.AlertPublishFailures, 'Alert publish failures'),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Processing duration per file (ms)',
        width: WIDTH,
        height: HEIGHT,
        left: percentiles(IngestMetric.ProcessingDuration),
      }),
      new GraphWidget({
        title: 'Queue latency: upload to processing (ms)',
        width: WIDTH,
        height: HEIGHT,
        left: percentiles(IngestMetric.QueueLatency),
      }),
      new GraphWidget({
        title: 'Ingest function',
        width: WIDTH,
        height: HEIGHT,
        left: [
          props.ingestFunction.metricInvocations({ period: oneMinute, label: 'Invocations' }),
          props.ingestFunction.metricErrors({ period: oneMinute, label: 'Errors' }),
          props.ingestFunction.metricThrottles({ period: oneMinute, label: 'Throttles' }),
        ],
        right: [
          props.ingestFunction.metric('ConcurrentExecutions', {
            period: oneMinute,
            statistic: Stats.MAXIMUM,
            label: 'Concurrent executions',
          }),
        ],
      }),
    );
  }
}
