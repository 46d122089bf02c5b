/**
 * Who finishes a message stuck in `routing`. The invocation holding the lease routes it; once the
 * lease ran out (its holder died: a timeout, the event now in the dead-letter queue) or was
 * released (its holder reported an error), the next comer takes it over and finishes that
 * delivery from the index item, exactly as its holder would have. Only then is the next comer's
 * own delivery judged (a resend: a duplicate by the usual rules), so a resend never routes the
 * message a second time.
 */
import type { ReceiveContext } from "./context";
import { MessageInProgressError } from "./errors";
import {
  getMessage,
  leaseHeld,
  newLease,
  releaseRouting,
  takeOverRouting,
  type Lease,
  type MessageItem,
} from "./message-index";
import type { ReceiveOutcome } from "./outcome";
import { routeFailure } from "./route-failure";
import { routePayload, type FreshStart } from "./route-payload";

/**
 * Routes what `item` recorded under `lease`; on an error the lease is released for the next comer.
 * `fresh`: this invocation has just started routing the payload (see routePayload).
 */
export async function routeHeld(
  ctx: ReceiveContext,
  item: MessageItem,
  lease: Lease,
  fresh?: FreshStart,
): Promise<ReceiveOutcome> {
  const held: MessageItem = { ...item, leaseId: lease.id, leaseUntil: lease.until };
  try {
    return routingTo(held) === "failed"
      ? await routeFailure(ctx, held, lease)
      : await routePayload(ctx, held, lease, fresh);
  } catch (e) {
    await releaseRouting(held, lease).catch(() => false);
    throw e;
  }
}

/** Items written before `routingTo` was: a payload routing recorded its source's ETag, a failure never did. */
function routingTo(item: MessageItem): "inbox" | "failed" {
  return item.routingTo ?? (item.sourceEtag !== undefined ? "inbox" : "failed");
}

export function inProgress(item: MessageItem): MessageInProgressError {
  return new MessageInProgressError(
    `message ${item.as2MessageId} (agreement ${item.agreementId}) is being routed by another invocation until ${item.leaseUntil ?? "?"}; retry later`,
  );
}

/**
 * Takes over `item` (state `routing`) when nobody holds it: the lease, or undefined when another
 * invocation took it first (re-read the item). Throws while the lease is held.
 */
export async function takeOver(ctx: ReceiveContext, item: MessageItem): Promise<Lease | undefined> {
  const now = ctx.now();
  if (leaseHeld(item, now)) throw inProgress(item);
  const lease = newLease(now);
  return (await takeOverRouting(item, lease, now)) ? lease : undefined;
}

/**
 * The reconciler's pass over open receive work: finishes a message whose routing nobody holds.
 * "waiting" while a holder's lease runs; "done" when the message is no longer being routed.
 */
export async function resumeRouting(ctx: ReceiveContext, pk: string): Promise<"finished" | "waiting" | "done"> {
  const item = await getMessage(pk);
  if (item?.state !== "routing") return "done";
  if (leaseHeld(item, ctx.now())) return "waiting";
  const lease = await takeOver(ctx, item);
  if (!lease) return "waiting";
  await routeHeld(ctx, item, lease);
  return "finished";
}
