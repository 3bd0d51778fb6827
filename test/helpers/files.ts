// The sample-file generator lives in src/local (also used by `up --demo` and the load tests).
export {
  SAMPLE_EXPECTATIONS,
  SAMPLE_KINDS,
  type SampleFile,
  SampleKind,
  type SampleOptions,
  sampleFile,
} from '../../src/local/samples.ts';
