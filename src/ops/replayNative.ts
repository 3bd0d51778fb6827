import type { MoveTask } from './ports.ts';
import type { ReplayDeps, ReplayOptions, ReplayProgress, ReplaySummary } from './replayTypes.ts';

/** States after which an SQS move task changes no more (ListMessageMoveTasks `Status`). */
const FINAL_TASK_STATES = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The summary fields a native replay cannot know (the task neither filters nor lists messages). */
const NATIVE_SUMMARY_BASE = {
  dryRun: false,
  skipped: 0,
  skippedPoison: 0,
  skippedPrefix: 0,
  notDeleted: 0,
  historyErrors: 0,
  messages: [],
  messagesTruncated: false,
} as const;

/** The progress bar's view of a task: it reports one approximate count, moved and received alike. */
const progressOf = (task: MoveTask, depthAtStart: number | undefined): ReplayProgress => ({
  mode: 'native',
  ...(task.approximateToMove !== undefined
    ? { total: task.approximateToMove }
    : depthAtStart
      ? { total: depthAtStart }
      : {}),
  received: task.approximateMoved,
  moved: task.approximateMoved,
  skipped: 0,
  failed: 0,
});

/** Follow a started task until it reaches a final state or the deadline passes. */
const followMoveTask = async (
  started: MoveTask,
  options: ReplayOptions,
  deps: ReplayDeps,
  depthAtStart: number | undefined,
  deadline: number,
): Promise<MoveTask> => {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  let task = started;
  // Bounded by the deadline; the task reports approximate counts that only settle when it ends.
  while (now() < deadline) {
    task = (await deps.queues.latestMoveTask()) ?? task;
    deps.onProgress?.(progressOf(task, depthAtStart));
    if (FINAL_TASK_STATES.has(task.status)) break;
    await sleep(options.pollIntervalMs ?? 2000);
  }
  return task;
};

/**
 * Native mode: start an SQS message move task (`StartMessageMoveTask`, DLQ → its source queue) and follow
 * it until it ends. Throws `MoveTaskUnsupportedError` where the endpoint lacks the API (moto).
 */
export const replayNative = async (options: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> => {
  const deadline = (deps.now ?? Date.now)() + (options.timeoutMs ?? 900_000);
  const depthAtStart = await deps.queues.approximateDepth().catch(() => undefined);
  const taskHandle = await deps.queues.startMoveTask(options.maxPerSecond);
  const started: MoveTask = { taskHandle, status: 'RUNNING', approximateMoved: 0 };
  const task = await followMoveTask(started, options, deps, depthAtStart, deadline);
  const failed =
    task.status === 'FAILED' && task.approximateToMove !== undefined
      ? Math.max(0, task.approximateToMove - task.approximateMoved)
      : 0;
  return {
    ...NATIVE_SUMMARY_BASE,
    mode: 'native',
    selected: task.approximateToMove ?? task.approximateMoved,
    moved: task.approximateMoved,
    failed,
    stoppedEarly: !FINAL_TASK_STATES.has(task.status),
    task,
  };
};
