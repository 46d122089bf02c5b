/**
 * The customer's event bus (domain events) and notification topic (operators), with the topic
 * policy that lets the services publishing to it do so from this account only:
 * EventBridge rules of the customer's bus (failure notifications) and CloudWatch alarms
 * (dead-letter queues, certificate expiry). Constructs that need another publisher call
 * `allowTopicPublish`.
 *
 * The topic is encrypted with the customer key: each service principal that publishes also needs
 * `kms:Decrypt` and `kms:GenerateDataKey*` in the key policy (stacks/platform/storage.ts grants events,
 * cloudwatch and sns).
 */
import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { Customer } from "../../model/customer";

export interface GatewayMessagingProps {
  readonly customer: Customer;
  readonly kmsKeyArn: string;
}

/** A service allowed to publish to the alarm topic, with the conditions that pin its source. */
export interface TopicPublisher {
  readonly sid: string;
  readonly service: string;
  readonly conditions: Record<string, Record<string, string | readonly string[]>>;
}

export class GatewayMessaging extends Construct {
  readonly bus: CloudwatchEventBus;
  readonly alarmTopic: SnsTopic;
  readonly accountId: string;
  readonly partition: string;
  private readonly publishers: TopicPublisher[] = [];

  constructor(scope: Construct, id: string, props: GatewayMessagingProps) {
    super(scope, id);
    const { customer } = props;
    this.accountId = new DataAwsCallerIdentity(this, "account").accountId;
    this.partition = new DataAwsPartition(this, "partition").partition;
    this.bus = new CloudwatchEventBus(this, "bus", { name: `as2-${customer.name}` });
    this.alarmTopic = new SnsTopic(this, "alarms", {
      name: `as2-${customer.name}-alarms`,
      kmsMasterKeyId: props.kmsKeyArn,
    });

    const arn = (service: string, resource: string) =>
      `arn:${this.partition}:${service}:${customer.region}:${this.accountId}:${resource}`;
    this.allowTopicPublish({
      sid: "EventBridgeRulesOfTheGatewayBus",
      service: "events.amazonaws.com",
      conditions: {
        StringEquals: { "aws:SourceAccount": this.accountId },
        ArnLike: { "aws:SourceArn": arn("events", `rule/${this.bus.name}/*`) },
      },
    });
    this.allowTopicPublish({
      sid: "CloudWatchAlarmsOfTheAccount",
      service: "cloudwatch.amazonaws.com",
      conditions: {
        StringEquals: { "aws:SourceAccount": this.accountId },
        ArnLike: { "aws:SourceArn": arn("cloudwatch", "alarm:*") },
      },
    });
    new SnsTopicPolicy(this, "alarms-policy", {
      arn: this.alarmTopic.arn,
      policy: Lazy.stringValue({ produce: () => this.topicPolicy() }),
    });
  }

  /** Lets another AWS service publish to the alarm topic (call before synth). */
  allowTopicPublish(publisher: TopicPublisher): void {
    this.publishers.push(publisher);
  }

  private topicPolicy(): string {
    return JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          // What SNS's default policy grants the owner; replacing the policy would otherwise drop it.
          Sid: "AccountOwner",
          Effect: "Allow",
          Principal: { AWS: `arn:${this.partition}:iam::${this.accountId}:root` },
          Action: [
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:AddPermission",
            "sns:RemovePermission",
            "sns:DeleteTopic",
            "sns:Subscribe",
            "sns:ListSubscriptionsByTopic",
            "sns:Publish",
          ],
          Resource: this.alarmTopic.arn,
        },
        ...this.publishers.map((p) => ({
          Sid: p.sid,
          Effect: "Allow",
          Principal: { Service: p.service },
          Action: "sns:Publish",
          Resource: this.alarmTopic.arn,
          Condition: p.conditions,
        })),
        {
          Sid: "TlsOnly",
          Effect: "Deny",
          Principal: "*",
          Action: "sns:Publish",
          Resource: this.alarmTopic.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
  }
}
