/** One Transfer event → the receive step for its detail-type. */
import { parseTransferEvent, type TransferDetailType } from "../shared/transfer-events";
import type { ReceiveContext } from "./context";
import { UnroutableEventError } from "./errors";
import { onMdnSent } from "./mdn-sent";
import type { ReceiveOutcome } from "./outcome";
import { onPayloadFailed } from "./payload-failed";
import { onPayloadReceived } from "./payload-received";

/** The detail-types this pipeline subscribes to (the rule's pattern uses the same list). */
export const INBOUND_DETAIL_TYPES = [
  "AS2 Payload Receive Completed",
  "AS2 Payload Receive Failed",
  "AS2 MDN Send Completed",
  "AS2 MDN Send Failed",
] as const satisfies readonly TransferDetailType[];

export async function processTransferEvent(ctx: ReceiveContext, raw: unknown): Promise<ReceiveOutcome> {
  const ev = parseTransferEvent(raw);
  switch (ev.detailType) {
    case "AS2 Payload Receive Completed":
      return onPayloadReceived(ctx, ev);
    case "AS2 Payload Receive Failed":
      return onPayloadFailed(ctx, ev);
    case "AS2 MDN Send Completed":
    case "AS2 MDN Send Failed":
      return onMdnSent(ctx, ev);
    default:
      throw new UnroutableEventError(`${ev.detailType} is an outbound event; the receive pipeline does not handle it (check the rule's pattern)`);
  }
}
