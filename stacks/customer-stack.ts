import { Construct } from "constructs";
import { Aspects, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { LoadedCustomer } from "../model/load";
import { stackName } from "../model/customer";
import type { GatewayContext } from "./platform/context";
import { GatewayStorage } from "./platform/storage";
import { GatewayMessaging } from "./events/messaging";
import { EventDelivery } from "./events/event-delivery";
import { StateTable } from "./pipelines/state-table";
import { ReceivePipeline } from "./pipelines/receive-pipeline";
import { configureStateBackend } from "./platform/backend";
import { TransferRoles } from "./transfer/transfer-iam";
import { As2Server } from "./transfer/as2-server";
import { TradingPartners } from "./transfer/trading-partners";
import { CertificateExpiryAlarm, routingCertificates } from "./transfer/certificates-expiry";
import { RoutingDocument } from "./pipelines/routing-document";
import { GatewayOutputs } from "./platform/outputs";
import { GuardRails } from "./guard-rails";
import { takeResolvedFragments } from "./guard-rails/rule";
import { toTerraformFromResolved } from "./platform/resolved-once";
import { disableTokenCreationStackTraces } from "./platform/token-stack-traces";
import { SendPipeline } from "./pipelines/send-pipeline";
import { SftpServer } from "./transfer/sftp-server";
import { GatewayDashboard } from "./platform/dashboard";
import { TransactionPipeline } from "./pipelines/transactions";
import { RestApi } from "./api/rest-api";

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

  /**
   * cdktf's prepareStack() resolves every element once more before synthesis, only so that
   * references to another stack can create their outputs. A customer stack never references
   * another stack, and that pass cost ~1/3 of synth at 1000 partners; the backend is all that is
   * left to prepare. test/stacks/prepare-stack.test.ts proves the output is byte-identical.
   */
  override prepareStack(): void {
    this.ensureBackendExists();
  }

  /** Writes the JSON from the fragments the guard rails resolved in this synth (stacks/platform/resolved-once.ts). */
  override toTerraform(): Record<string, unknown> {
    const resolved = takeResolvedFragments(this);
    return resolved ? toTerraformFromResolved(this, resolved) : (super.toTerraform() as Record<string, unknown>);
  }

  constructor(scope: Construct, props: CustomerStackProps) {
    const { customer, file } = props.loaded;
    super(scope, stackName(customer.name));
    disableTokenCreationStackTraces();
    new AwsProvider(this, "aws", {
      region: customer.region,
      defaultTags: [{ tags: { "as2-gateway:customer": customer.name, ...customer.tags } }],
    });
    configureStateBackend(this, customer);
    // Every synth checks the whole stack (stacks/guard-rails): errors fail it, quotas warn.
    Aspects.of(this).add(new GuardRails());

    const storage = new GatewayStorage(this, "storage", { customer });
    const messaging = new GatewayMessaging(this, "messaging", { customer, kmsKeyArn: storage.kmsKey.arn });
    const state = new StateTable(this, "state", { customerName: customer.name, kmsKeyArn: storage.kmsKey.arn });

    // Transfer resources: roles, the AS2 server, profiles, agreements and connectors.
    const roles = new TransferRoles(this, "transfer-roles", {
      customer,
      bucket: storage.bucket,
      kmsKeyArn: storage.kmsKey.arn,
      account: storage.account,
    });
    const as2 = new As2Server(this, "as2-server", {
      customer,
      loggingRoleArn: roles.loggingRoleArn,
      kmsKeyArn: storage.kmsKey.arn,
    });
    const tradingPartners = new TradingPartners(this, "trading-partners", {
      customer,
      customerFile: file,
      bucket: storage.bucket,
      serverId: as2.server.id,
      agreementRoleArn: roles.agreementRole.arn,
      connectorRoleArn: (p) => roles.connectorRoleArnFor(p),
      loggingRoleArn: (p) => roles.loggingRoleArnFor(p),
      kmsKeyArn: storage.kmsKey.arn,
      alarmTopicArn: messaging.alarmTopic.arn,
      asyncMdnUrl: as2.httpsUrl ?? as2.httpUrls[0]!,
    });
    if (customer.sftp)
      new SftpServer(this, "sftp", {
        customer: { ...customer, sftp: customer.sftp },
        bucket: storage.bucket,
        kmsKeyArn: storage.kmsKey.arn,
        account: storage.account,
      });
    // Each Transfer role trusts this customer's server, agreements and connectors only.
    roles.trustResources({ id: as2.server.id, arn: as2.server.arn }, tradingPartners.resources());
    const transfer = { serverId: as2.server.id, serverArn: as2.server.arn, partners: tradingPartners.resources() };
    // Routing document: written from the model and the resource ids.
    const routingDocument = new RoutingDocument(this, "routing", {
      customer,
      bucket: storage.bucket,
      kmsKeyArn: storage.kmsKey.arn,
      partners: transfer.partners,
      certificates: routingCertificates(tradingPartners),
      alarmTopicArn: messaging.alarmTopic.arn,
      // The bucket policy names the deployer among the writers of _gateway/: apply it first.
      dependsOn: storage.bucketPolicy ? [storage.bucketPolicy] : [],
    });
    const routing = { key: routingDocument.key, etag: routingDocument.etag };
    new CertificateExpiryAlarm(this, "certificate-expiry", {
      customerName: customer.name,
      alarmTopicArn: messaging.alarmTopic.arn,
    });
    new GatewayOutputs(this, "outputs", {
      server: as2,
      tradingPartners,
      bucket: storage.bucket,
      kmsKeyArn: storage.kmsKey.arn,
    });

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
    // The receive queue first: the receive reconciler (in the send pipeline's reconciler construct) puts lost events on it.
    const receive = new ReceivePipeline(this, "receive", this.context);
    new SendPipeline(this, "send", this.context, { receiveQueue: receive.queue });
    // Transaction pipeline (issue 16): only for customers with partners that opted in.
    TransactionPipeline.create(this, "transactions", {
      context: this.context,
      accountId: messaging.accountId,
      partition: messaging.partition,
      dependsOn: storage.bucketPolicy ? [storage.bucketPolicy] : [],
    });
    // REST API (issue 15): only for customers that declare `api`.
    if (customer.api) new RestApi(this, "api", { context: this.context, api: customer.api });
    new EventDelivery(this, "events", {
      context: this.context,
      accountId: messaging.accountId,
      partition: messaging.partition,
    });
    // Last: it shows the queues and certificates the stack alarms on.
    new GatewayDashboard(this, "dashboard", { customer, region: customer.region, alarmsIn: this });
  }
}
