#!/usr/bin/env bash
# Remove each statement of a role's policy in turn and run the enforced e2e tests without it: every
# statement must make at least one test fail (otherwise the role holds a permission no test proves).
# Usage: scripts/iam-statement-check.sh [role] [test-name-filter]   (role: ingest | retry | operator)
set -u
role="${1:-ingest}"
filter="${2:-}"
cd "$(dirname "$0")/.."
sids=$(npx tsx -e "
import { pipelineStatements } from './src/config/permissions.ts';
const arns = { inputBucketArn: 'i', quarantineBucketArn: 'q', tableArn: 't', topicArn: 'n', queueArn: 'u', deadLetterQueueArn: 'd', stackId: 's' };
for (const s of pipelineStatements(arns)['$role']) console.log(s.Sid);
")
status=0
for sid in $sids; do
  log="artifacts/iam-drop-$role-$sid.log"
  mkdir -p artifacts
  SILENT_SCALPER_DROP_STATEMENT="$role:$sid" npx vitest run test/e2e/enforcedIam.test.ts ${filter:+-t "$filter"} >"$log" 2>&1
  if [ $? -eq 0 ]; then
    echo "$role:$sid  NO TEST FAILED (unproven statement)"
    status=1
  else
    first=$(grep -m1 -oE "(is not authorized to perform: [a-z0-9]+:[A-Za-z]+ on resource: [^ ]+)|(timed out after [0-9]+ ms waiting for [^\"]+)|AssertionError: [^\n]{0,120}" "$log" | head -1)
    failed=$(grep -cE "^\s+(×|✗|FAIL)" "$log")
    echo "$role:$sid  fails tests — $first"
  fi
done
exit $status
