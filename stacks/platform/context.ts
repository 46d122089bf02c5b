/**
 * What the constructs of one customer stack share. The customer stack builds it step by step:
 * storage and messaging first, then Transfer resources, then the pipelines that use them.
 */
import type { Customer } from "../../model/customer";

export interface BucketRef {
  readonly name: string;
  readonly arn: string;
}

export interface PartnerResources {
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly connectorId: string;
  readonly connectorArn: string;
  readonly agreementId: string;
  readonly agreementArn: string;
}

export interface GatewayContext {
  readonly customer: Customer;
  /** The customer file, to resolve certificate paths. */
  readonly customerFile: string;
  readonly bucket: BucketRef;
  /** Customer-managed key that encrypts the bucket, queues, table and topic. */
  readonly kmsKeyArn: string;
  /** The gateway's DynamoDB table (claims, message index): see handlers/shared/ledger.ts. */
  readonly stateTable: { readonly name: string; readonly arn: string };
  /** The customer's bus for domain events. */
  readonly eventBus: { readonly name: string; readonly arn: string };
  /** Operators' notifications (failures, full dead-letter queues, expiring certificates). */
  readonly alarmTopicArn: string;
  /** The AS2 server and, per partner, its connector and agreement. */
  readonly transfer: {
    readonly serverId: string;
    readonly serverArn: string;
    readonly partners: readonly PartnerResources[];
  };
  /** Where the routing document lives and a value that changes whenever its content changes. */
  readonly routing: { readonly key: string; readonly etag: string };
}
