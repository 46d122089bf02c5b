/**
 * Dead-letter queues that somebody notices: a KMS-encrypted SQS queue kept 14 days, a queue policy
 * letting only the named AWS services send from the named sources, and an alarm to the operators'
 * topic as soon as one message is in it. Every async path of the gateway ends in one of these.
 *
 * Use `DeadLetterQueue` for a new queue, or `dlqDepthAlarm` to watch a queue created elsewhere.
 */
import { Construct } from "constructs";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";

/** Tag that marks a queue as a dead-letter queue (the guard rails exempt it from needing a redrive). */
export const DEAD_LETTER_TAG = { "as2-gateway:queue-role": "dead-letter" } as const;

/** SQS keeps a message at most 14 days: the time operators have to redrive it. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

export interface DlqDepthAlarmProps {
  /** Name of the queue to watch (the CloudWatch dimension `QueueName`). */
  readonly queueName: string;
  readonly alarmTopicArn: string;
  /** What lands in the queue and what to do about it; shown in the notification. */
  readonly description: string;
  /** @default `<queueName>-not-empty` */
  readonly alarmName?: string;
}

/**
 * Ages of the oldest message at which a dead-letter queue that is still not empty notifies again:
 * a CloudWatch alarm notifies only when its state changes, so one alarm per age turns "still not
 * empty" into reminders (SQS `ApproximateAgeOfOldestMessage`; for a dead-letter queue it is the
 * longest time a message has been in it: SQS developer guide, "Setting-up dead-letter queue
 * retention").
 */
export const DLQ_REMINDER_AGES_SECONDS = [3600, 86400, 7 * 86400] as const;

/**
 * Alarm when a queue holds at least one visible message (1-minute maximum), and reminders while it
 * stays that way (after 1 hour, 1 day and 7 days of its oldest message). Notifies again when it is
 * empty, so operators know a redrive worked.
 */
export function dlqDepthAlarm(scope: Construct, id: string, props: DlqDepthAlarmProps): CloudwatchMetricAlarm {
  const name = props.alarmName ?? `${props.queueName}-not-empty`;
  const depth = depthAlarm(scope, id, props, name);
  for (const age of DLQ_REMINDER_AGES_SECONDS) {
    const label = age >= 86400 ? `${age / 86400}d` : `${age / 3600}h`;
    // The id sorts after the depth alarm's, so listings show the depth alarm first.
    new CloudwatchMetricAlarm(scope, `${id}reminder${label}`, {
      alarmName: `${name}-for-${label}`,
      alarmDescription: `Still not empty after ${label}: ${props.description}`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: props.queueName },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: age,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [props.alarmTopicArn],
    });
  }
  return depth;
}

function depthAlarm(scope: Construct, id: string, props: DlqDepthAlarmProps, name: string): CloudwatchMetricAlarm {
  return new CloudwatchMetricAlarm(scope, id, {
    alarmName: name,
    alarmDescription: props.description,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: props.queueName },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    alarmActions: [props.alarmTopicArn],
    okActions: [props.alarmTopicArn],
  });
}

export interface DeadLetterSender {
  /** Service principal, e.g. `events.amazonaws.com`. */
  readonly service: string;
  /** Resources allowed to send (`aws:SourceArn`), e.g. the rule whose target uses this queue. */
  readonly sourceArns: readonly string[];
}

export interface DeadLetterQueueProps {
  /** Queue name; end it with `-dlq` so people recognise it. */
  readonly queueName: string;
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
  /** What lands here and what to do about it (alarm description). */
  readonly description: string;
  /**
   * AWS services that write to the queue directly (EventBridge targets, SNS subscriptions).
   * Lambda and SQS redrives write with the role of the function or the queue and need none.
   * @default none
   */
  readonly senders?: readonly DeadLetterSender[];
}

export class DeadLetterQueue extends Construct {
  readonly queue: SqsQueue;
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(props.queueName)) {
      throw new Error(`dead-letter queue name '${props.queueName}' must be 1-80 letters, digits, '-' or '_'`);
    }
    this.queue = new SqsQueue(this, "queue", {
      name: props.queueName,
      kmsMasterKeyId: props.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      tags: { ...DEAD_LETTER_TAG },
    });
    const senders = props.senders ?? [];
    if (senders.length > 0) {
      new SqsQueuePolicy(this, "policy", {
        queueUrl: this.queue.url,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: senders.map((s, i) => ({
            Sid: `Send${i}`,
            Effect: "Allow",
            Principal: { Service: s.service },
            Action: "sqs:SendMessage",
            Resource: this.queue.arn,
            Condition: { ArnEquals: { "aws:SourceArn": [...s.sourceArns] } },
          })),
        }),
      });
    }
    this.alarm = dlqDepthAlarm(this, "alarm", {
      queueName: props.queueName,
      alarmTopicArn: props.alarmTopicArn,
      description: props.description,
    });
  }
}
