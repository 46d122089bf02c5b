/**
 * The reconciler (handlers/send/reconcile.ts) on a schedule: finishes staged-not-sent claims, sent
 * files whose result never came (from Transfer's status files, or NO_RESULT_FROM_TRANSFER after
 * 24 h) and received payloads left in the agreement base directories. Alarms on the age of the
 * oldest open work (send and receive) that it publishes; its schedule's failed invocations go to
 * its own dead-letter queue (alarmed).
 */
import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { INBOUND_WORK_ROOT, OUTBOUND_WORK_ROOT, SEND_PREFIX, routedFolderPattern } from "../../model/layout";
import { OLDEST_OPEN_WORK_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import type { GatewayContext } from "../platform/context";
import { DeadLetterQueue } from "../platform/dlq-alarm";
import { GatewayFunction, VERSIONED_MOVE_SOURCE } from "./gateway-function";

/** How often the reconciler runs. */
export const RECONCILE_EVERY_MINUTES = 5;
/**
 * Oldest open work that raises an alarm: past the reconciler's grace (15 min) plus two runs, work
 * that is still open is stuck (a result 24 h late, a payload the reconciler cannot route).
 */
export const OPEN_WORK_ALARM_SECONDS = 3600;

export interface ReconcilerProps {
  readonly environment: Record<string, string>;
  readonly sendQueueArn: string;
  readonly connectorArns: readonly string[];
}

export class Reconciler extends Construct {
  readonly function: GatewayFunction;
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
      description: `Reconciler runs of ${customer.name} that failed after retries: open work is not being finished. Check the reconciler's logs.`,
      senders: [{ service: "events.amazonaws.com", sourceArns: [this.rule.arn] }],
    });
    this.function = new GatewayFunction(this, "function", {
      entry: "handlers/send/reconcile.ts",
      functionName: name,
      description:
        "Resumes staged sends, finishes sends from Transfer's status files, routes received payloads left behind",
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: "as2-reconciler" },
      logRetentionDays: customer.logRetentionDays,
      kmsKeyArn: ctx.kmsKeyArn,
      timeoutSeconds: 300,
      deadLetterQueueArn: this.deadLetter.queue.arn,
      reservedConcurrency: 1,
      statements: [
        // Version-exact moves (a versionId on HEAD, copy source and DELETE) are authorized as the
        // *Version actions (S3 API reference, GetObject `versionId`); see receive-pipeline.ts.
        {
          sid: "WorkingPaths",
          actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
          resources: [obj(`${OUTBOUND_WORK_ROOT}*`), obj(`${INBOUND_WORK_ROOT}*`)],
        },
        { sid: "Uploads", actions: [...VERSIONED_MOVE_SOURCE], resources: [obj(`${SEND_PREFIX}*`)] },
        {
          sid: "Routed",
          actions: ["s3:GetObject", "s3:PutObject"],
          resources: (["inbox", "outbox", "failed"] as const).map((f) => obj(routedFolderPattern(preset, f))),
        },
        { sid: "ListAndProbe", actions: ["s3:ListBucket"], resources: [ctx.bucket.arn] },
        { sid: "RoutingDocument", actions: ["s3:GetObject"], resources: [obj(ctx.routing.key)] },
        { sid: "Kms", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [ctx.kmsKeyArn] },
        {
          sid: "Ledger",
          actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
          resources: [ctx.stateTable.arn, `${ctx.stateTable.arn}/index/*`],
        },
        { sid: "SendQueue", actions: ["sqs:SendMessage"], resources: [props.sendQueueArn] },
        { sid: "DomainEvents", actions: ["events:PutEvents"], resources: [ctx.eventBus.arn] },
        { sid: "StartFileTransfer", actions: ["transfer:StartFileTransfer"], resources: [...props.connectorArns] },
      ],
    });
    new CloudwatchEventTarget(this, "target", {
      rule: this.rule.name,
      arn: this.function.function.arn,
      retryPolicy: { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 3 },
      deadLetterConfig: { arn: this.deadLetter.queue.arn },
    });
    new LambdaPermission(this, "permission", {
      statementId: "AllowReconcilerSchedule",
      action: "lambda:InvokeFunction",
      functionName: this.function.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: this.rule.arn,
    });
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
