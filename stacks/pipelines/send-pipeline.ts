/**
 * Send by upload: S3 "Object Created" under AS2/send/ → EventBridge → the send queue (delayed by
 * the settle time) → settle function (claim, stage, StartFileTransfer); Transfer's outbound
 * results → the results queue → result function (outbox/ or failed/, retries, domain events);
 * a schedule → sweep function (uploads whose event was lost). Every queue has a dead-letter
 * queue with an alarm; every function's role names exact prefixes, queues, the table and the bus.
 */
import { Construct } from "constructs";
import { Annotations } from "cdktf";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { dlqDepthAlarm } from "../platform/dlq-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { SEND_PREFIX, OUTBOUND_WORK_ROOT, routedFolderPattern } from "../../model/layout";
import type { GatewayContext } from "../platform/context";
import { GatewayFunction, VERSIONED_MOVE_SOURCE, type PolicyStatement } from "./gateway-function";
import { UnclassifiedFailureAlarm } from "./unclassified-failure-alarm";
import { Reconciler } from "./reconciler";

/** Transfer's outbound results the pipeline consumes. */
export const SEND_RESULT_DETAIL_TYPES = [
  "AS2 Payload Send Completed",
  "AS2 Payload Send Failed",
  "AS2 MDN Receive Completed",
  "AS2 MDN Receive Failed",
] as const;

/** Function timeouts; the send lease in handlers/send/transmit.ts (300 s) must stay longer. */
const HANDLER_TIMEOUT_SECONDS = 60;
const SWEEP_TIMEOUT_SECONDS = 120;
/** AWS's advice for SQS event sources: visibility timeout ≥ 6 × the function timeout. */
const VISIBILITY_TIMEOUT_SECONDS = 6 * HANDLER_TIMEOUT_SECONDS;
/** Deliveries before a message goes to its dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
const DLQ_RETENTION_SECONDS = 14 * 86400;

interface QueuePair {
  readonly queue: SqsQueue;
  readonly dlq: SqsQueue;
}

/** Connector ARNs a send function names one by one; more would pass IAM's inline policy size. */
export const MAX_LISTED_CONNECTORS = 60;
/** Connector ids per results rule: 50 ids of 19 characters keep a pattern well under 2048 characters. */
export const CONNECTORS_PER_RULE = 50;

export interface SendPipelineProps {
  /** Where the receive reconciler puts a received payload's lost Transfer event. */
  readonly receiveQueue: { readonly arn: string; readonly url: string };
}

export class SendPipeline extends Construct {
  readonly sendQueue: SqsQueue;
  readonly sendDlq: SqsQueue;
  readonly resultsQueue: SqsQueue;
  readonly resultsDlq: SqsQueue;
  /**
   * Dead letters of the sweep's schedule and asynchronous invocations. EventBridge deliveries that
   * fail go to the dead-letter queue of the queue they were meant for: one DLQ per source queue, so
   * a redrive puts every message back where it belongs.
   */
  readonly sweepDlq: SqsQueue;
  readonly settle: GatewayFunction;
  readonly result: GatewayFunction;
  readonly sweep: GatewayFunction;
  readonly uploadsRule: CloudwatchEventRule;
  /** One per CONNECTORS_PER_RULE connectors (event patterns are capped at 2048 characters). */
  readonly resultsRules: CloudwatchEventRule[];
  readonly sweepRule: CloudwatchEventRule;
  readonly reconciler: Reconciler;

  constructor(scope: Construct, id: string, ctx: GatewayContext, props: SendPipelineProps) {
    super(scope, id);
    const { customer } = ctx;
    const name = (suffix: string) => `as2-${customer.name}-send-${suffix}`;
    const kmsKeyId = ctx.kmsKeyArn;

    const pair = (suffix: string, delaySeconds: number): QueuePair => {
      const dlq = new SqsQueue(this, `${suffix}-dlq`, {
        name: name(`${suffix}-dlq`),
        kmsMasterKeyId: kmsKeyId,
        messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      });
      const queue = new SqsQueue(this, `${suffix}-queue`, {
        name: name(suffix),
        kmsMasterKeyId: kmsKeyId,
        delaySeconds,
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
        messageRetentionSeconds: 4 * 86400,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
      });
      return { queue, dlq };
    };
    const send = pair("uploads", customer.settle.fileSeconds);
    const results = pair("results", 0);
    this.sendQueue = send.queue;
    this.sendDlq = send.dlq;
    this.resultsQueue = results.queue;
    this.resultsDlq = results.dlq;
    this.sweepDlq = new SqsQueue(this, "sweep-dlq", {
      name: name("sweep-dlq"),
      kmsMasterKeyId: kmsKeyId,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    });

    // ------------------------------------------------------------------ EventBridge rules
    this.uploadsRule = new CloudwatchEventRule(this, "uploads-rule", {
      name: name("uploads"),
      description: `Uploads under ${SEND_PREFIX} of the gateway's bucket`,
      eventPattern: JSON.stringify({
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: { bucket: { name: [ctx.bucket.name] }, object: { key: [{ prefix: SEND_PREFIX }] } },
      }),
    });
    // Filter on detail.connector-id (DESIGN.md: not on resources). Before the Transfer resources
    // exist in the context, every connector of the account is matched; results the ledger does
    // not know are ignored by the handler. One rule per CONNECTORS_PER_RULE connectors: an event
    // pattern holds at most 2048 characters (EventBridge quotas, "Event pattern size").
    const connectorIds = ctx.transfer.partners.map((p) => p.connectorId);
    const idChunks: (readonly string[] | undefined)[] = [];
    for (let i = 0; i < connectorIds.length; i += CONNECTORS_PER_RULE)
      idChunks.push(connectorIds.slice(i, i + CONNECTORS_PER_RULE));
    if (idChunks.length === 0) idChunks.push(undefined);
    this.resultsRules = idChunks.map(
      (ids, i) =>
        new CloudwatchEventRule(this, idChunks.length === 1 ? "results-rule" : `results-rule-${i}`, {
          name: idChunks.length === 1 ? name("results") : name(`results-${i}`),
          description: "Transfer Family outbound AS2 results of this customer's connectors",
          eventPattern: JSON.stringify({
            source: ["aws.transfer"],
            "detail-type": [...SEND_RESULT_DETAIL_TYPES],
            detail: { "connector-id": ids ?? [{ exists: true }] },
          }),
        }),
    );
    const retryPolicy = { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 };
    new CloudwatchEventTarget(this, "uploads-target", {
      rule: this.uploadsRule.name,
      arn: send.queue.arn,
      retryPolicy,
      deadLetterConfig: { arn: send.dlq.arn },
    });
    this.resultsRules.forEach(
      (rule, i) =>
        new CloudwatchEventTarget(this, this.resultsRules.length === 1 ? "results-target" : `results-target-${i}`, {
          rule: rule.name,
          arn: results.queue.arn,
          retryPolicy,
          deadLetterConfig: { arn: results.dlq.arn },
        }),
    );
    this.queuePolicy("uploads-policy", send.queue, [this.uploadsRule.arn]);
    this.queuePolicy(
      "results-policy",
      results.queue,
      this.resultsRules.map((r) => r.arn),
    );

    // ------------------------------------------------------------------ functions
    const partition = new DataAwsPartition(this, "partition").partition;
    const account = new DataAwsCallerIdentity(this, "account").accountId;
    const region = new DataAwsRegion(this, "region").region;
    const obj = (keyPattern: string) => `${ctx.bucket.arn}/${keyPattern}`;
    const preset = customer.layout;
    const routed = [obj(routedFolderPattern(preset, "outbox")), obj(routedFolderPattern(preset, "failed"))];
    // Each connector by ARN while the list fits the role's inline policies (10,240 characters in
    // all, IAM quotas "Role policy size"); past that, every connector of the account, said aloud.
    const listed = ctx.transfer.partners.length > 0 && ctx.transfer.partners.length <= MAX_LISTED_CONNECTORS;
    const connectorArns = listed
      ? ctx.transfer.partners.map((p) => p.connectorArn)
      : [`arn:${partition}:transfer:${region}:${account}:connector/*`];
    if (ctx.transfer.partners.length > MAX_LISTED_CONNECTORS)
      Annotations.of(this).addWarning(
        `customer ${customer.name} has ${ctx.transfer.partners.length} connectors: more than ${MAX_LISTED_CONNECTORS} ARNs do not fit ` +
          "a role's inline policies (10,240 characters), so the send functions may call StartFileTransfer on any connector " +
          "of the account. Keep one customer per account at this size.",
      );

    const common: Record<string, string> = {
      BUCKET: ctx.bucket.name,
      SEND_QUEUE_URL: send.queue.url,
      EVENT_BUS_NAME: ctx.eventBus.name,
      STATE_TABLE: ctx.stateTable.name,
      ROUTING_BUCKET: ctx.bucket.name,
      ROUTING_KEY: ctx.routing.key,
      ROUTING_ETAG: ctx.routing.etag,
      POWERTOOLS_SERVICE_NAME: "as2-send",
    };
    const kms: PolicyStatement = {
      sid: "Kms",
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [ctx.kmsKeyArn],
    };
    const routingDoc: PolicyStatement = {
      sid: "RoutingDocument",
      actions: ["s3:GetObject"],
      resources: [obj(ctx.routing.key)],
    };
    const table: PolicyStatement = {
      sid: "Ledger",
      actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      resources: [ctx.stateTable.arn],
    };
    const enqueue: PolicyStatement = { sid: "SendQueue", actions: ["sqs:SendMessage"], resources: [send.queue.arn] };
    const consume = (q: SqsQueue): PolicyStatement => ({
      sid: "Consume",
      actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
      resources: [q.arn],
    });
    const publish: PolicyStatement = {
      sid: "DomainEvents",
      actions: ["events:PutEvents"],
      resources: [ctx.eventBus.arn],
    };
    const listSend: PolicyStatement = {
      sid: "ListUploads",
      actions: ["s3:ListBucket"],
      resources: [ctx.bucket.arn],
      conditions: { StringLike: { "s3:prefix": [`${SEND_PREFIX}*`] } },
    };
    // HeadObject of a missing key answers 403 instead of 404 without s3:ListBucket, and a prefix
    // condition does not apply to HeadObject: the functions that probe keys (event key decoding,
    // idempotent moves, outbox collisions) need it on the bucket. Listing reveals names, not content.
    const probe: PolicyStatement = { sid: "ProbeKeys", actions: ["s3:ListBucket"], resources: [ctx.bucket.arn] };

    this.settle = new GatewayFunction(this, "settle", {
      entry: "handlers/send/settle.ts",
      functionName: name("settle"),
      description: "Settles uploads under AS2/send/, claims them once, stages them and starts their AS2 transfer",
      // Files that fail before they are sent are handed to the result function (handlers/send/hand-off.ts).
      environment: { ...common, RESULTS_QUEUE_URL: results.queue.url },
      logRetentionDays: customer.logRetentionDays,
      kmsKeyArn: ctx.kmsKeyArn,
      timeoutSeconds: HANDLER_TIMEOUT_SECONDS,
      statements: [
        // Moves name the exact version (CopyObject `?versionId=`, DeleteObject VersionId), which
        // S3 authorizes as s3:GetObjectVersion / s3:DeleteObjectVersion (S3 API reference,
        // GetObject and DeleteObject "Permissions"); see receive-pipeline.ts.
        { sid: "Uploads", actions: VERSIONED_MOVE_SOURCE, resources: [obj(`${SEND_PREFIX}*`)] },
        probe,
        {
          sid: "Staging",
          actions: [...VERSIONED_MOVE_SOURCE, "s3:PutObject"],
          resources: [obj(`${OUTBOUND_WORK_ROOT}*`)],
        },
        { sid: "Routed", actions: ["s3:GetObject", "s3:PutObject"], resources: routed },
        routingDoc,
        kms,
        table,
        enqueue,
        consume(send.queue),
        { sid: "ResultsQueue", actions: ["sqs:SendMessage"], resources: [results.queue.arn] },
        { sid: "StartFileTransfer", actions: ["transfer:StartFileTransfer"], resources: connectorArns },
      ],
    });
    this.result = new GatewayFunction(this, "result", {
      entry: "handlers/send/result.ts",
      functionName: name("result"),
      description:
        "Moves sent payloads, MDNs and records to outbox/ or failed/, retries transient failures, publishes MESSAGE.SEND.*",
      environment: common,
      logRetentionDays: customer.logRetentionDays,
      kmsKeyArn: ctx.kmsKeyArn,
      timeoutSeconds: HANDLER_TIMEOUT_SECONDS,
      statements: [
        { sid: "Staging", actions: VERSIONED_MOVE_SOURCE, resources: [obj(`${OUTBOUND_WORK_ROOT}*`)] },
        probe,
        { sid: "Routed", actions: ["s3:GetObject", "s3:PutObject"], resources: routed },
        routingDoc,
        kms,
        table,
        enqueue,
        consume(results.queue),
        publish,
      ],
    });
    this.sweep = new GatewayFunction(this, "sweep", {
      entry: "handlers/send/sweep.ts",
      functionName: name("sweep"),
      description: "Re-queues uploads under AS2/send/ whose S3 event was lost",
      environment: common,
      logRetentionDays: customer.logRetentionDays,
      kmsKeyArn: ctx.kmsKeyArn,
      timeoutSeconds: SWEEP_TIMEOUT_SECONDS,
      deadLetterQueueArn: this.sweepDlq.arn,
      reservedConcurrency: 1,
      statements: [
        listSend,
        routingDoc,
        kms,
        { sid: "Ledger", actions: ["dynamodb:GetItem", "dynamodb:PutItem"], resources: [ctx.stateTable.arn] },
        enqueue,
      ],
    });

    const mapping = (id: string, fn: GatewayFunction, q: SqsQueue) =>
      new LambdaEventSourceMapping(this, id, {
        eventSourceArn: q.arn,
        functionName: fn.function.arn,
        batchSize: 10,
        maximumBatchingWindowInSeconds: 1,
        functionResponseTypes: ["ReportBatchItemFailures"],
      });
    mapping("settle-source", this.settle, send.queue);
    mapping("result-source", this.result, results.queue);

    // ------------------------------------------------------------------ sweep schedule
    const minutes = customer.send.sweepMinutes;
    this.sweepRule = new CloudwatchEventRule(this, "sweep-rule", {
      name: name("sweep"),
      description: "Periodic sweep of AS2/send/ for uploads whose event was lost",
      scheduleExpression: `rate(${minutes} ${minutes === 1 ? "minute" : "minutes"})`,
    });
    new CloudwatchEventTarget(this, "sweep-target", {
      rule: this.sweepRule.name,
      arn: this.sweep.function.arn,
      retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 3 },
      deadLetterConfig: { arn: this.sweepDlq.arn },
    });
    new LambdaPermission(this, "sweep-permission", {
      statementId: "AllowSweepSchedule",
      action: "lambda:InvokeFunction",
      functionName: this.sweep.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: this.sweepRule.arn,
    });
    // EventBridge puts undeliverable events into the dead-letter queue of their own target.
    this.queuePolicy("uploads-dlq-policy", send.dlq, [this.uploadsRule.arn]);
    this.queuePolicy(
      "results-dlq-policy",
      results.dlq,
      this.resultsRules.map((r) => r.arn),
    );
    this.queuePolicy("sweep-dlq-policy", this.sweepDlq, [this.sweepRule.arn]);

    this.reconciler = new Reconciler(this, "reconciler", ctx, {
      environment: common,
      sendQueueArn: send.queue.arn,
      resultsQueue: { arn: results.queue.arn, url: results.queue.url },
      receiveQueue: props.receiveQueue,
    });

    // ------------------------------------------------------------------ alarms
    for (const [id, q] of [
      ["uploads", send.dlq],
      ["results", results.dlq],
      ["sweep", this.sweepDlq],
    ] as const) {
      dlqDepthAlarm(this, `${id}-dlq-alarm`, {
        queueName: q.name,
        alarmName: name(`${id}-dlq-not-empty`),
        description: `Messages in ${id} dead-letter queue of the send pipeline: something was not sent or not reported; inspect and redrive`,
        alarmTopicArn: ctx.alarmTopicArn,
      });
    }
    new UnclassifiedFailureAlarm(this, "unclassified-failure", {
      customer: customer.name,
      logGroupNames: [this.result.logGroup.name, this.settle.logGroup.name],
      alarmTopicArn: ctx.alarmTopicArn,
    });
  }

  private queuePolicy(id: string, queue: SqsQueue, sourceArns: string[]): void {
    new SqsQueuePolicy(this, id, {
      queueUrl: queue.url,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "EventBridge",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": sourceArns } },
          },
        ],
      }),
    });
  }
}
