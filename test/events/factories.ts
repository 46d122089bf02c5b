/** Test factories for domain events: one valid event per type, override what a test is about. */
import { domainEvent, type DomainEvent, type DomainEventInput, type DomainEventType } from "../../model/events";

const BUCKET = "as2-acme-bucket";

export function eventInput(eventType: DomainEventType, overrides: Partial<DomainEventInput> = {}): DomainEventInput {
  const send = eventType.startsWith("MESSAGE.SEND");
  const failed = eventType.endsWith("FAILED");
  const folder = failed
    ? "failed/20261122T175432123Z"
    : send
      ? "outbox/20261122T175432123Z-1a2b3c4d"
      : "inbox/20261122T175432123Z-1a2b3c4d";
  const key = `AS2/files/ACME/GLOBEX/${folder}/invoice 42+%.xml`;
  return {
    eventType,
    messageId: send ? "claim-0b7e4f" : "<a1b2c3@as2.globex.example>",
    timestamp: "2026-11-22T17:54:32.123Z",
    customer: "acme",
    stationId: "ACME",
    partnerId: "GLOBEX",
    test: false,
    as2MessageId: "<a1b2c3+x@as2.globex.example>",
    ...(send ? { transferId: "c2f1a0e4-5b6d-4e8f-9a0b-1c2d3e4f5a6b" } : {}),
    subject: "ACME invoice",
    attachments: [{ bucket: BUCKET, key, fileName: "invoice 42+%.xml", size: 1234 }],
    ...(failed
      ? {}
      : {
          mdn: { bucket: BUCKET, key: `${key}.mdn`, disposition: "automatic-action/MDN-sent-automatically; processed" },
        }),
    record: { bucket: BUCKET, key: `${key}.json` },
    ...(failed
      ? {
          failureCode: send ? "MDN_FAILED" : "DECRYPTION_FAILED",
          failureMessage: "the partner's MDN reports: decryption-failed",
        }
      : {}),
    ...(send ? { attempts: failed ? 3 : 1, lastAttemptTime: "2026-11-22T17:54:30Z" } : {}),
    ...overrides,
  };
}

export function sampleEvent(eventType: DomainEventType, overrides: Partial<DomainEventInput> = {}): DomainEvent {
  return domainEvent(eventInput(eventType, overrides));
}
