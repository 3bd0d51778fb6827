import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyDocument, type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Repository root (where package.json and the lock file live), resolved from this file. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a file given relative to the repository root, e.g. `src/handlers/ingest.ts`. */
export const projectPath = (relativePath: string): string =>
  fileURLToPath(new URL(relativePath, new URL('../../', import.meta.url)));

/**
 * Node.js runtime of every pipeline function. 24.x is the newest Lambda runtime aws-cdk-lib 2.276 knows;
 * cdk-nag's AwsSolutions-L1 wants the latest one.
 */
export const PIPELINE_RUNTIME = Runtime.NODEJS_24_X;

/**
 * esbuild emits ESM; some CommonJS dependencies call `require()` for Node built-ins, which does not exist
 * in an ES module, so the bundle defines it (https://esbuild.github.io/api/#platform, "require" in ESM).
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __silentScalperCreateRequire } from 'node:module'; const require = __silentScalperCreateRequire(import.meta.url);";

/** Props of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /** Handler file relative to the repository root, e.g. `src/handlers/ingest.ts`; it exports `handler`. */
  readonly entry: string;
  /** Shown in the Lambda console. */
  readonly description: string;
  /** Function timeout. */
  readonly timeout: Duration;
  /** Memory in MB. @default 512 */
  readonly memorySizeMb?: number;
  /** Environment variables (build them with `handlerEnvironment` so local and AWS cannot drift). */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Everything the function may do besides writing its own logs. They become one inline policy on the
   * function's own role: no managed policies, no CDK grants added behind the stack's back.
   */
  readonly statements: readonly PolicyStatement[];
  /** Log retention. @default one month */
  readonly logRetention?: RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The shared defaults of every Silent Scalper Lambda function: Node.js 24 on arm64, an ESM bundle built
 * by the local esbuild (minified, with source maps), its own log group with a retention, and its own role
 * whose only policy is the inline least-privilege one given in `statements` plus log writing. Adding a
 * function is one `new PipelineFunction(...)` with its entry, environment and statements.
 */
export class PipelineFunction extends Construct {
  /** The function. */
  public readonly function: NodejsFunction;
  /** The function's role (immutable to grants: its inline policy is the whole of its permissions). */
  public readonly role: Role;
  /** The function's log group. */
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    const logStatementsDocument = PolicyDocument.fromJson({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          // The log group's `Arn` attribute already ends in `:*`, which covers its log streams.
          Resource: this.logGroup.logGroupArn,
        },
      ],
    });
    const pipelineDocument = new PolicyDocument({ statements: [...props.statements] });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Least-privilege role of ${props.description}`,
      inlinePolicies: { Logs: logStatementsDocument, Pipeline: pipelineDocument },
    });

    this.function = new NodejsFunction(this, 'Function', {
      entry: projectPath(props.entry),
      handler: 'handler',
      description: props.description,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: projectPath('package-lock.json'),
      runtime: PIPELINE_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySizeMb ?? 512,
      timeout: props.timeout,
      // Grants made by CDK helpers (such as the SQS event source) must not widen the role: the inline
      // policy above is the complete list, and tests assert it.
      role: this.role.withoutPolicyUpdates(),
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        // Stack traces point at the TypeScript sources instead of the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        platform: 'node',
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Bundle the AWS SDK too, so the deployed code runs exactly the versions the lock file pinned and
        // the tests ran, not whatever the managed runtime ships that day.
        externalModules: [],
      },
    });
  }
}
