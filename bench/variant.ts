/**
 * One benchmark variant in its own process, so its peak RSS is its own. Started by `bench/run.ts` after
 * the files are uploaded and queued; prints one `BENCH_RESULT {json}` line.
 *
 *   node --import tsx bench/variant.ts --variant floor|silent-scalper|naive --endpoint URL --files N --resources JSON
 */
import { parseArgs } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../src/adapters/awsClients.ts';
import { DEFAULT_TUNABLES } from '../src/config/handlerConfig.ts';
import { resolvePipelineSettings } from '../src/config/settings.ts';
import type { LocalResources } from '../src/local/provision.ts';
import { runFloor } from './floor.ts';
import { runNaive } from './naive/naivePoller.ts';
import { countRequests } from './requestCounter.ts';
import { runSilentScalper } from './silentScalper.ts';
import { BenchVariant, RESULT_PREFIX, type VariantResult } from './types.ts';

/** How often the variant samples its resident set size. */
const RSS_SAMPLE_MS = 10;

/** Concurrent loops of the floor and the naive baseline: the runner's default maxConcurrency. */
const settings = resolvePipelineSettings();

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      variant: { type: 'string' },
      endpoint: { type: 'string' },
      files: { type: 'string' },
      resources: { type: 'string' },
      'timeout-seconds': { type: 'string', default: '600' },
    },
  });
  const variant = values.variant as BenchVariant;
  if (!Object.values(BenchVariant).includes(variant)) throw new Error(`unknown --variant ${values.variant}`);
  if (!values.endpoint || !values.resources) throw new Error('--endpoint and --resources are required');
  const files = Number(values.files);
  const timeoutMs = Number(values['timeout-seconds']) * 1000;
  const resources = JSON.parse(values.resources) as LocalResources;
  const clients = createAwsClients({ endpoint: values.endpoint }, false);
  // Peak RSS is sampled here rather than read from getrusage's ru_maxrss: on Linux a spawned child's
  // ru_maxrss starts at the parent's resident size at fork time (measured: 102 MB vs 128 MB before doing
  // any work, depending only on what the bench parent held), which would charge the parent to the variant.
  let peakRssBytes = process.memoryUsage.rss();
  const rssSampler = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  }, RSS_SAMPLE_MS);
  // Warm-up, untimed and uncounted: each client's first request pays for connection setup and the SDK's
  // lazy loading, which every variant would otherwise pay inside its measurement.
  await Promise.all([
    clients.s3.send(new HeadBucketCommand({ Bucket: resources.inputBucket })),
    clients.dynamo.send(new DescribeTableCommand({ TableName: resources.tableName })),
    clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['QueueArn'] }),
    ),
    clients.sns.send(new GetTopicAttributesCommand({ TopicArn: resources.topicArn })),
  ]);
  const counts = countRequests(clients);

  const cpuBefore = process.cpuUsage();
  let outcome: { files: number; elapsedMs: number; fixedWaits?: VariantResult['fixedWaits'] };
  if (variant === BenchVariant.FLOOR) {
    outcome = await runFloor({
      clients,
      target: { queueUrl: resources.queueUrl, tableName: resources.tableName },
      files,
      workers: settings.maxConcurrency,
      sniffBytes: DEFAULT_TUNABLES.sniffBytes,
      timeoutMs,
    });
  } else if (variant === BenchVariant.SILENT_SCALPER) {
    outcome = await runSilentScalper({ clients, resources, settings, files, timeoutMs });
  } else {
    outcome = await runNaive({
      clients,
      queueUrl: resources.queueUrl,
      target: { tableName: resources.tableName, topicArn: resources.topicArn },
      files,
      concurrency: settings.maxConcurrency,
      timeoutMs,
    });
  }
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(rssSampler);
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  const result: VariantResult = {
    variant,
    files: outcome.files,
    elapsedMs: outcome.elapsedMs,
    counts,
    peakRssBytes,
    // user + system CPU of this process while the variant ran (includes the runner's idle polling).
    cpuMs: (cpu.user + cpu.system) / 1000,
    // Kept for reference only; see above why it is not the figure reported.
    ruMaxRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(outcome.fixedWaits ? { fixedWaits: outcome.fixedWaits } : {}),
  };
  console.log(`${RESULT_PREFIX}${JSON.stringify(result)}`);
};

await main();
process.exit(0);
