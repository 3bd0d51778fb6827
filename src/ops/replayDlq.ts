import { MoveTaskUnsupportedError } from './ports.ts';
import { replayManual } from './replayManual.ts';
import { replayNative } from './replayNative.ts';
import { nativeCanServe, validateReplayOptions } from './replayOptions.ts';
import { type ReplayDeps, ReplayMode, type ReplayOptions, type ReplaySummary } from './replayTypes.ts';

/**
 * Move messages from the DLQ back to the ingest queue: the dispatcher of the replay's steps.
 *
 * - options: `replayOptions.ts` refuses what cannot work, and says when the native task can serve;
 * - native: `replayNative.ts` starts an SQS message move task and follows it until it ends;
 * - manual: `replayManual.ts` receives, sends to the ingest queue, then deletes from the DLQ only what was
 *   sent (its steps, on one run's state, are in `replayManualRun.ts`);
 * - cancel: `cancelDlqReplay.ts`.
 *
 * `auto` tries the native task when nothing needs filtering and falls back to the manual mover where the
 * endpoint lacks the API (moto answers HTML).
 */
export const replayDlq = async (options: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> => {
  validateReplayOptions(options);
  const mode = options.mode ?? ReplayMode.AUTO;
  if (mode === ReplayMode.NATIVE || (mode === ReplayMode.AUTO && nativeCanServe(options))) {
    try {
      return await replayNative(options, deps);
    } catch (error) {
      if (!(error instanceof MoveTaskUnsupportedError) || mode === ReplayMode.NATIVE) throw error;
      return replayManual(options, deps, `${error.message}; used the manual mover`);
    }
  }
  return replayManual(options, deps);
};
