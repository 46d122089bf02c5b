/**
 * Notifications for operators, all through the customer's alarm topic (stacks/events/messaging.ts):
 * - e-mail subscriptions from `customer.notifications.emails` (each address confirms once);
 * - one readable message per failed send or receive (a rule on the bus, input transformer);
 * - dead-letter queues that fill (stacks/platform/dlq-alarm.ts, used by every construct with a DLQ);
 */
import { Construct } from "constructs";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { Customer } from "../../model/customer";
import { EVENT_SOURCE, FAILURE_EVENT_TYPES } from "../../model/events";
import { DeadLetterQueue } from "../platform/dlq-alarm";
import { physicalName } from "./event-names";

/** The failure event pattern: both failure types of our source. */
export function failureEventPattern(): Record<string, unknown> {
  return { source: [EVENT_SOURCE], "detail-type": [...FAILURE_EVENT_TYPES] };
}

/**
 * The e-mail text of a failure. Each quoted string is one line; EventBridge escapes the values.
 * Only fields every failure event carries are used (a missing path would leave a gap).
 */
export const FAILURE_INPUT_PATHS: Record<string, string> = {
  eventType: "$.detail.eventType",
  customer: "$.detail.customer",
  station: "$.detail.stationId",
  partner: "$.detail.partnerId",
  test: "$.detail.test",
  messageId: "$.detail.messageId",
  at: "$.detail.timestamp",
  code: "$.detail.failureCode",
  reason: "$.detail.failureMessage",
};
export const FAILURE_INPUT_TEMPLATE = [
  `"AS2 gateway <customer>: <eventType>"`,
  `"Station <station>, partner <partner> (test partner: <test>)"`,
  `"Message <messageId> at <at>"`,
  `"Failure <code>: <reason>"`,
  `"The payload, its record (.json) and any MDN are in the failed/ folder of this station and partner."`,
].join("\n");

export interface NotificationsProps {
  readonly customer: Customer;
  readonly eventBusName: string;
  readonly alarmTopicArn: string;
  readonly kmsKeyArn: string;
}

// Like the other event-delivery constructs, the public fields list what it creates: a shape, not shared logic.
export class Notifications extends Construct {
  readonly subscriptions: readonly SnsTopicSubscription[];
  readonly failureRule: CloudwatchEventRule;
  readonly failureTarget: CloudwatchEventTarget;
  readonly deadLetter: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { customer } = props;
    // Duplicates would be one subscription twice in Terraform and fail at apply.
    const emails = [...new Set(customer.notifications.emails.map((e) => e.trim()))];
    this.subscriptions = emails.map(
      (email, i) =>
        new SnsTopicSubscription(this, `email-${i}`, {
          topicArn: props.alarmTopicArn,
          protocol: "email",
          endpoint: email,
        }),
    );

    this.failureRule = new CloudwatchEventRule(this, "failures", {
      name: physicalName(["as2", customer.name, "failures-to-alarms"]),
      description: "Failed sends and receives, as readable messages on the alarm topic",
      eventBusName: props.eventBusName,
      eventPattern: JSON.stringify(failureEventPattern()),
    });
    this.deadLetter = new DeadLetterQueue(this, "dlq", {
      queueName: physicalName(["as2", customer.name, "failure-notices-dlq"], 80),
      kmsKeyArn: props.kmsKeyArn,
      alarmTopicArn: props.alarmTopicArn,
      description:
        "Failure notices EventBridge could not publish to the alarm topic (check the topic and key policies). The failures themselves are in failed/ and in the archive.",
      senders: [{ service: "events.amazonaws.com", sourceArns: [this.failureRule.arn] }],
    });
    this.failureTarget = new CloudwatchEventTarget(this, "failures-target", {
      rule: this.failureRule.name,
      eventBusName: props.eventBusName,
      targetId: "alarm-topic",
      arn: props.alarmTopicArn,
      inputTransformer: { inputPaths: FAILURE_INPUT_PATHS, inputTemplate: FAILURE_INPUT_TEMPLATE },
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
      deadLetterConfig: { arn: this.deadLetter.queue.arn },
    });
  }
}
