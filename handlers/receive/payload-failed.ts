/**
 * `AS2 Payload Receive Failed`: whatever Transfer kept (the payload, if any) moves to
 * `failed/<timestamp>/` of the partner with a record whose `reason` holds the failure code and
 * message, and MESSAGE.RECEIVED.FAILED tells the user (handlers/receive/route-failure.ts).
 */
import type { TransferEvent } from "../shared/transfer-events";
import type { ReceiveContext } from "./context";
import { MessageInProgressError } from "./errors";
import { inboundFacts, itemFields } from "./inbound-facts";
import { getMessage, newLease, startRouting, type MessageItem } from "./message-index";
import type { ReceiveOutcome } from "./outcome";
import { routeFailure } from "./route-failure";
import { routeHeld, takeOver } from "./routing-lease";

export async function onPayloadFailed(ctx: ReceiveContext, ev: TransferEvent): Promise<ReceiveOutcome> {
  const f = inboundFacts(ctx, ev, { requireMessageId: false, requireFile: false });
  for (let attempt = 0; attempt < 3; attempt++) {
    const item = await getMessage(f.pk);
    if (!item || item.state === "pending") {
      const fields: Partial<MessageItem> = { ...itemFields(f), routingTo: "failed" };
      const now = ctx.now();
      const lease = newLease(now);
      if (await startRouting(f.pk, fields, { state: item ? "pending" : "absent" }, lease, now))
        return routeHeld(ctx, (await getMessage(f.pk))!, lease);
      continue;
    }
    if (item.state === "routing") {
      // Held by another invocation: retried later. Run out: that delivery is finished first.
      const lease = await takeOver(ctx, item);
      if (!lease) continue;
      const outcome = await routeHeld(ctx, item, lease);
      if (item.occurrence === f.occurrence) return outcome;
      continue;
    }
    if (item.occurrence === f.occurrence)
      return { action: "already-done", pk: f.pk, ...(item.dest ? { key: item.dest } : {}) };
    // Another delivery of a message already routed (a resend that failed): reported on its own,
    // without touching what the index says about the delivery that counts.
    return routeFailure(ctx, { pk: f.pk, ...itemFields(f), state: "routing" } as MessageItem);
  }
  throw new MessageInProgressError(`message ${f.as2MessageId} changed during 3 attempts; retry later`);
}
