import type { ReplayQueues } from './ports.ts';
import type { CancelResult } from './replayTypes.ts';

/** Cancel the DLQ's running SQS move task, if there is one. */
export const cancelDlqReplay = async (queues: ReplayQueues): Promise<CancelResult> => {
  const task = await queues.latestMoveTask();
  if (task?.status !== 'RUNNING' || !task.taskHandle) return { cancelled: false, ...(task ? { task } : {}) };
  const approximateMoved = await queues.cancelMoveTask(task.taskHandle);
  return { cancelled: true, task, approximateMoved };
};
