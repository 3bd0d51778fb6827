import type { AwsClients } from '../../src/adapters/awsClients.ts';
import type { LocalResources } from '../../src/local/provision.ts';
import { DlqClass } from '../../src/ops/checkConsistency.ts';
import { sortDeadLetters } from '../../src/ops/sortDeadLetters.ts';

/** Replay the DLQ messages whose file has no final record (what `replay-dlq` offers an operator). */
export const replayNotFinished = async (clients: AwsClients, resources: LocalResources): Promise<number> => {
  const sorted = await sortDeadLetters(
    clients,
    { metadataTable: resources.tableName, queueUrl: resources.queueUrl, dlqUrl: resources.dlqUrl },
    { replay: [DlqClass.notFinished] },
  );
  return sorted.replayed;
};
