/**
 * The REST API (issue 15): an API Gateway HTTP API with one route per operation route key
 * (model/api/operations.ts), each throttled on its own, all integrated with one Lambda
 * (payload format 2.0); IAM (SigV4) authorization by default, or a Cognito user pool issuing
 * OAuth 2.0 client-credentials tokens with read/send/delete scopes; access logs; CORS only
 * for declared origins. Opt-in: customers without `api` get none of it.
 *
 * Terraform arguments checked against the provider's docs and AWS's (2026-12):
 * - aws_apigatewayv2_stage `route_settings` (throttling per route key) and `access_log_settings`
 *   (format must include $context.requestId: CloudFormation AWS::ApiGatewayV2::Stage AccessLogSettings);
 * - JWT authorizer `jwt_configuration { audience, issuer }`, issuer
 *   `https://cognito-idp.<region>.amazonaws.com/<pool id>`; a Cognito access token has no `aud`
 *   and API Gateway then matches `client_id` against the audience (API Gateway developer guide,
 *   "Troubleshooting issues with HTTP API JWT authorizers").
 */
import { Construct } from "constructs";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { CognitoUserPool } from "@cdktf/provider-aws/lib/cognito-user-pool";
import { CognitoResourceServer } from "@cdktf/provider-aws/lib/cognito-resource-server";
import { CognitoUserPoolClient } from "@cdktf/provider-aws/lib/cognito-user-pool-client";
import { CognitoUserPoolDomain } from "@cdktf/provider-aws/lib/cognito-user-pool-domain";
import { TerraformOutput } from "cdktf";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { GatewayFunction, policyDocument } from "../pipelines/gateway-function";
import type { GatewayContext } from "../platform/context";
import type { PolicyStatement } from "../pipelines/gateway-function";
import { INDEX_TABLE_ENV } from "../../model/api/index-model";
import { physicalName } from "../events/event-names";
import { API_SCOPES, OAUTH_RESOURCE_SERVER, OPERATIONS, apiRoutes, oauthScope } from "../../model/api/operations";
import { API_UPLOAD_ROOT, PIPELINE_DOCUMENT_KEY, SEND_PREFIX, filesRoot } from "../../model/layout";
import type { ApiConfig } from "../../model/api/customer-api";
import { MessageIndexTable } from "./index-table";
import { ApiFunction } from "./api-function";
import { TransactionPipeline } from "../pipelines/transactions";
import { SendPipeline } from "../pipelines/send-pipeline";

export interface RestApiProps {
  readonly context: GatewayContext;
  readonly api: ApiConfig;
}

const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  caller: "$context.identity.userArn",
  client: "$context.authorizer.claims.client_id",
  requestTime: "$context.requestTime",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLength: "$context.responseLength",
  integrationError: "$context.integrationErrorMessage",
});

export class RestApi extends Construct {
  readonly index: MessageIndexTable;
  readonly api: Apigatewayv2Api;
  readonly function: ApiFunction;

  constructor(scope: Construct, id: string, props: RestApiProps) {
    super(scope, id);
    const { context: ctx, api: config } = props;
    const customer = ctx.customer;
    this.index = new MessageIndexTable(this, "index", { customerName: customer.name, kmsKeyArn: ctx.kmsKeyArn });

    let cognito: { pool: CognitoUserPool; clients: Map<string, CognitoUserPoolClient> } | undefined;
    if (config.auth === "cognito") cognito = this.cognito(customer.name, customer.region, config);

    const transactions = this.transactionPipeline();
    // API sends skip the settle wait: the API announces each version it writes on the send queue.
    const sendQueue = this.node.scope!.node.children.find(
      (c): c is SendPipeline => c instanceof SendPipeline,
    )?.sendQueue;
    this.function = new ApiFunction(this, "function", {
      functionName: physicalName(["as2", customer.name, "api"]),
      environment: {
        ROUTING_BUCKET: ctx.bucket.name,
        ROUTING_KEY: ctx.routing.key,
        ROUTING_ETAG: ctx.routing.etag,
        MESSAGE_INDEX_TABLE: this.index.table.name,
        API_CLIENTS: JSON.stringify(
          config.clients.map((c) => ({
            name: c.name,
            scopes: c.scopes,
            ...(c.stations ? { stations: c.stations } : {}),
            ...(c.principal ? { principal: c.principal } : {}),
            ...(cognito ? { clientId: cognito.clients.get(c.name)!.id } : {}),
          })),
        ),
        POWERTOOLS_SERVICE_NAME: "as2-api",
        ...(transactions ? transactionEnvironment(transactions) : {}),
        ...(sendQueue ? { SEND_QUEUE_URL: sendQueue.url } : {}),
      },
      statements: [
        ...apiStatements(ctx, this.index.table.arn),
        ...(transactions ? transactionStatements(ctx, transactions) : []),
        ...(sendQueue ? [{ sid: "SendQueue", actions: ["sqs:SendMessage"], resources: [sendQueue.arn] }] : []),
      ],
      logRetentionDays: customer.logRetentionDays,
      kmsKeyArn: ctx.kmsKeyArn,
      region: customer.region,
    });

    this.api = new Apigatewayv2Api(this, "api", {
      name: physicalName(["as2", customer.name, "api"]),
      protocolType: "HTTP",
      description: `REST API of the AS2 gateway of ${customer.name} (templates/openapi.json)`,
      ...(config.corsOrigins.length
        ? {
            corsConfiguration: {
              allowOrigins: config.corsOrigins,
              allowMethods: [...new Set(OPERATIONS.map((o) => o.method))],
              allowHeaders: [
                "authorization",
                "content-type",
                "x-amz-date",
                "x-amz-security-token",
                "x-amz-content-sha256",
              ],
              maxAge: 600,
            },
          }
        : {}),
    });
    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationUri: this.function.function.arn,
      payloadFormatVersion: "2.0",
    });
    const authorizer = cognito
      ? new Apigatewayv2Authorizer(this, "jwt", {
          apiId: this.api.id,
          name: "cognito",
          authorizerType: "JWT",
          identitySources: ["$request.header.Authorization"],
          jwtConfiguration: {
            audience: [...cognito.clients.values()].map((c) => c.id),
            issuer: `https://cognito-idp.${customer.region}.amazonaws.com/${cognito.pool.id}`,
          },
        })
      : undefined;
    for (const [i, r] of apiRoutes().entries()) {
      const scopes = [...new Set(OPERATIONS.filter((o) => o.routeKey === r.routeKey).map((o) => oauthScope(o.scope)))];
      new Apigatewayv2Route(this, `route-${i}`, {
        apiId: this.api.id,
        routeKey: r.routeKey,
        target: `integrations/${integration.id}`,
        ...(authorizer
          ? { authorizationType: "JWT", authorizerId: authorizer.id, authorizationScopes: scopes }
          : { authorizationType: "AWS_IAM" }),
      });
    }
    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${physicalName(["as2", customer.name, "api"])}`,
      retentionInDays: customer.logRetentionDays,
      kmsKeyId: ctx.kmsKeyArn,
    });
    new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: { throttlingRateLimit: 50, throttlingBurstLimit: 100, detailedMetricsEnabled: true },
      routeSettings: apiRoutes().map((r) => ({
        routeKey: r.routeKey,
        throttlingRateLimit: r.throttle.rate,
        throttlingBurstLimit: r.throttle.burst,
      })),
    });
    new LambdaPermission(this, "invoke", {
      action: "lambda:InvokeFunction",
      functionName: this.function.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.api.executionArn}/*/*`,
    });
    new TerraformOutput(this, "url", {
      value: this.api.apiEndpoint,
      description: "REST API base URL (routes under /v1)",
    });
    this.letPipelinesWriteTheIndex(ctx);
  }

  /**
   * POST /v1/transactions feeds the transaction pipeline when the customer has one; it is built
   * before the API (stacks/customer-stack.ts), as a sibling.
   */
  private transactionPipeline(): TransactionPipeline | undefined {
    return this.node.scope!.node.children.find((c): c is TransactionPipeline => c instanceof TransactionPipeline);
  }

  /**
   * The send and receive functions (those that use the state table) keep the index current
   * (handlers/api/index-hooks.ts): they get its name and UpdateItem on it, and nothing else. Done
   * from here so that a customer without the API has neither; the pipelines are built first.
   */
  private letPipelinesWriteTheIndex(ctx: GatewayContext): void {
    const writers = this.node
      .scope!.node.findAll()
      .filter((c): c is GatewayFunction => c instanceof GatewayFunction)
      .filter((f) => f.function.environment.variablesInput?.["STATE_TABLE"] === ctx.stateTable.name);
    for (const [i, f] of writers.entries()) {
      f.function.addOverride(`environment.variables.${INDEX_TABLE_ENV}`, this.index.table.name);
      new IamRolePolicy(this, `index-writer-${i}`, {
        role: f.role.id,
        name: "message-index",
        policy: policyDocument([
          { sid: "MessageIndex", actions: ["dynamodb:UpdateItem"], resources: [this.index.table.arn] },
        ]),
      });
    }
  }

  private cognito(customerName: string, region: string, config: ApiConfig) {
    const pool = new CognitoUserPool(this, "users", {
      name: physicalName(["as2", customerName, "api"]),
      deletionProtection: "ACTIVE",
    });
    const server = new CognitoResourceServer(this, "resource-server", {
      userPoolId: pool.id,
      identifier: OAUTH_RESOURCE_SERVER,
      name: "AS2 gateway REST API",
      scope: API_SCOPES.map((s) => ({ scopeName: s, scopeDescription: `${s} messages` })),
    });
    const domain = new CognitoUserPoolDomain(this, "domain", {
      userPoolId: pool.id,
      domain: config.cognitoDomain ?? `as2-${customerName}`,
    });
    const clients = new Map<string, CognitoUserPoolClient>();
    for (const c of config.clients) {
      clients.set(
        c.name,
        new CognitoUserPoolClient(this, `client-${c.name}`, {
          userPoolId: pool.id,
          name: c.name,
          generateSecret: true,
          allowedOauthFlows: ["client_credentials"],
          allowedOauthFlowsUserPoolClient: true,
          allowedOauthScopes: c.scopes.map(oauthScope),
          supportedIdentityProviders: ["COGNITO"],
          enableTokenRevocation: true,
          accessTokenValidity: 60,
          tokenValidityUnits: [{ accessToken: "minutes" }],
          dependsOn: [server],
        }),
      );
    }
    new TerraformOutput(this, "token-url", {
      value: `https://${domain.domain}.auth.${region}.amazoncognito.com/oauth2/token`,
      description: "OAuth 2.0 token endpoint (client credentials) of the REST API",
    });
    return { pool, clients };
  }
}

/** Exactly what the API Lambda does, on exactly the resources it does it to. */
export function apiStatements(ctx: GatewayContext, indexArn: string): PolicyStatement[] {
  const bucketArn = ctx.bucket.arn;
  const routed = `${bucketArn}/${filesRoot(ctx.customer.layout)}*`;
  return [
    { sid: "RoutingDocument", actions: ["s3:GetObject"], resources: [`${bucketArn}/${ctx.routing.key}`] },
    // Send: write new uploads (If-None-Match) into the send folders; read them back for the version.
    { sid: "SendFolders", actions: ["s3:GetObject", "s3:PutObject"], resources: [`${bucketArn}/${SEND_PREFIX}*`] },
    // Uploads by presigned URL wait here for their commit.
    {
      sid: "ApiUploads",
      actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: [`${bucketArn}/${API_UPLOAD_ROOT}*`],
    },
    // Downloads (presigned GET), resend (copy from failed/) and the user's delete of a message's files.
    { sid: "RoutedFiles", actions: ["s3:GetObject", "s3:DeleteObject"], resources: [routed] },
    { sid: "MissingKeysAre404", actions: ["s3:ListBucket"], resources: [bucketArn] },
    {
      sid: "MessageIndex",
      actions: ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
      resources: [indexArn, `${indexArn}/index/*`],
    },
    { sid: "Key", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [ctx.kmsKeyArn] },
  ];
}

/**
 * What POST /v1/transactions reads (the pipeline document, checked against the SHA-256 the split
 * function is given) and where it enqueues: the pipeline's own values, so both agree by construction.
 */
export function transactionEnvironment(pipeline: TransactionPipeline): Record<string, string> {
  const split = pipeline.functions.split.function.environment.variablesInput ?? {};
  return {
    PIPELINE_BUCKET: split.PIPELINE_BUCKET!,
    PIPELINE_KEY: split.PIPELINE_KEY!,
    PIPELINE_SHA256: split.PIPELINE_SHA256!,
    TRANSACTION_QUEUE_URL: pipeline.transactionQueue.url,
  };
}

/** Read the pipeline document, send to the transaction queue (its KMS key: the `Key` statement above). */
export function transactionStatements(ctx: GatewayContext, pipeline: TransactionPipeline): PolicyStatement[] {
  return [
    { sid: "PipelineDocument", actions: ["s3:GetObject"], resources: [`${ctx.bucket.arn}/${PIPELINE_DOCUMENT_KEY}`] },
    { sid: "TransactionQueue", actions: ["sqs:SendMessage"], resources: [pipeline.transactionQueue.arn] },
  ];
}
