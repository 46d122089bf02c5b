/**
 * Domain events: what the gateway tells the outside world about each message. Published on the
 * customer's EventBridge bus with `source` EVENT_SOURCE and `detail-type` = eventType.
 * Field names follow MFT Gateway's webhook payload where it has one for the same thing
 * (`eventType`, `failureReason`, `attachments`, `lastAttemptTime`), so receivers written for it keep working.
 */
import type { DomainEventType } from "./customer";
export type { DomainEventType } from "./customer";

export const EVENT_SOURCE = "as2-transfer-gateway";

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
}
