import { GetBucketVersioningCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../adapters/awsClients.ts';

/**
 * Turn on versioning of a bucket (the quarantine bucket, as the CDK stack does), idempotently: every
 * quarantine copy is then its own version that a record can name exactly, and no write or delete can
 * take away a version nobody asked for (docs/operations.md, "Addressing").
 */
export const ensureVersioning = async (
  clients: AwsClients,
  bucket: string,
  onChange: (change: string) => void,
): Promise<void> => {
  const { Status } = await clients.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  if (Status === 'Enabled') return;
  await clients.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  onChange(`enabled versioning on bucket ${bucket}`);
};
