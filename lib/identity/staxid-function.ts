import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  RecursiveLoop,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AUDIT_OUTBOX_PK_PREFIX } from '@/lambdas/shared/audit-outbox';
import { TABLE_NAME_ENV } from '@/lambdas/shared/constants';
import packageJson from '@/package.json';

/** The repository root: handler paths are relative to it, and it holds tsconfig.json and the lock file. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** The environment variable through which a function learns the table's name. */

/**
 * The Node.js runtime of every staxid function: the newest Lambda offers (Node.js 24, LTS
 * until April 2028). cdk-nag's AwsSolutions-L1 requires the newest the CDK knows.
 */
export const STAXID_RUNTIME = Runtime.NODEJS_24_X;

export interface StaxidFunctionProps {
  /**
   * The handler file, relative to the repository root (as `handler` in lambdas/routes.ts),
   * e.g. `lambdas/meta/health.ts`. It must export `handler`.
   */
  readonly entry: string;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
  /** @default - no description */
  readonly description?: string;
  /** Extra environment variables. @default - none beyond NODE_OPTIONS */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default Duration.seconds(10): well inside API Gateway's 29 s integration timeout */
  readonly timeout?: Duration;
  /** @default 512: arm64 CPU scales with memory; 512 MB keeps cold starts and crypto fast */
  readonly memorySize?: number;
  /**
   * A fixed name for the execution role, for a function that another account's policy
   * must name (by `aws:PrincipalArn`). @default - a generated name
   */
  readonly roleName?: string;
  /**
   * A role shared with other functions that are granted exactly the same (lib/identity/
   * identity-api.ts). @default a role of the function's own
   */
  readonly executionRole?: Role;
}

/** What a function may do with the table. */
export type TableAccess = 'read' | 'readWrite';

/**
 * The one Lambda function type of staxid: Node.js on arm64, bundled by the local esbuild
 * (never Docker) with the repository's tsconfig (so `@/` imports resolve), minified with
 * source maps, active X-Ray tracing, JSON logs to its own log group with the configured
 * retention, and a role of its own that holds no AWS managed policy.
 */
export class StaxidFunction extends NodejsFunction {
  /** The handler file this function runs, relative to the repository root. */
  readonly entryPath: string;
  /** The function's execution role (its own, holding no AWS managed policy). */
  readonly executionRole: Role;

  constructor(scope: Construct, id: string, props: StaxidFunctionProps) {
    const entry = resolveEntry(props.entry);
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role =
      props.executionRole ??
      new Role(scope, `${id}ServiceRole`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the staxid function for ${props.entry}`,
        ...(props.roleName && { roleName: props.roleName }),
      });
    super(scope, id, {
      entry,
      handler: 'handler',
      runtime: STAXID_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      recursiveLoop: RecursiveLoop.TERMINATE,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        tsconfig: join(REPO_ROOT, 'tsconfig.json'),
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the SDK rather than take the runtime's: the exact versions in package-lock.json
        // run in Lambda, as in the tests.
        bundleAwsSDK: true,
        define: { 'process.env.STAXID_VERSION': JSON.stringify(packageJson.version) },
      },
    });
    this.entryPath = props.entry;
    this.executionRole = role;
    logGroup.grantWrite(role);

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (the CDK adds them with Resource "*").',
    });
  }

  /**
   * Lets the function read (or read and write) the table, its indexes and its key, and
   * tells it the table's name in `STAXID_TABLE_NAME` (TABLE_NAME_ENV).
   */
  /**
   * Lets the function record audit events in the table's outbox and nothing else: PutItem
   * only on items whose partition key starts with `AUDIT#` (lambdas/shared/audit-outbox.ts).
   */
  grantAuditRecord(table: ITableV2): void {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${AUDIT_OUTBOX_PK_PREFIX}*`] } },
      }),
    );
    table.encryptionKey?.grantEncrypt(this);
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      reason:
        "DynamoDB needs kms:ReEncrypt* on the table's customer-managed key to write items; the grant is limited to that one key.",
    });
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        "DynamoDB needs kms:GenerateDataKey* on the table's customer-managed key to write items; the grant is limited to that one key.",
    });
    this.addEnvironment(TABLE_NAME_ENV, table.tableName);
  }

  grantTable(table: ITableV2, access: TableAccess): void {
    if (access === 'read') {
      table.grantReadData(this);
    } else {
      table.grantReadWriteData(this);
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        Validations.of(this.executionRole).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: `DynamoDB needs ${action} on the table's customer-managed key to write items; the grant is limited to that one key.`,
        });
      }
    }
    this.addEnvironment(TABLE_NAME_ENV, table.tableName);
    // cdk-nag names the index wildcard after the table's logical id: <TableLogicalId.Arn>/index/*
    const cfnTable = table.node.defaultChild;
    if (cfnTable instanceof CfnElement) {
      Validations.of(this.executionRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(table).getLogicalId(cfnTable)}.Arn>/index/*]`,
        reason: "Queries on the table's global secondary indexes (GSI1, GSI2) of the single-table design.",
      });
    }
  }
}

/** Validates a repository-relative handler path and returns it as an absolute path. */
function resolveEntry(entry: string): string {
  if (isAbsolute(entry)) {
    throw new Error(
      `StaxidFunction entry must be relative to the repository root, e.g. "lambdas/meta/health.ts" (got "${entry}")`,
    );
  }
  const absolute = resolve(REPO_ROOT, entry);
  const fromRoot = relative(REPO_ROOT, absolute);
  if (fromRoot.startsWith(`..${sep}`) || fromRoot === '..' || normalize(entry).startsWith('..')) {
    throw new Error(`StaxidFunction entry must be inside the repository (got "${entry}")`);
  }
  if (!/\.ts$/.test(entry)) {
    throw new Error(`StaxidFunction entry must be a TypeScript file (got "${entry}")`);
  }
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new Error(`StaxidFunction entry "${entry}" does not exist under ${REPO_ROOT}`);
  }
  return absolute;
}
