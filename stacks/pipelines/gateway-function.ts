/**
 * One Lambda function of the gateway: bundled handler, its own role with exactly the statements
 * given, a log group with retention, and (for asynchronous invocations) a dead-letter queue.
 */
import { Construct } from "constructs";
import { TerraformAsset, AssetType } from "cdktf";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import { ROUTING_INTEGRITY_LOG_MARK, ROUTING_SHA256_ENV } from "../../model/routing-integrity";
import { bundleHandler } from "./bundle";
import { RoutingDocument } from "./routing-document";

/** What moving a file out of a working path needs: reading and deleting the exact version. */
export const VERSIONED_MOVE_SOURCE = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
] as const;

export interface PolicyStatement {
  readonly sid?: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Record<string, Record<string, string | readonly string[]>>;
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      ...(s.sid ? { Sid: s.sid } : {}),
      Effect: "Allow",
      Action: [...s.actions],
      Resource: [...s.resources],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

export interface GatewayFunctionProps {
  /** Handler source relative to the repository root, e.g. `handlers/send/settle.ts`. */
  readonly entry: string;
  /** Function name (prefixed by the customer name by the caller). */
  readonly functionName: string;
  readonly description: string;
  /** Every resource the handler uses; nothing is hard-coded in handlers. */
  readonly environment: Record<string, string>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetentionDays: number;
  /** KMS key for the log group and the environment. */
  readonly kmsKeyArn: string;
  /** @default 30 */
  readonly timeoutSeconds?: number;
  /** @default 256 */
  readonly memoryMb?: number;
  /** Dead-letter target for asynchronous invocations (EventBridge, schedules). Omit for SQS-driven functions, whose queue has the redrive. */
  readonly deadLetterQueueArn?: string;
  /** @default undefined (unreserved) */
  readonly reservedConcurrency?: number;
}

export class GatewayFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: GatewayFunctionProps) {
    super(scope, id);
    const bundle = bundleHandler(props.entry);
    const asset = new TerraformAsset(this, "code", { path: bundle.zipPath, type: AssetType.FILE });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    this.role = new IamRole(this, "role", {
      name: `${props.functionName}-fn`.slice(0, 64),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    const region = stackRegion(this);
    const statements: PolicyStatement[] = [
      { sid: "Logs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${this.logGroup.arn}:*`] },
      ...(props.deadLetterQueueArn
        ? [{ sid: "DeadLetter", actions: ["sqs:SendMessage"], resources: [props.deadLetterQueueArn] }]
        : []),
      ...props.statements.map((s) => (region ? keyThroughServicesOnly(s, region) : s)),
    ];
    new IamRolePolicy(this, "policy", { role: this.role.id, policy: policyDocument(statements) });

    const routing = props.environment.ROUTING_KEY !== undefined ? RoutingDocument.of(this) : undefined;
    if (routing) {
      // Counts the handler's refusals of a routing document with another digest (routing-loader.ts).
      new CloudwatchLogMetricFilter(this, "routing-integrity", {
        name: `${props.functionName}-routing-integrity`,
        logGroupName: this.logGroup.name,
        pattern: `"${ROUTING_INTEGRITY_LOG_MARK}"`,
        metricTransformation: { ...routing.integrityMetric, name: routing.integrityMetric.metricName, value: "1" },
      });
    }
    const environment = {
      NODE_OPTIONS: "--enable-source-maps",
      ...props.environment,
      ...(routing ? { [ROUTING_SHA256_ENV]: routing.sha256 } : {}),
    };

    this.function = new LambdaFunction(this, "fn", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: bundle.sha256,
      timeout: props.timeoutSeconds ?? 30,
      memorySize: props.memoryMb ?? 256,
      kmsKeyArn: props.kmsKeyArn,
      environment: { variables: environment },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      ...(props.deadLetterQueueArn ? { deadLetterConfig: { targetArn: props.deadLetterQueueArn } } : {}),
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      dependsOn: [this.logGroup],
    });
  }
}

/**
 * Services through which a gateway function uses the customer's key: the bucket (S3), the queues
 * (SQS, also when Lambda polls them with the function's role), the table (DynamoDB), the topic
 * (SNS), the bus (EventBridge) and the function's own environment (Lambda).
 */
export const KEY_SERVICES = ["s3", "sqs", "dynamodb", "sns", "events", "lambda"] as const;

/**
 * A KMS statement without conditions is limited to requests made through the gateway's services
 * (`kms:ViaService`, KMS developer guide, "AWS KMS condition keys":
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service):
 * the role's credentials alone cannot decrypt anything with the key.
 */
export function keyThroughServicesOnly(s: PolicyStatement, region: string): PolicyStatement {
  if (s.conditions || !s.actions.some((a) => a.toLowerCase().startsWith("kms:"))) return s;
  return {
    ...s,
    conditions: { StringEquals: { "kms:ViaService": KEY_SERVICES.map((svc) => `${svc}.${region}.amazonaws.com`) } },
  };
}

/** The region of the stack's AWS provider (literal in customer stacks). */
function stackRegion(scope: Construct): string | undefined {
  const provider = TerraformStack.of(scope)
    .node.children.filter((c): c is AwsProvider => c instanceof AwsProvider)
    .find((p) => p.alias === undefined);
  return provider?.region;
}
