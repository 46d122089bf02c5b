/**
 * The transaction pipeline of one customer (issue 16):
 *   source events → split queue → split function (handlers/pipeline/split-handler.ts)
 *   → transaction queue (one message per transaction) → starter function → Step Functions
 *   (transactions-definition.ts) → transaction tables, TRANSACTION.PROCESSED / .FAILED on the bus.
 * Sources: the gateway's MESSAGE.RECEIVED.SUCCESS of opted-in partners (customer bus) and S3
 * "Object Created" under their SFTP drop folders (default bus). Nothing is created for a customer
 * whose partners have no pipeline.
 *
 * Step Functions facts (Step Functions developer guide): "Call HTTPS APIs in Step Functions
 * workflows" (IAM for the HTTP Task: states:InvokeHTTPEndpoint on the state machine with
 * states:HTTPMethod / states:HTTPEndpoint conditions, events:RetrieveConnectionCredentials on the
 * connection, secretsmanager:GetSecretValue/DescribeSecret on `events!connection/*` secrets);
 * "Logging Step Functions using CloudWatch Logs" (the role's logs:*LogDelivery actions on "*");
 * "Trace Step Functions request data in AWS X-Ray" (xray:PutTraceSegments ... on "*").
 */
import { Construct } from "constructs";
import { gatewayMetricNamespace } from "../../model/metrics";
import { Fn, TerraformVariable, type ITerraformDependable } from "cdktf";
import { CloudwatchEventConnection } from "@cdktf/provider-aws/lib/cloudwatch-event-connection";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { EVENT_SOURCE } from "../../model/events";
import { dropPrefix, PIPELINE_DOCUMENT_KEY, stationFolderPattern } from "../../model/layout";
import { buildPipelineDocument } from "../../model/pipeline-document";
import { effectivePipeline, type Pipeline } from "../../model/pipeline";
import { physicalName } from "../events/event-names";
import type { GatewayContext } from "../platform/context";
import { DeadLetterQueue } from "../platform/dlq-alarm";
import { terraformJsonLocal } from "../platform/terraform-json";
import { GatewayFunction, policyDocument, type PolicyStatement } from "./gateway-function";
import { TransactionTable } from "./transactions-table";
import { transactionDefinition, type EnrichTarget } from "./transactions-definition";
import { TransactionDashboard } from "./transactions-dashboard";

export const SPLIT_HANDLER_ENTRY = "handlers/pipeline/split-handler.ts";
export const START_HANDLER_ENTRY = "handlers/pipeline/start-handler.ts";
export const FORMAT_HANDLER_ENTRY = "handlers/pipeline/format-handler.ts";
export const TRANSACTION_MAX_RECEIVE_COUNT = 5;
/** A split reads the file twice (check, then enqueue): up to 15 minutes for 1 GB. */
export const SPLIT_FUNCTION_TIMEOUT_SECONDS = 900;
const START_FUNCTION_TIMEOUT_SECONDS = 60;

export interface TransactionPipelineProps {
  readonly context: GatewayContext;
  readonly accountId: string;
  readonly partition: string;
  /** The pipeline document is written after these (the bucket policy that lets the deployer write `_gateway/`). @default none */
  readonly dependsOn?: ITerraformDependable[];
}

interface Opted {
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly pipeline: Pipeline;
}

/** Partners whose documents go through a pipeline (station default, own, or none). */
export function optedPartners(ctx: GatewayContext): Opted[] {
  return ctx.customer.partners.flatMap((p) => {
    const pipeline = effectivePipeline(
      ctx.customer.stations.find((s) => s.as2Id === p.station),
      p,
    );
    return pipeline ? [{ station: p.station, partner: p.as2Id, test: p.test, pipeline }] : [];
  });
}

export class TransactionPipeline extends Construct {
  readonly tables: TransactionTable[] = [];
  readonly stateMachine: SfnStateMachine;
  readonly splitQueue: SqsQueue;
  readonly transactionQueue: SqsQueue;
  readonly deadLetters: DeadLetterQueue[] = [];
  readonly functions: { split: GatewayFunction; start: GatewayFunction; format: GatewayFunction };

  /** Undefined when no partner has a pipeline: nothing to deploy. */
  static create(scope: Construct, id: string, props: TransactionPipelineProps): TransactionPipeline | undefined {
    return optedPartners(props.context).length ? new TransactionPipeline(scope, id, props) : undefined;
  }

  private constructor(scope: Construct, id: string, props: TransactionPipelineProps) {
    super(scope, id);
    const ctx = props.context;
    const { customer } = ctx;
    const base = ["as2", customer.name, "transactions"];
    const name = (...parts: string[]) => physicalName([...base, ...parts]);
    const opted = optedPartners(ctx);

    // ------------------------------------------------------------------ pipeline document
    const doc = buildPipelineDocument(customer);
    const content = terraformJsonLocal(this, "document", doc);
    new S3Object(this, "document-object", {
      bucket: ctx.bucket.name,
      key: PIPELINE_DOCUMENT_KEY,
      content: content.asString,
      contentType: "application/json",
      serverSideEncryption: "aws:kms",
      kmsKeyId: ctx.kmsKeyArn,
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });

    // ------------------------------------------------------------------ tables
    for (const table of [...new Set(doc.partners.map((p) => p.table))])
      this.tables.push(new TransactionTable(this, `table-${table}`, { tableName: table, kmsKeyArn: ctx.kmsKeyArn }));

    // ------------------------------------------------------------------ source rules → split queue
    const receivedRule = new CloudwatchEventRule(this, "received-rule", {
      name: name("received"),
      description: `Files received over AS2 by ${customer.name}'s partners with a transaction pipeline`,
      eventBusName: ctx.eventBus.name,
      eventPattern: JSON.stringify({
        source: [EVENT_SOURCE],
        "detail-type": ["MESSAGE.RECEIVED.SUCCESS"],
        detail: { partnerId: [...new Set(opted.map((o) => o.partner))] },
      }),
    });
    const droppedRule = new CloudwatchEventRule(this, "dropped-rule", {
      name: name("dropped"),
      description: `Files dropped over SFTP by ${customer.name}'s partners with a transaction pipeline`,
      eventPattern: JSON.stringify({
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: {
          bucket: { name: [ctx.bucket.name] },
          object: { key: opted.map((o) => ({ prefix: dropPrefix(o) })) },
        },
      }),
    });
    const rules = [receivedRule, droppedRule];

    const splitDlq = this.deadLetter("split-dlq", name("split", "dlq"), props, {
      description: `Files of ${customer.name} that could not be split into transactions after ${TRANSACTION_MAX_RECEIVE_COUNT} attempts (the source event is kept; the file is untouched). Check the split function's logs, fix the cause, then redrive.`,
      senders: [{ service: "events.amazonaws.com", sourceArns: rules.map((r) => r.arn) }],
    });
    this.splitQueue = this.queue("split-queue", name("split"), splitDlq, 6 * SPLIT_FUNCTION_TIMEOUT_SECONDS);
    new SqsQueuePolicy(this, "split-queue-policy", {
      queueUrl: this.splitQueue.url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "PipelineSources",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: this.splitQueue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": rules.map((r) => r.arn) } },
          },
        ],
      }),
    });
    rules.forEach((rule, i) => {
      new CloudwatchEventTarget(this, `source-target-${i}`, {
        rule: rule.name,
        eventBusName: rule.eventBusName,
        targetId: "split-queue",
        arn: this.splitQueue.arn,
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 3600 },
        deadLetterConfig: { arn: splitDlq.queue.arn },
      });
    });

    // ------------------------------------------------------------------ transaction queue
    const txDlq = this.deadLetter("transaction-dlq", name("dlq"), props, {
      description: `Transactions of ${customer.name} whose execution could not be started after ${TRANSACTION_MAX_RECEIVE_COUNT} attempts. Check the starter function's logs, then redrive: execution names are the transaction ids, so a redrive starts nothing twice.`,
    });
    this.transactionQueue = this.queue("transaction-queue", name(), txDlq, 6 * START_FUNCTION_TIMEOUT_SECONDS);

    // ------------------------------------------------------------------ functions
    const fnBase = { logRetentionDays: customer.logRetentionDays, kmsKeyArn: ctx.kmsKeyArn };
    const key: PolicyStatement = {
      sid: "Key",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [ctx.kmsKeyArn],
    };
    const consume = (arn: string): PolicyStatement => ({
      sid: "Queue",
      actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
      resources: [arn],
    });
    const stations = [...new Set(opted.map((o) => o.station))];
    const bucketArn = ctx.bucket.arn;
    const split = new GatewayFunction(this, "split", {
      ...fnBase,
      entry: SPLIT_HANDLER_ENTRY,
      functionName: name("split"),
      description: `Splits ${customer.name}'s received and dropped files into transactions`,
      environment: {
        PIPELINE_BUCKET: ctx.bucket.name,
        PIPELINE_KEY: PIPELINE_DOCUMENT_KEY,
        PIPELINE_SHA256: Fn.sha256(content.asString),
        TRANSACTION_QUEUE_URL: this.transactionQueue.url,
        POWERTOOLS_SERVICE_NAME: "as2-pipeline-split",
      },
      statements: [
        consume(this.splitQueue.arn),
        { sid: "Enqueue", actions: ["sqs:SendMessage"], resources: [this.transactionQueue.arn] },
        {
          sid: "ReadSources",
          actions: ["s3:GetObject"],
          resources: [
            ...stations.map((st) => `${bucketArn}/${stationFolderPattern(customer.layout, st, "inbox")}`),
            ...opted.map((o) => `${bucketArn}/${dropPrefix(o)}*`),
            `${bucketArn}/${PIPELINE_DOCUMENT_KEY}`,
          ],
        },
        // A file with an envelope error: its copy and a record with the reason.
        {
          sid: "FailedFolders",
          actions: ["s3:GetObject", "s3:PutObject"],
          resources: stations.map((st) => `${bucketArn}/${stationFolderPattern(customer.layout, st, "failed")}`),
        },
        { sid: "MissingKeysAre404", actions: ["s3:ListBucket"], resources: [bucketArn] },
        key,
      ],
      timeoutSeconds: SPLIT_FUNCTION_TIMEOUT_SECONDS,
      memoryMb: 512,
    });
    const format = new GatewayFunction(this, "format", {
      ...fnBase,
      entry: FORMAT_HANDLER_ENTRY,
      functionName: name("format"),
      description: `Formats one transaction of ${customer.name} (the workflow's first step)`,
      environment: { POWERTOOLS_SERVICE_NAME: "as2-pipeline-format" },
      statements: [key],
      // Step Functions invokes it synchronously and retries/catches itself; the dead-letter queue
      // covers an asynchronous invocation by anyone else (guard rail LambdaAsyncDeadLetter).
      deadLetterQueueArn: txDlq.queue.arn,
    });

    // ------------------------------------------------------------------ enrichment connections
    const enrich: EnrichTarget[] = [];
    const connections: CloudwatchEventConnection[] = [];
    opted.forEach((o, i) => {
      const e = o.pipeline.enrich;
      if (!e) return;
      const auth = e.auth ?? { type: "apiKey" as const, header: "x-api-key" };
      const secret = new TerraformVariable(this, `enrich-secret-${i}`, {
        type: "string",
        sensitive: true,
        description: `${auth.type === "apiKey" ? `value of header ${auth.header}` : `password of ${auth.username}`} for the enrichment endpoint of ${o.station}/${o.partner} (${e.url})`,
      });
      const connection = new CloudwatchEventConnection(this, `enrich-connection-${i}`, {
        name: physicalName([...base, "enrich", o.partner]),
        description: `Enrichment endpoint of ${o.station}/${o.partner}`,
        authorizationType: auth.type === "apiKey" ? "API_KEY" : "BASIC",
        authParameters:
          auth.type === "apiKey"
            ? { apiKey: { key: auth.header, value: secret.stringValue } }
            : { basic: { username: auth.username, password: secret.stringValue } },
      });
      connections.push(connection);
      enrich.push({ partnerKey: `${o.station}/${o.partner}`, url: e.url, connectionArn: connection.arn });
    });

    // ------------------------------------------------------------------ state machine
    const smName = name();
    // Same namespace as the gateway's other custom metrics (routing integrity).
    const namespace = gatewayMetricNamespace(customer.name);
    const smArn = `arn:${props.partition}:states:${customer.region}:${props.accountId}:stateMachine:${smName}`;
    const logGroup = new CloudwatchLogGroup(this, "workflow-logs", {
      name: `/aws/vendedlogs/states/${smName}`,
      retentionInDays: customer.logRetentionDays,
      kmsKeyId: ctx.kmsKeyArn,
    });
    const role = new IamRole(this, "workflow-role", {
      name: `${smName}-sfn`.slice(0, 64),
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "states.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": props.accountId }, ArnLike: { "aws:SourceArn": smArn } },
          },
        ],
      }),
    });
    new IamRolePolicy(this, "workflow-policy", {
      role: role.id,
      policy: policyDocument(
        workflowStatements(ctx, props, {
          namespace,
          formatArn: format.function.arn,
          smArn,
          tables: this.tables,
          enrich,
          connections,
        }),
      ),
    });
    this.stateMachine = new SfnStateMachine(this, "workflow", {
      name: smName,
      type: "STANDARD",
      roleArn: role.arn,
      definition: JSON.stringify(
        transactionDefinition({
          formatFunctionArn: format.function.arn,
          eventBusName: ctx.eventBus.name,
          eventSource: EVENT_SOURCE,
          metricsNamespace: namespace,
          enrich,
        }),
      ),
      // Execution data stays out of the logs: it is the partner's business document.
      loggingConfiguration: { logDestination: `${logGroup.arn}:*`, includeExecutionData: false, level: "ALL" },
      tracingConfiguration: { enabled: true },
    });

    const start = new GatewayFunction(this, "start", {
      ...fnBase,
      entry: START_HANDLER_ENTRY,
      functionName: name("start"),
      description: `Starts one workflow execution per transaction of ${customer.name}`,
      environment: { STATE_MACHINE_ARN: smArn, POWERTOOLS_SERVICE_NAME: "as2-pipeline-start" },
      statements: [
        consume(this.transactionQueue.arn),
        { sid: "Start", actions: ["states:StartExecution"], resources: [smArn] },
        key,
      ],
      timeoutSeconds: START_FUNCTION_TIMEOUT_SECONDS,
    });
    this.functions = { split, start, format };
    new TransactionDashboard(this, "visibility", {
      dashboardName: name(),
      region: customer.region,
      namespace,
      partners: [...new Set(opted.map((o) => o.partner))],
      splitLogGroupName: split.logGroup.name,
      stateMachineArn: smArn,
      deadLetterQueueNames: this.deadLetters.map((d) => d.queue.name),
    });

    for (const [id, queue, fn, batchSize] of [
      ["split-mapping", this.splitQueue, split, 1],
      ["start-mapping", this.transactionQueue, start, 10],
    ] as const)
      new LambdaEventSourceMapping(this, id, {
        eventSourceArn: queue.arn,
        functionName: fn.function.arn,
        batchSize,
        functionResponseTypes: ["ReportBatchItemFailures"],
      });
  }

  private deadLetter(
    id: string,
    queueName: string,
    props: TransactionPipelineProps,
    extra: { description: string; senders?: { service: string; sourceArns: string[] }[] },
  ): DeadLetterQueue {
    const dlq = new DeadLetterQueue(this, id, {
      queueName: queueName.slice(0, 80),
      kmsKeyArn: props.context.kmsKeyArn,
      alarmTopicArn: props.context.alarmTopicArn,
      ...extra,
    });
    this.deadLetters.push(dlq);
    return dlq;
  }

  private queue(id: string, queueName: string, dlq: DeadLetterQueue, visibilityTimeoutSeconds: number): SqsQueue {
    return new SqsQueue(this, id, {
      name: queueName.slice(0, 80),
      kmsMasterKeyId: dlq.queue.kmsMasterKeyId,
      kmsDataKeyReusePeriodSeconds: 300,
      visibilityTimeoutSeconds,
      messageRetentionSeconds: 4 * 24 * 3600,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.queue.arn,
        maxReceiveCount: TRANSACTION_MAX_RECEIVE_COUNT,
      }),
    });
  }
}

/** Exactly what the workflow does, on exactly the resources it does it to. */
function workflowStatements(
  ctx: GatewayContext,
  props: TransactionPipelineProps,
  r: {
    namespace: string;
    formatArn: string;
    smArn: string;
    tables: readonly TransactionTable[];
    enrich: readonly EnrichTarget[];
    connections: readonly CloudwatchEventConnection[];
  },
): PolicyStatement[] {
  const region = ctx.customer.region;
  const viaServices = {
    StringEquals: { "kms:ViaService": [`dynamodb.${region}.amazonaws.com`, `events.${region}.amazonaws.com`] },
  };
  return [
    { sid: "Format", actions: ["lambda:InvokeFunction"], resources: [r.formatArn, `${r.formatArn}:*`] },
    { sid: "Store", actions: ["dynamodb:PutItem"], resources: r.tables.map((t) => t.table.arn) },
    { sid: "Publish", actions: ["events:PutEvents"], resources: [ctx.eventBus.arn] },
    {
      sid: "Key",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [ctx.kmsKeyArn],
      conditions: viaServices,
    },
    ...(r.enrich.length
      ? [
          {
            sid: "Enrich",
            actions: ["states:InvokeHTTPEndpoint"],
            resources: [r.smArn],
            conditions: {
              StringEquals: { "states:HTTPMethod": "POST" },
              StringLike: { "states:HTTPEndpoint": r.enrich.map((e) => `${e.url}*`) },
            },
          },
          {
            sid: "EnrichConnections",
            actions: ["events:RetrieveConnectionCredentials"],
            resources: r.connections.map((c) => c.arn),
          },
          {
            sid: "EnrichConnectionSecrets",
            actions: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resources: [
              `arn:${props.partition}:secretsmanager:${region}:${props.accountId}:secret:events!connection/*`,
            ],
          },
        ]
      : []),
    {
      sid: "ExecutionLogs",
      actions: [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
      ],
      resources: ["*"],
    },
    // PutMetricData has no resource-level permissions; the namespace condition scopes it.
    {
      sid: "PartnerCounts",
      actions: ["cloudwatch:PutMetricData"],
      resources: ["*"],
      conditions: { StringEquals: { "cloudwatch:namespace": r.namespace } },
    },
    {
      sid: "Tracing",
      actions: [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
      ],
      resources: ["*"],
    },
  ];
}
