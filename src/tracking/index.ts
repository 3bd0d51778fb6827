/** The read side of the metadata table and the queues, shared by the CLI, the dashboard and ops commands. */
export { countFiles } from './countFiles.ts';
export { fileHistory } from './fileHistory.ts';
export { listFiles, MAX_LIST_LIMIT } from './listFiles.ts';
export { queueStats } from './queueStats.ts';
export type {
  CountFilesOptions,
  FileCounts,
  FileHistory,
  FilePage,
  ListFilesOptions,
  QueueStats,
} from './types.ts';
