import { Construct } from "constructs";
import { TerraformStack, LocalBackend } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { LoadedCustomer } from "../model/load";
import { stackName } from "../model/customer";
import { ROUTING_DOCUMENT_KEY } from "../model/layout";
import type { GatewayContext } from "./context";
import { GatewayStorage } from "./storage";
import { GatewayMessaging } from "./messaging";
import { EventDelivery } from "./event-delivery";
import { StateTable } from "./state-table";

export interface CustomerStackProps {
  /** The validated customer declaration and the file it came from. */
  readonly loaded: LoadedCustomer;
}

/**
 * One customer's whole gateway. Composes the constructs under stacks/ in dependency order:
 * storage and messaging, Transfer resources (server, profiles, agreements, connectors), the routing
 * document, then the send and receive pipelines and event delivery.
 */
export class CustomerStack extends TerraformStack {
  readonly context: GatewayContext;

  constructor(scope: Construct, props: CustomerStackProps) {
    const { customer, file } = props.loaded;
    super(scope, stackName(customer.name));
    new AwsProvider(this, "aws", {
      region: customer.region,
      defaultTags: [{ tags: { "as2-gateway:customer": customer.name, ...customer.tags } }],
    });
    new LocalBackend(this, { path: `terraform.${stackName(customer.name)}.tfstate` });

    const storage = new GatewayStorage(this, "storage", { customer });
    const messaging = new GatewayMessaging(this, "messaging", { customer, kmsKeyArn: storage.kmsKey.arn });
    const state = new StateTable(this, "state", { customerName: customer.name, kmsKeyArn: storage.kmsKey.arn });

    // Transfer resources (infrastructure issue): fills serverId and partners.
    const transfer = { serverId: "", serverArn: "", partners: [] };
    // Routing document (infrastructure issue): written from the model and the resource ids.
    const routing = { key: ROUTING_DOCUMENT_KEY, etag: "" };

    this.context = {
      customer,
      customerFile: file,
      bucket: storage.bucket,
      kmsKeyArn: storage.kmsKey.arn,
      stateTable: { name: state.table.name, arn: state.table.arn },
      eventBus: { name: messaging.bus.name, arn: messaging.bus.arn },
      alarmTopicArn: messaging.alarmTopic.arn,
      transfer,
      routing,
    };

    // Pipelines (send and receive issues) and event delivery (webhooks issue) plug in here:
    // new SendPipeline(this, "send", this.context);
    // new ReceivePipeline(this, "receive", this.context);
    new EventDelivery(this, "events", { context: this.context, accountId: messaging.accountId, partition: messaging.partition });
  }
}
