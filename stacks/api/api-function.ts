/**
 * The API's Lambda. Built like a GatewayFunction (the same cached bundler, runtime, architecture,
 * log group, KMS-conditioned statements) but deliberately not one: the bucket policy forbids every
 * GatewayFunction role to delete routed files (stacks/platform/gateway-bucket-policy.ts), and
 * deleting a message is exactly what a user asks the API for.
 */
import { Construct } from "constructs";
import { TerraformAsset, AssetType } from "cdktf";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { bundleHandler } from "../pipelines/bundle";
import { keyThroughServicesOnly, policyDocument, type PolicyStatement } from "../pipelines/gateway-function";
import { RoutingDocument } from "../pipelines/routing-document";
import { ROUTING_SHA256_ENV } from "../../model/routing-integrity";

export const API_HANDLER_ENTRY = "handlers/api/handler.ts";

export interface ApiFunctionProps {
  readonly functionName: string;
  readonly environment: Record<string, string>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetentionDays: number;
  readonly kmsKeyArn: string;
  readonly region: string;
}

export class ApiFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    super(scope, id);
    const bundle = bundleHandler(API_HANDLER_ENTRY);
    const asset = new TerraformAsset(this, "code", { path: bundle.zipPath, type: AssetType.FILE });
    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    this.role = new IamRole(this, "role", {
      // Not `-fn`: the gateway's own function roles never delete a routed file (test/security/function-roles.test.ts);
      // this role does, and only when a user asks (DELETE /v1/messages/{id}).
      name: `${props.functionName}-role`.slice(0, 64),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });
    new IamRolePolicy(this, "policy", {
      role: this.role.id,
      policy: policyDocument([
        { sid: "Logs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:*`] },
        ...props.statements.map((s) => keyThroughServicesOnly(s, props.region)),
      ]),
    });
    const routing = RoutingDocument.of(this);
    this.function = new LambdaFunction(this, "fn", {
      functionName: props.functionName,
      description: "REST API of the AS2 gateway (API Gateway HTTP API, payload format 2.0)",
      role: this.role.arn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: bundle.sha256,
      // API Gateway waits at most 30 s for an integration (HTTP API quotas, "Maximum integration timeout").
      timeout: 29,
      memorySize: 512,
      kmsKeyArn: props.kmsKeyArn,
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          ...props.environment,
          ...(routing ? { [ROUTING_SHA256_ENV]: routing.sha256 } : {}),
        },
      },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      dependsOn: [logGroup],
    });
  }
}
