/** The customer's event bus (domain events) and notification topic (operators). */
import { Construct } from "constructs";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import type { Customer } from "../model/customer";

export interface GatewayMessagingProps {
  readonly customer: Customer;
  readonly kmsKeyArn: string;
}

export class GatewayMessaging extends Construct {
  readonly bus: CloudwatchEventBus;
  readonly alarmTopic: SnsTopic;

  constructor(scope: Construct, id: string, props: GatewayMessagingProps) {
    super(scope, id);
    this.bus = new CloudwatchEventBus(this, "bus", { name: `as2-${props.customer.name}` });
    this.alarmTopic = new SnsTopic(this, "alarms", { name: `as2-${props.customer.name}-alarms`, kmsMasterKeyId: props.kmsKeyArn });
  }
}
