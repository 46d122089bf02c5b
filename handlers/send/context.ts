/** Everything one invocation of a send handler works with, built once per invocation. */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { TransferClient } from "@aws-sdk/client-transfer";
import type { Routing } from "../../model/routing-types";
import { s3Client } from "../shared/clients";
import { eventBridgeClient } from "../shared/domain-events";
import { now as clock } from "../shared/clock";
import { loadRouting } from "../shared/routing-loader";
import { sendConfig } from "./config";
import { sqsClient, transferClient } from "./clients";
import type { OutcomeContext } from "./outcome";

export interface SendContext extends OutcomeContext {
  readonly sqs: SQSClient;
  readonly transfer: TransferClient;
  readonly routing: Routing;
  readonly sendQueueUrl: string;
}

// The clock is shared with the receive reconciler (handlers/shared/clock.ts); re-exported for the tests.
export { setClock, resetClock } from "../shared/clock";

async function buildContext(): Promise<Omit<SendContext, "transfer">> {
  const cfg = sendConfig();
  const s3 = s3Client();
  const routing = await loadRouting(s3, clock().getTime());
  return {
    s3,
    eventBridge: eventBridgeClient(),
    sqs: sqsClient(),
    routing,
    bucket: cfg.bucket,
    eventBus: cfg.eventBus,
    sendQueueUrl: cfg.sendQueueUrl,
    customer: routing.doc.customer,
    preset: routing.doc.layout,
    now: () => clock(),
  };
}

/** For the handlers that start transfers (settle, reconcile). */
export async function sendContext(): Promise<SendContext> {
  return { ...(await buildContext()), transfer: transferClient() };
}

/**
 * For the handlers that never start a transfer (result, sweep): nothing here refers to the
 * Transfer client, so esbuild leaves it out of their bundles (the SDK packages are side-effect free).
 */
export async function sendContextWithoutTransfer(): Promise<SendContext> {
  return {
    ...(await buildContext()),
    get transfer(): TransferClient {
      throw new Error("this handler does not start transfers: use sendContext() to get a Transfer client");
    },
  };
}
