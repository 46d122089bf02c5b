/**
 * Domain events: what the gateway tells the outside world about each message. Published on the
 * customer's EventBridge bus with `source` EVENT_SOURCE and `detail-type` = eventType; the
 * `detail` is the DomainEvent JSON exactly (templates/domain-event.schema.json, README "Events").
 * Field names follow MFT Gateway's webhook payload where it has one for the same thing
 * (`eventType`, `failureReason`, `attachments`, `lastAttemptTime`), so receivers written for it keep working.
 *
 * This module stays free of the AWS SDK and of zod so that handlers can import it cheaply; the zod
 * schema lives in model/event-schema.ts.
 */
import { createHash } from "node:crypto";
import type { DomainEventType } from "./customer";
export type { DomainEventType } from "./customer";

/** The four event types (same list as WEBHOOK_EVENT_TYPES in model/customer.ts; a test keeps them equal). */
export const DOMAIN_EVENT_TYPES: readonly DomainEventType[] = [
  "MESSAGE.RECEIVED.SUCCESS",
  "MESSAGE.RECEIVED.FAILED",
  "MESSAGE.SEND.SUCCESS",
  "MESSAGE.SEND.FAILED",
];

export const EVENT_SOURCE = "as2-transfer-gateway";

/** Version of the event shape; bumped only for a breaking change (fields are only ever added). */
export const DOMAIN_EVENT_SCHEMA_VERSION = "1";

/** Where the JSON Schema of DomainEvent is published (CloudEvents `dataschema`). */
export const DOMAIN_EVENT_SCHEMA_ID = "https://github.com/as2-transfer-gateway/templates/domain-event.schema.json";

export const FAILURE_EVENT_TYPES: readonly DomainEventType[] = ["MESSAGE.SEND.FAILED", "MESSAGE.RECEIVED.FAILED"];

export function isFailureEventType(t: DomainEventType): boolean {
  return FAILURE_EVENT_TYPES.includes(t);
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export interface Attachment extends S3Location {
  readonly fileName: string;
  readonly size?: number;
}

export interface DomainEvent {
  readonly eventType: DomainEventType;
  /** Unique per event and stable across retries of the handler that emits it (dedup key). */
  readonly eventId: string;
  /** The gateway's id of the message (claim id for sends, AS2 message id for receipts). */
  readonly messageId: string;
  /** ISO-8601 time of the outcome. */
  readonly timestamp: string;
  readonly customer: string;
  readonly stationId: string;
  readonly partnerId: string;
  readonly test: boolean;
  readonly as2MessageId?: string;
  readonly transferId?: string;
  readonly subject?: string;
  /** Payload(s) where they now are (outbox/, inbox/ or failed/). */
  readonly attachments: readonly Attachment[];
  readonly mdn?: S3Location & { readonly disposition?: string };
  readonly record?: S3Location;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  /** Same text as failureMessage, under MFT Gateway's name. */
  readonly failureReason?: string;
  readonly attempts?: number;
  readonly lastAttemptTime?: string;
  /** DOMAIN_EVENT_SCHEMA_VERSION of the shape this event follows (set by domainEvent()). */
  readonly schemaVersion?: string;
}

/** What a handler knows about an outcome; domainEvent() fills in the rest. */
export type DomainEventInput = Omit<DomainEvent, "eventId" | "failureReason" | "schemaVersion"> & {
  /** @default derived from customer, eventType and messageId (stable across handler retries) */
  readonly eventId?: string;
};

export class DomainEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DomainEventError";
  }
}

/**
 * Deterministic event id: a retried handler publishes the same id, so receivers (and the archive)
 * can drop duplicates. Shaped like a UUID because many receivers store ids in UUID columns.
 */
export function stableEventId(customer: string, eventType: DomainEventType, messageId: string): string {
  const h = createHash("sha256").update(`${customer}\n${eventType}\n${messageId}`).digest("hex");
  // Version nibble 8 ("custom", RFC 9562) and the RFC variant bits: a valid UUID that says it is not random.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Builds a DomainEvent and checks what a schema cannot express on its own: a failure carries a
 * code and a message, a success carries none, times are ISO-8601.
 */
export function domainEvent(input: DomainEventInput): DomainEvent {
  const failure = isFailureEventType(input.eventType);
  if (failure && (!input.failureCode || !input.failureMessage)) {
    throw new DomainEventError(`${input.eventType} needs failureCode and failureMessage (message ${input.messageId})`);
  }
  if (!failure && (input.failureCode !== undefined || input.failureMessage !== undefined)) {
    throw new DomainEventError(
      `${input.eventType} is a success: it cannot carry failureCode/failureMessage (message ${input.messageId})`,
    );
  }
  for (const [field, value] of [
    ["timestamp", input.timestamp],
    ["lastAttemptTime", input.lastAttemptTime],
  ] as const) {
    if (value !== undefined && (Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value))) {
      throw new DomainEventError(`${field} must be an ISO-8601 date-time, found ${JSON.stringify(value)}`);
    }
  }
  const { eventId, eventType, ...rest } = input;
  return {
    eventType,
    eventId: eventId ?? stableEventId(input.customer, input.eventType, input.messageId),
    ...rest,
    ...(failure ? { failureReason: input.failureMessage } : {}),
    schemaVersion: DOMAIN_EVENT_SCHEMA_VERSION,
  };
}

// ---------------------------------------------------------------- EventBridge

/** One PutEvents entry; the field names are those of the SDK's PutEventsRequestEntry. */
export interface EventBridgeEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time?: Date;
}

/** EventBridge refuses a PutEvents request over 256 KB (all entries together). */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;
/** At most 10 entries per PutEvents request. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** The PutEvents entry for a domain event: `detail` is the event itself, `detail-type` its eventType. */
export function putEventsEntry(event: DomainEvent, eventBusName: string): EventBridgeEntry {
  const time = new Date(event.timestamp);
  return {
    Source: EVENT_SOURCE,
    DetailType: event.eventType,
    Detail: JSON.stringify(event),
    EventBusName: eventBusName,
    ...(Number.isNaN(time.getTime()) ? {} : { Time: time }),
  };
}

/** Size of an entry as EventBridge counts it (UTF-8 bytes of the strings, 14 bytes for Time). */
export function putEventsEntrySize(entry: EventBridgeEntry): number {
  const bytes = (s: string) => Buffer.byteLength(s, "utf8");
  return (entry.Time ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
}
