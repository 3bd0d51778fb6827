#!/usr/bin/env node
// Print one line "N passed, N failed" from vitest's JSON report; fail when the report is missing or empty,
// so a run that executed no test cannot pass unnoticed.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'artifacts/vitest-report.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.log('0 passed, 0 failed');
  console.error(`no vitest report at ${file}: ${error.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numTodoTests ?? 0) + (report.numPendingTests ?? 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
