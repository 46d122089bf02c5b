/** What every receive step needs; built once per invocation by the handler, by tests directly. */
import type { S3Client } from "@aws-sdk/client-s3";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { Routing } from "../../model/routing-types";

export interface ReceiveContext {
  readonly s3: S3Client;
  readonly eventBridge: EventBridgeClient;
  /** The customer's bucket (BUCKET): inbound base directories, inbox/ and failed/. */
  readonly bucket: string;
  /** The customer's bus for domain events (EVENT_BUS_NAME). */
  readonly eventBusName: string;
  readonly routing: Routing;
  /** The clock leases are judged by (the reconciler passes its own; tests a later one). */
  readonly now: () => Date;
}
