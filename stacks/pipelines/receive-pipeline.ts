/**
 * The receive pipeline of one customer: Transfer's inbound AS2 events (default bus, filtered by
 * this customer's agreement ids) → an encrypted SQS queue (redrive to an alarmed dead-letter
 * queue) → the receive Lambda (handlers/receive/handler.ts), which reports failures per message.
 * Its role reaches the inbound base directories, the inbox/ and failed/ folders of the layout,
 * the routing document, the state table, the bus and the key, and nothing else.
 */
import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { INBOUND_WORK_ROOT, stationFolderPattern } from "../../model/layout";
import { inboundEventPattern } from "../../model/inbound-events";
import type { GatewayContext } from "../platform/context";
import { DeadLetterQueue } from "../platform/dlq-alarm";
import { physicalName } from "../events/event-names";
import { GatewayFunction, type PolicyStatement } from "./gateway-function";

/** Agreement ids per rule: EventBridge patterns are capped at 2048 characters by default. */
export const AGREEMENTS_PER_RULE = 50;
/** Receives before a message goes to the dead-letter queue. */
export const RECEIVE_MAX_RECEIVE_COUNT = 5;
export const RECEIVE_FUNCTION_TIMEOUT_SECONDS = 120;
/** AWS's advice for SQS-triggered functions: at least six times the function timeout. */
export const RECEIVE_VISIBILITY_TIMEOUT_SECONDS = 6 * RECEIVE_FUNCTION_TIMEOUT_SECONDS;
export const RECEIVE_HANDLER_ENTRY = "handlers/receive/handler.ts";

export class ReceivePipeline extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetter: DeadLetterQueue;
  readonly rules: CloudwatchEventRule[] = [];
  readonly function: GatewayFunction;
  readonly mapping: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, ctx: GatewayContext) {
    super(scope, id);
    const { customer } = ctx;
    const base = ["as2", customer.name, "receive"];
    const agreementIds = ctx.transfer.partners.map((p) => p.agreementId);
    const chunks: string[][] = [];
    for (let i = 0; i < agreementIds.length; i += AGREEMENTS_PER_RULE)
      chunks.push(agreementIds.slice(i, i + AGREEMENTS_PER_RULE));
    chunks.forEach((ids, i) => {
      this.rules.push(
        new CloudwatchEventRule(this, chunks.length === 1 ? "rule" : `rule-${i}`, {
          name: physicalName(chunks.length === 1 ? base : [...base, String(i)]),
          description: `AS2 messages received by ${customer.name} (Transfer Family inbound events of its agreements) to the receive queue`,
          // Transfer publishes on the account's default bus.
          eventPattern: JSON.stringify(inboundEventPattern(ids)),
        }),
      );
    });
    if (this.rules.length === 0) {
      Annotations.of(this).addWarning(
        `customer ${customer.name} has no agreements: nothing can be received, so no rule subscribes to Transfer's events`,
      );
    }

    this.deadLetter = new DeadLetterQueue(this, "dlq", {
      queueName: physicalName([...base, "dlq"], 80),
      kmsKeyArn: ctx.kmsKeyArn,
      alarmTopicArn: ctx.alarmTopicArn,
      description: `Received AS2 messages of ${customer.name} that could not be moved to inbox/ or failed/ after ${RECEIVE_MAX_RECEIVE_COUNT} attempts (the Transfer event is kept; the payload stays in the agreement base directory). Check the receive function's logs, fix the cause, then redrive.`,
      senders: this.rules.length ? [{ service: "events.amazonaws.com", sourceArns: this.rules.map((r) => r.arn) }] : [],
    });

    this.queue = new SqsQueue(this, "queue", {
      name: physicalName(base, 80),
      kmsMasterKeyId: ctx.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      visibilityTimeoutSeconds: RECEIVE_VISIBILITY_TIMEOUT_SECONDS,
      messageRetentionSeconds: 4 * 24 * 3600,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetter.queue.arn,
        maxReceiveCount: RECEIVE_MAX_RECEIVE_COUNT,
      }),
    });
    if (this.rules.length) {
      new SqsQueuePolicy(this, "queue-policy", {
        queueUrl: this.queue.url,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "TransferEventsOfThisCustomer",
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: this.queue.arn,
              Condition: { ArnEquals: { "aws:SourceArn": this.rules.map((r) => r.arn) } },
            },
          ],
        }),
      });
    }
    this.rules.forEach((rule, i) => {
      new CloudwatchEventTarget(this, this.rules.length === 1 ? "target" : `target-${i}`, {
        rule: rule.name,
        targetId: "receive-queue",
        arn: this.queue.arn,
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 24 * 3600 },
        deadLetterConfig: { arn: this.deadLetter.queue.arn },
      });
    });

    this.function = new GatewayFunction(this, "function", {
      entry: RECEIVE_HANDLER_ENTRY,
      functionName: physicalName(base),
      description: `Routes AS2 messages received by ${customer.name} to inbox/ and failed/`,
      environment: { ...receiveEnvironment(ctx), POWERTOOLS_SERVICE_NAME: "as2-receive" },
      statements: receiveStatements(ctx, this.queue.arn),
      logRetentionDays: customer.logRetentionDays,
      kmsKeyArn: ctx.kmsKeyArn,
      timeoutSeconds: RECEIVE_FUNCTION_TIMEOUT_SECONDS,
      memoryMb: 512,
    });

    this.mapping = new LambdaEventSourceMapping(this, "mapping", {
      eventSourceArn: this.queue.arn,
      functionName: this.function.function.arn,
      batchSize: 10,
      maximumBatchingWindowInSeconds: 1,
      functionResponseTypes: ["ReportBatchItemFailures"],
    });
  }
}

/** What the receive path reads from its environment (the receive function and the receive reconciler). */
export function receiveEnvironment(ctx: GatewayContext): Record<string, string> {
  return {
    BUCKET: ctx.bucket.name,
    EVENT_BUS_NAME: ctx.eventBus.name,
    STATE_TABLE: ctx.stateTable.name,
    ROUTING_BUCKET: ctx.bucket.name,
    ROUTING_KEY: ctx.routing.key,
    ROUTING_ETAG: ctx.routing.etag,
  };
}

/** Exactly what the receive function does, on exactly the resources it does it to. */
export function receiveStatements(ctx: GatewayContext, queueArn: string): PolicyStatement[] {
  return [
    {
      sid: "ReceiveQueue",
      actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
      resources: [queueArn],
    },
    ...receiveRoutingStatements(ctx),
  ];
}

/** Routing a received message (processTransferEvent, resumeRouting), wherever its event comes from. */
export function receiveRoutingStatements(ctx: GatewayContext): PolicyStatement[] {
  const bucketArn = ctx.bucket.arn;
  const layout = ctx.customer.layout;
  const stations = ctx.customer.stations.map((s) => s.as2Id);
  const routedPrefixes = stations.flatMap((st) =>
    (["inbox", "failed"] as const).map((folder) => `${bucketArn}/${stationFolderPattern(layout, st, folder)}`),
  );
  return [
    // Move received files out of the agreement base directories (read, then delete after a verified copy).
    // The moves name the exact version on the versioned bucket (HEAD, copy source and DELETE with a
    // versionId), which S3 authorizes as s3:GetObjectVersion / s3:DeleteObjectVersion, not as
    // s3:GetObject / s3:DeleteObject (S3 API reference, GetObject `versionId`: "you must have the
    // s3:GetObjectVersion permission to access a specific version of an object").
    {
      sid: "InboundBaseDirectories",
      actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"],
      resources: [`${bucketArn}/${INBOUND_WORK_ROOT}*`],
    },
    // Write payloads, MDNs and records; read them back to verify copies and find free names.
    { sid: "InboxAndFailedFolders", actions: ["s3:GetObject", "s3:PutObject"], resources: routedPrefixes },
    { sid: "RoutingDocument", actions: ["s3:GetObject"], resources: [`${bucketArn}/${ctx.routing.key}`] },
    // Without ListBucket, S3 answers 403 instead of 404 for a missing key, and "is this name free?" cannot be asked.
    { sid: "MissingKeysAre404", actions: ["s3:ListBucket"], resources: [bucketArn] },
    {
      sid: "MessageIndex",
      actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      resources: [ctx.stateTable.arn],
    },
    { sid: "DomainEvents", actions: ["events:PutEvents"], resources: [ctx.eventBus.arn] },
    { sid: "Key", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [ctx.kmsKeyArn] },
  ];
}
