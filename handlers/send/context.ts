/** Everything one invocation of a send handler works with, built once per invocation. */
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { TransferClient } from "@aws-sdk/client-transfer";
import type { Routing } from "../../model/routing-types";
import { s3Client } from "../shared/clients";
import { eventBridgeClient } from "../shared/domain-events";
import { now as clock } from "../shared/clock";
import { loadRouting } from "../shared/routing-loader";
import { sendConfig } from "./config";
import { sqsClient, transferClient } from "./clients";
import { endingHere, type OutcomeContext } from "./outcome";
import { handOff, type Ending } from "./hand-off";

export interface SendContext extends OutcomeContext {
  readonly sqs: SQSClient;
  readonly transfer: TransferClient;
  readonly routing: Routing;
  readonly sendQueueUrl: string;
  /** How files that fail before they are sent end, and claims are reported (hand-off.ts). */
  readonly ending: Ending;
}

// The clock is shared with the receive reconciler (handlers/shared/clock.ts); re-exported for the tests.
export { setClock, resetClock } from "../shared/clock";

/** Everything but the clients and the ending, which differ per handler (what each bundles). */
async function buildContext(): Promise<Omit<SendContext, "transfer" | "eventBridge" | "ending">> {
  const cfg = sendConfig();
  const s3 = s3Client();
  const routing = await loadRouting(s3, clock().getTime());
  return {
    s3,
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

/** For the reconciler, which starts transfers and finishes any file itself. */
export async function sendContext(): Promise<SendContext> {
  const base = { ...(await buildContext()), eventBridge: eventBridgeClient(), transfer: transferClient() };
  return { ...base, ending: endingHere(base) };
}

/**
 * For the settle function: it starts transfers, and hands the files that fail before they are sent
 * to the result function (hand-off.ts). Nothing here refers to the EventBridge client or to
 * outcome.ts, so esbuild leaves both out of its bundle (issue #17).
 */
export async function settleContext(): Promise<SendContext> {
  const base = await buildContext();
  return {
    ...base,
    transfer: transferClient(),
    get eventBridge(): EventBridgeClient {
      throw new Error("the settle function publishes no events: it hands files off to the result function");
    },
    ending: handOff(base.sqs, base.now),
  };
}

/**
 * For the handlers that never start a transfer nor fail a file before it is sent (result, sweep):
 * nothing here refers to the Transfer client, so esbuild leaves it out of their bundles (the SDK
 * packages are side-effect free).
 */
export async function sendContextWithoutTransfer(): Promise<SendContext> {
  return {
    ...(await buildContext()),
    eventBridge: eventBridgeClient(),
    get transfer(): TransferClient {
      throw new Error("this handler does not start transfers: use sendContext() to get a Transfer client");
    },
    get ending(): Ending {
      throw new Error("this handler fails no file before it is sent: use sendContext() or settleContext()");
    },
  };
}
