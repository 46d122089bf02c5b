/**
 * Everything that carries domain events out of the gateway: webhooks (API destinations),
 * notifications (e-mail on the alarm topic) and the event archive (Firehose to S3).
 */
import { Construct } from "constructs";
import type { GatewayContext } from "../platform/context";
import { Webhooks } from "./webhooks";
import { Notifications } from "./notifications";
import { EventArchive } from "./event-archive";

export interface EventDeliveryProps {
  readonly context: GatewayContext;
  /** Account id and partition, as Terraform references (stacks/events/messaging.ts reads them). */
  readonly accountId: string;
  readonly partition: string;
}

export class EventDelivery extends Construct {
  readonly webhooks: Webhooks;
  readonly notifications: Notifications;
  /** Undefined when `archive.enabled` is false. */
  readonly archive?: EventArchive;

  constructor(scope: Construct, id: string, props: EventDeliveryProps) {
    super(scope, id);
    const { context, accountId, partition } = props;
    const common = {
      customer: context.customer,
      eventBusName: context.eventBus.name,
      kmsKeyArn: context.kmsKeyArn,
      alarmTopicArn: context.alarmTopicArn,
    };
    this.webhooks = new Webhooks(this, "webhooks", { ...common, accountId });
    this.notifications = new Notifications(this, "notifications", common);
    if (context.customer.archive.enabled) {
      this.archive = new EventArchive(this, "archive", { ...common, bucket: context.bucket, accountId, partition });
    }
  }
}
