/**
 * The Transfer Family events the receive pipeline subscribes to, and the EventBridge pattern that
 * selects them for one customer. Filtered on `detail.agreement-id` (this customer's agreements),
 * never on `resources`, which AWS fills inconsistently for AS2 events (DESIGN.md).
 */
export const INBOUND_DETAIL_TYPES = [
  "AS2 Payload Receive Completed",
  "AS2 Payload Receive Failed",
  "AS2 MDN Send Completed",
  "AS2 MDN Send Failed",
] as const;
export type InboundDetailType = (typeof INBOUND_DETAIL_TYPES)[number];

export const TRANSFER_EVENT_SOURCE = "aws.transfer";

export interface InboundEventPattern {
  readonly source: readonly string[];
  readonly "detail-type": readonly string[];
  readonly detail: { readonly "agreement-id": readonly string[] };
}

export function inboundEventPattern(agreementIds: readonly string[]): InboundEventPattern {
  if (agreementIds.length === 0) throw new Error("an inbound event pattern needs at least one agreement id");
  return {
    source: [TRANSFER_EVENT_SOURCE],
    "detail-type": [...INBOUND_DETAIL_TYPES],
    detail: { "agreement-id": [...agreementIds] },
  };
}
