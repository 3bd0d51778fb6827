// The pipeline's public surface, for code outside src/pipeline that wants one import.
export * from './alerts.ts';
export * from './batchManifest.ts';
export * from './checkBatchResponse.ts';
export * from './classifyError.ts';
export * from './constants.ts';
export * from './errors.ts';
export * from './fileTypes.ts';
export * from './policy.ts';
export * from './ports.ts';
export * from './processBatch.ts';
export * from './processFile.ts';
export * from './quarantine.ts';
export * from './recordKeys.ts';
export * from './s3Event.ts';
export * from './sniff.ts';
export type * from './types.ts';
export * from './writeRecords.ts';
