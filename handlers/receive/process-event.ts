/** One Transfer event → the receive step for its detail-type. */
import { parseTransferEvent } from "../shared/transfer-events";
export { INBOUND_DETAIL_TYPES } from "../../model/inbound-events";
import type { ReceiveContext } from "./context";
import { UnroutableEventError } from "./errors";
import { onMdnSent } from "./mdn-sent";
import type { ReceiveOutcome } from "./outcome";
import { onPayloadFailed } from "./payload-failed";
import { onPayloadReceived } from "./payload-received";

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
      throw new UnroutableEventError(
        `${ev.detailType} is an outbound event; the receive pipeline does not handle it (check the rule's pattern)`,
      );
  }
}
