/**
 * The CloudEvents 1.0 form of a DomainEvent (structured mode, `application/cloudevents+json`),
 * built and validated by the `cloudevents` SDK. The DomainEvent is the `data`, unchanged, so a
 * receiver sees the same fields in either form.
 */
import { CloudEvent } from "cloudevents";
import { DOMAIN_EVENT_SCHEMA_ID, EVENT_SOURCE, type DomainEvent } from "./events";

export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json";

/** `as2-transfer-gateway/<customer>`: a URI-reference naming the gateway that produced the event. */
export function cloudEventSource(customer: string): string {
  return `${EVENT_SOURCE}/${encodeURIComponent(customer)}`;
}

/** The CloudEvent of a domain event; throws (the SDK's ValidationError) when it would be invalid. */
export function toCloudEvent(event: DomainEvent): CloudEvent<DomainEvent> {
  // The SDK would silently invent a random id: the id must be the (stable) event id.
  if (!event.eventId) throw new TypeError(`domain event without eventId (message ${event.messageId})`);
  const ce = new CloudEvent<DomainEvent>({
    specversion: "1.0",
    id: event.eventId,
    type: event.eventType,
    source: cloudEventSource(event.customer),
    // Failures that could not be attributed have no station: no subject then.
    ...(event.stationId ? { subject: `${event.stationId}/${event.partnerId}` } : {}),
    time: new Date(event.timestamp).toISOString(),
    datacontenttype: "application/json",
    dataschema: DOMAIN_EVENT_SCHEMA_ID,
    data: event,
  });
  ce.validate();
  return ce;
}

/** The structured-mode JSON document. */
export function toCloudEventJson(event: DomainEvent): string {
  return toCloudEvent(event).toString();
}
