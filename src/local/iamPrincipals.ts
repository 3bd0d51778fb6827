import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  NoSuchEntityException,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  type PermissionStatement,
  PIPELINE_ROLES,
  type PipelineArns,
  type PipelineRole,
  pipelineStatements,
} from '../config/permissions.ts';
import { SilentScalperError } from '../pipeline/errors.ts';
import type { LocalResources } from './provision.ts';

/** Access keys of a local IAM user. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** One IAM user on moto standing in for a role of the stack (or for a person outside it). */
export interface LocalPrincipal {
  readonly userName: string;
  readonly arn: string;
  readonly credentials: LocalCredentials;
  /** Its whole inline policy. */
  readonly statements: readonly PermissionStatement[];
}

/**
 * The principals of an IAM-enforced local runtime: one per role of the stack, holding that role's
 * statements with the local ARNs, plus two that stand outside the stack: `uploader` (writes into the
 * input bucket, nothing else: whoever drops the files) and `admin` (everything: the account's
 * administrator, used by provisioning after enforcement, `up --demo` reading results, and the tests'
 * own inspection).
 */
export type LocalPrincipals = Readonly<Record<PipelineRole | 'uploader' | 'admin', LocalPrincipal>>;

/** moto's fixed account id (its default; `MOTO_ACCOUNT_ID` is not used here). */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** Name prefix of the local IAM users. */
export const LOCAL_USER_PREFIX = 'silent-scalper-';

/** Options of {@link createLocalPrincipals}. */
export interface CreateLocalPrincipalsOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly resources: LocalResources;
  /**
   * Every source bucket (the input bucket included), as the construct's `sources`: the roles' statements
   * then cover each, like the stack's with several sources, and `uploader` may upload into each.
   * @default [resources.inputBucket]
   */
  readonly sourceBuckets?: readonly string[];
  /**
   * Change a role's statements before they are given (the statement-removal check drops one at a time).
   * @default none
   */
  readonly adjust?: (role: PipelineRole, statements: PermissionStatement[]) => PermissionStatement[];
}

/** Thrown when the emulator cannot create the principals or switch enforcement on. */
export class IamSetupError extends SilentScalperError {}

/** The ARNs of the local resources, as the stack's tokens resolve to in AWS. */
export const localPipelineArns = (resources: LocalResources, region: string): PipelineArns => ({
  inputBucketArn: `arn:aws:s3:::${resources.inputBucket}`,
  quarantineBucketArn: `arn:aws:s3:::${resources.quarantineBucket}`,
  tableArn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${resources.tableName}`,
  topicArn: resources.topicArn,
  queueArn: resources.queueArn,
  deadLetterQueueArn: resources.dlqArn,
  // No CloudFormation stack locally: the CLI finds local resources by their contract names.
  stackId: `arn:aws:cloudformation:${region}:${LOCAL_ACCOUNT_ID}:stack/SilentScalper/local`,
});

/**
 * The only local-only statements: the CLI finds local resources by their contract names (GetQueueUrl,
 * DescribeTable, HeadBucket, ListTopics, src/cli/target.ts) where in AWS it reads the stack's outputs
 * (the operator's `ReadStackOutputs`). The local operator user holds these besides its role's statements.
 */
export const localDiscoveryStatements = (arns: PipelineArns): PermissionStatement[] => [
  {
    Sid: 'FindLocalResourcesInsteadOfStackOutputs',
    Effect: 'Allow',
    Action: ['sqs:GetQueueUrl', 'dynamodb:DescribeTable'],
    Resource: [arns.queueArn, arns.deadLetterQueueArn, arns.tableArn],
  },
  // ListTopics takes no resource: IAM authorizes it on `*`.
  { Sid: 'FindLocalTopic', Effect: 'Allow', Action: ['sns:ListTopics'], Resource: ['*'] },
];

/** What `uploader` and `admin` hold; the roles' statements come from src/config/permissions.ts. */
const outsideStatements = (
  sourceBucketArns: readonly string[],
): Record<'uploader' | 'admin', PermissionStatement[]> => ({
  uploader: [
    {
      Sid: 'UploadIntoInput',
      Effect: 'Allow',
      // Multipart uploads (the CLI's uploader above its part size) are s3:PutObject too.
      Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
      Resource: sourceBucketArns.map((arn) => `${arn}/*`),
    },
  ],
  admin: [{ Sid: 'AccountAdministrator', Effect: 'Allow', Action: ['*'], Resource: ['*'] }],
});

const POLICY_NAME = 'silent-scalper';

/** Create (or update) a user with exactly these statements and return fresh access keys for it. */
const ensureUser = async (
  iam: IAMClient,
  userName: string,
  statements: readonly PermissionStatement[],
): Promise<LocalPrincipal> => {
  let arn: string | undefined;
  try {
    arn = (await iam.send(new CreateUserCommand({ UserName: userName }))).User?.Arn;
  } catch (error) {
    if ((error as { name?: string }).name !== 'EntityAlreadyExistsException') throw error;
    arn = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/${userName}`;
  }
  try {
    await iam.send(new DeleteUserPolicyCommand({ UserName: userName, PolicyName: POLICY_NAME }));
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
  }
  // An empty policy document is invalid; a role left with no statement simply holds no policy.
  if (statements.length > 0)
    await iam.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: POLICY_NAME,
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
      }),
    );
  const existing = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  // IAM allows two keys per user; a re-run of `up` on a kept emulator reuses neither (secrets are shown once).
  if ((existing.AccessKeyMetadata ?? []).length >= 2)
    throw new IamSetupError(`user ${userName} already has two access keys: restart the emulator`);
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
  if (!key?.AccessKeyId || !key.SecretAccessKey || !arn)
    throw new IamSetupError(`user ${userName}: the emulator returned no access key`);
  return {
    userName,
    arn,
    credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey },
    statements,
  };
};

/**
 * Create the local IAM users (before enforcement is on: moto lets every request through until then).
 * Each role's user holds exactly that role's statements of the stack, with the local ARNs.
 */
export const createLocalPrincipals = async (
  options: CreateLocalPrincipalsOptions,
): Promise<LocalPrincipals> => {
  const arns = localPipelineArns(options.resources, options.region);
  const sourceBucketArns = (options.sourceBuckets ?? [options.resources.inputBucket]).map(
    (name) => `arn:aws:s3:::${name}`,
  );
  const roles = pipelineStatements(arns, { sourceBucketArns });
  const iam = new IAMClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const entries: [string, LocalPrincipal][] = [];
    for (const role of PIPELINE_ROLES) {
      const given = options.adjust ? options.adjust(role, [...roles[role]]) : roles[role];
      const statements = role === 'operator' ? [...given, ...localDiscoveryStatements(arns)] : given;
      entries.push([role, await ensureUser(iam, `${LOCAL_USER_PREFIX}${role}`, statements)]);
    }
    for (const [who, statements] of Object.entries(outsideStatements(sourceBucketArns)))
      entries.push([who, await ensureUser(iam, `${LOCAL_USER_PREFIX}${who}`, statements)]);
    return Object.fromEntries(entries) as unknown as LocalPrincipals;
  } finally {
    iam.destroy();
  }
};

/**
 * Switch moto's IAM enforcement on: from the next request, every request is authenticated (the access
 * key must belong to an IAM user) and authorized against that user's policies. moto's
 * `/moto-api/reset-auth` sets INITIAL_NO_AUTH_ACTION_COUNT and restarts its request count; 0 means now.
 */
export const enforceIam = async (endpoint: string): Promise<void> => {
  const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
  if (!response.ok)
    throw new IamSetupError(`the emulator refused to switch IAM enforcement on (HTTP ${response.status})`);
};
