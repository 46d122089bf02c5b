/** Domain events of received messages: MESSAGE.RECEIVED.SUCCESS / MESSAGE.RECEIVED.FAILED. */
import { domainEvent, type DomainEvent, type DomainEventType } from "../../model/events";
import { stableTag } from "../../model/layout";
import { publishDomainEvents } from "../shared/domain-events";
import type { ReceiveContext } from "./context";
import type { MessageItem } from "./message-index";
import { recordKey } from "../../model/layout";

/**
 * Stable across retries of the same delivery (receivers drop duplicates by eventId), different
 * for a later delivery of the same message id (a resend after a failure is news).
 */
export function receivedEventId(
  customer: string,
  type: DomainEventType,
  item: Pick<MessageItem, "pk" | "occurrence">,
): string {
  const h = stableTag(`${customer}\n${type}\n${item.pk}\n${item.occurrence ?? ""}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function receivedEvent(ctx: ReceiveContext, item: MessageItem, at: string): DomainEvent {
  const failed = item.state === "failed";
  const type: DomainEventType = failed ? "MESSAGE.RECEIVED.FAILED" : "MESSAGE.RECEIVED.SUCCESS";
  const customer = ctx.routing.doc.customer;
  const hasPayload = item.dest !== undefined && item.size !== undefined;
  const failureMessage = item.failureMessage ?? "Transfer Family reported a failure without a message";
  const disposition = item.mdn?.disposition ?? item.disposition;
  // domainEvent() checks the shape (a failure carries code and message) and stamps the schema version.
  return domainEvent({
    eventType: type,
    eventId: receivedEventId(customer, type, item),
    messageId: item.as2MessageId,
    timestamp: at,
    customer,
    stationId: item.station ?? "",
    partnerId: item.partner ?? "",
    test: item.test ?? false,
    as2MessageId: item.as2MessageId,
    ...(item.subject !== undefined ? { subject: item.subject } : {}),
    attachments: hasPayload
      ? [{ bucket: ctx.bucket, key: item.dest, fileName: item.fileName ?? "", size: item.size }]
      : [],
    ...(item.mdnDest !== undefined
      ? { mdn: { bucket: ctx.bucket, key: item.mdnDest, ...(disposition !== undefined ? { disposition } : {}) } }
      : {}),
    ...(item.dest !== undefined ? { record: { bucket: ctx.bucket, key: recordKey(item.dest) } } : {}),
    ...(failed ? { failureCode: item.failureCode ?? "UNKNOWN", failureMessage } : {}),
  });
}

export async function publishReceived(ctx: ReceiveContext, item: MessageItem, at: string): Promise<DomainEvent> {
  const event = receivedEvent(ctx, item, at);
  await publishDomainEvents(ctx.eventBridge, ctx.eventBusName, [event]);
  return event;
}
