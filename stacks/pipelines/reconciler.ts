/**
 * The reconcilers on a schedule, one function per direction so that each bundles and may do only
 * what it runs. The send reconciler (handlers/send/reconcile.ts) queues staged-not-sent claims
 * again for settle and the results it finds in Transfer's status files for the result function,
 * fails sends with no result after 24 h (NO_RESULT_FROM_TRANSFER) and publishes the days to the
 * nearest certificate expiry; the receive reconciler (handlers/receive/reconcile.ts) finishes
 * received messages whose routing stopped and queues the lost events of payloads left in the base
 * directories for the receive function. One schedule invokes both; failed invocations of either go
 * to one dead-letter queue (alarmed). Alarms on the age of the oldest open work each publishes.
 */
import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { OUTBOUND_WORK_ROOT, SEND_PREFIX, routedFolderPattern } from "../../model/layout";
import { OLDEST_OPEN_WORK_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import type { GatewayContext } from "../platform/context";
import { DeadLetterQueue } from "../platform/dlq-alarm";
import { GatewayFunction, VERSIONED_MOVE_SOURCE, type PolicyStatement } from "./gateway-function";
import { receiveEnvironment, receiveRoutingStatements } from "./receive-pipeline";

/** How often the reconciler runs. */
export const RECONCILE_EVERY_MINUTES = 5;
/**
 * Oldest open work that raises an alarm: past the reconciler's grace (15 min) plus two runs, work
 * that is still open is stuck (a result 24 h late, a payload the reconciler cannot route).
 */
export const OPEN_WORK_ALARM_SECONDS = 3600;

export interface ReconcilerProps {
  /** The send functions' environment. */
  readonly environment: Record<string, string>;
  readonly sendQueueArn: string;
  /** Where a result the send reconciler finds in Transfer's status files goes, as its lost event. */
  readonly resultsQueue: { readonly arn: string; readonly url: string };
  /** Where a received payload's lost Transfer event goes, for the receive function. */
  readonly receiveQueue: { readonly arn: string; readonly url: string };
}

export class Reconciler extends Construct {
  readonly send: GatewayFunction;
  readonly receive: GatewayFunction;
  readonly rule: CloudwatchEventRule;
  readonly deadLetter: DeadLetterQueue;
  readonly ageAlarms: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, ctx: GatewayContext, props: ReconcilerProps) {
    super(scope, id);
    const { customer } = ctx;
    const name = `as2-${customer.name}-reconciler`;
    const obj = (k: string) => `${ctx.bucket.arn}/${k}`;
    const preset = customer.layout;
    this.rule = new CloudwatchEventRule(this, "schedule", {
      name,
      description: "Finishes open sends and receipts whose continuation or Transfer event never came",
      scheduleExpression: `rate(${RECONCILE_EVERY_MINUTES} minutes)`,
    });
    this.deadLetter = new DeadLetterQueue(this, "dlq", {
      queueName: `${name}-dlq`,
      kmsKeyArn: ctx.kmsKeyArn,
      alarmTopicArn: ctx.alarmTopicArn,
      description: `Reconciler runs of ${customer.name} that failed after retries: open work is not being finished. Check the send and receive reconcilers' logs.`,
      senders: [{ service: "events.amazonaws.com", sourceArns: [this.rule.arn] }],
    });
    // Both query the open-work index and record their run (UpdateItem of their own attributes).
    const ledger = (sid: string, actions: readonly string[]): PolicyStatement => ({
      sid,
      actions: [...new Set([...actions, "dynamodb:UpdateItem", "dynamodb:Query"])],
      resources: [ctx.stateTable.arn, `${ctx.stateTable.arn}/index/*`],
    });
    const scheduled = (direction: "send" | "receive", p: { entry: string; description: string }) => ({
      ...p,
      functionName: `as2-${customer.name}-${direction}-reconciler`,
      logRetentionDays: customer.logRetentionDays,
      kmsKeyArn: ctx.kmsKeyArn,
      timeoutSeconds: 300,
      deadLetterQueueArn: this.deadLetter.queue.arn,
      // One run at a time per direction: two runs would resume the same open work at once.
      reservedConcurrency: 1,
    });
    this.send = new GatewayFunction(this, "function", {
      ...scheduled("send", {
        entry: "handlers/send/reconcile.ts",
        description:
          "Re-queues stopped sends, results from Transfer's status files, fails sends with no result, publishes certificate expiry",
      }),
      environment: {
        ...props.environment,
        RESULTS_QUEUE_URL: props.resultsQueue.url,
        POWERTOOLS_SERVICE_NAME: "as2-reconciler-send",
      },
      statements: [
        // Version-exact moves (a versionId on HEAD, copy source and DELETE) are authorized as the
        // *Version actions (S3 API reference, GetObject `versionId`); see receive-pipeline.ts.
        {
          sid: "Staging",
          actions: [...VERSIONED_MOVE_SOURCE, "s3:PutObject"],
          resources: [obj(`${OUTBOUND_WORK_ROOT}*`)],
        },
        { sid: "Uploads", actions: [...VERSIONED_MOVE_SOURCE], resources: [obj(`${SEND_PREFIX}*`)] },
        {
          sid: "Routed",
          actions: ["s3:GetObject", "s3:PutObject"],
          resources: (["outbox", "failed"] as const).map((f) => obj(routedFolderPattern(preset, f))),
        },
        { sid: "ListAndProbe", actions: ["s3:ListBucket"], resources: [ctx.bucket.arn] },
        { sid: "RoutingDocument", actions: ["s3:GetObject"], resources: [obj(ctx.routing.key)] },
        { sid: "Kms", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [ctx.kmsKeyArn] },
        ledger("Ledger", ["dynamodb:GetItem", "dynamodb:PutItem"]),
        // Claims to resume go to the settle function, results found to the result function: this one
        // neither stages nor starts a transfer (no Transfer permission).
        {
          sid: "Queues",
          actions: ["sqs:SendMessage"],
          resources: [props.sendQueueArn, props.resultsQueue.arn],
        },
        { sid: "DomainEvents", actions: ["events:PutEvents"], resources: [ctx.eventBus.arn] },
      ],
    });
    this.receive = new GatewayFunction(this, "receive-function", {
      ...scheduled("receive", {
        entry: "handlers/receive/reconcile.ts",
        description: "Finishes received messages whose routing stopped, routes received payloads whose event was lost",
      }),
      environment: {
        ...receiveEnvironment(ctx),
        RECEIVE_QUEUE_URL: props.receiveQueue.url,
        POWERTOOLS_SERVICE_NAME: "as2-reconciler-receive",
      },
      // What the receive function does (it finishes stopped routing), plus the open-work query, and
      // the receive queue for the lost events it finds (instead of the receive function's own queue).
      statements: [
        ...receiveRoutingStatements(ctx).map((s) =>
          s.actions.some((a) => a.startsWith("dynamodb:")) ? ledger(s.sid ?? "Ledger", s.actions) : s,
        ),
        { sid: "ReceiveQueue", actions: ["sqs:SendMessage"], resources: [props.receiveQueue.arn] },
      ],
    });
    for (const [direction, fn] of [
      ["send", this.send],
      ["receive", this.receive],
    ] as const) {
      new CloudwatchEventTarget(this, direction === "send" ? "target" : `${direction}-target`, {
        rule: this.rule.name,
        arn: fn.function.arn,
        retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 3 },
        deadLetterConfig: { arn: this.deadLetter.queue.arn },
      });
      new LambdaPermission(this, direction === "send" ? "permission" : `${direction}-permission`, {
        statementId: "AllowReconcilerSchedule",
        action: "lambda:InvokeFunction",
        functionName: fn.function.functionName,
        principal: "events.amazonaws.com",
        sourceArn: this.rule.arn,
      });
    }
    this.ageAlarms = (["send", "receive"] as const).map(
      (direction) =>
        // A CloudWatch alarm's declaration has one shape everywhere; the values are what differ.
        new CloudwatchMetricAlarm(this, `${direction}-age-alarm`, {
          alarmName: `as2-${customer.name}-oldest-open-${direction}-work`,
          alarmDescription: `The oldest open ${direction} work of ${customer.name} is older than ${OPEN_WORK_ALARM_SECONDS / 60} minutes: run \`npm run gateway -- status ${customer.name}\` and see README "What happens when things go wrong".`,
          namespace: gatewayMetricNamespace(customer.name),
          metricName: OLDEST_OPEN_WORK_METRIC,
          dimensions: { Customer: customer.name, Direction: direction },
          statistic: "Maximum",
          period: RECONCILE_EVERY_MINUTES * 60,
          evaluationPeriods: 1,
          threshold: OPEN_WORK_ALARM_SECONDS,
          comparisonOperator: "GreaterThanThreshold",
          // No data means the reconciler is not running: that is a problem too.
          treatMissingData: "breaching",
          alarmActions: [ctx.alarmTopicArn],
          okActions: [ctx.alarmTopicArn],
        }),
    );
  }
}
