/** Everything one invocation of a send handler works with, built once per invocation. */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { TransferClient } from "@aws-sdk/client-transfer";
import type { Routing } from "../../model/routing";
import { s3Client } from "../shared/clients";
import { eventBridgeClient } from "../shared/domain-events";
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

let clock: () => Date = () => new Date();

/** For tests: a controllable clock instead of real waits. */
export function setClock(fn: () => Date): void {
  clock = fn;
}
export function resetClock(): void {
  clock = () => new Date();
}

export async function sendContext(): Promise<SendContext> {
  const cfg = sendConfig();
  const s3 = s3Client();
  const routing = await loadRouting(s3, clock().getTime());
  return {
    s3,
    eventBridge: eventBridgeClient(),
    sqs: sqsClient(),
    transfer: transferClient(),
    routing,
    bucket: cfg.bucket,
    eventBus: cfg.eventBus,
    sendQueueUrl: cfg.sendQueueUrl,
    customer: routing.doc.customer,
    preset: routing.doc.layout,
    now: () => clock(),
  };
}
