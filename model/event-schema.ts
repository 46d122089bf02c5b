/**
 * The zod schema of DomainEvent: the single source of templates/domain-event.schema.json
 * (`npm run schema` writes it; a test fails when the committed file is stale). A compile-time check
 * below keeps it and the DomainEvent interface of model/events.ts in step.
 */
import { z } from "zod";
import { WEBHOOK_EVENT_TYPES } from "./customer";
import { DOMAIN_EVENT_SCHEMA_ID, DOMAIN_EVENT_SCHEMA_VERSION, type DomainEvent } from "./events";

const s3Location = {
  bucket: z.string().min(1).describe("S3 bucket name"),
  key: z.string().min(1).describe("S3 key (plain, not URL-encoded)"),
};

const attachmentSchema = z
  .looseObject({
    ...s3Location,
    fileName: z.string().min(1).describe("file name as the partner sent it or the user uploaded it"),
    size: z.number().int().min(0).optional().describe("bytes"),
  })
  .describe("a payload where it now is (inbox/, outbox/ or failed/)");

const isoDateTime = z.iso.datetime({ offset: true });

const common = {
  eventId: z.string().min(1).describe("unique per event, stable across retries of the emitting handler: the dedup key"),
  messageId: z
    .string()
    .min(1)
    .describe("the gateway's id of the message (claim id for sends, AS2 message id for receipts)"),
  timestamp: isoDateTime.describe("ISO-8601 time of the outcome"),
  customer: z.string().min(1).describe("customer name (stack customer-<name>)"),
  stationId: z.string().min(1).describe("our AS2 ID"),
  partnerId: z.string().min(1).describe("the partner's AS2 ID"),
  test: z.boolean().describe("true for a test partner"),
  as2MessageId: z.string().optional().describe("AS2 Message-ID (may contain @ + < >)"),
  transferId: z.string().optional().describe("Transfer Family transfer id (sends)"),
  subject: z.string().optional().describe("AS2 subject"),
  attachments: z.array(attachmentSchema).readonly().describe("the payload(s)"),
  mdn: z
    .looseObject({
      ...s3Location,
      disposition: z
        .string()
        .optional()
        .describe("MDN disposition, e.g. automatic-action/MDN-sent-automatically; processed"),
    })
    .optional()
    .describe("the MDN stored beside the payload"),
  record: z.looseObject(s3Location).optional().describe("the JSON record stored beside the payload"),
  attempts: z.number().int().min(0).optional().describe("attempts made (sends); 0 when it failed before any attempt"),
  lastAttemptTime: isoDateTime.optional().describe("ISO-8601 time of the last attempt (MFT Gateway's name)"),
  schemaVersion: z
    .literal(DOMAIN_EVENT_SCHEMA_VERSION)
    .optional()
    .describe("version of this shape; fields are only ever added"),
};

const SUCCESS_TYPES = WEBHOOK_EVENT_TYPES.filter((t) => t.endsWith(".SUCCESS")) as [
  "MESSAGE.RECEIVED.SUCCESS",
  "MESSAGE.SEND.SUCCESS",
];
const FAILURE_TYPES = WEBHOOK_EVENT_TYPES.filter((t) => t.endsWith(".FAILED")) as [
  "MESSAGE.RECEIVED.FAILED",
  "MESSAGE.SEND.FAILED",
];

export const successEventSchema = z.looseObject({
  eventType: z.enum(SUCCESS_TYPES).describe("EventBridge detail-type"),
  ...common,
});

export const failureEventSchema = z.looseObject({
  eventType: z.enum(FAILURE_TYPES).describe("EventBridge detail-type"),
  ...common,
  // A message that cannot be attributed (unknown agreement, unparseable upload path) still fails loudly.
  stationId: z.string().describe("our AS2 ID; empty when the failure could not be attributed to a station"),
  partnerId: z.string().describe("the partner's AS2 ID; empty when the failure could not be attributed to a partner"),
  failureCode: z.string().min(1).describe("machine-readable reason, e.g. UNKNOWN_PARTNER, MDN_FAILED"),
  failureMessage: z.string().min(1).describe("what went wrong, for people"),
  failureReason: z.string().min(1).optional().describe("same text as failureMessage (MFT Gateway's name)"),
});

/** Receivers must ignore fields they do not know (the shape only grows), hence no strict objects. */
export const domainEventSchema = z.discriminatedUnion("eventType", [successEventSchema, failureEventSchema]);

// Compile-time: whatever the schema accepts is a DomainEvent (the interface is what handlers build).
type SchemaOutput = z.output<typeof domainEventSchema>;
const _schemaFitsInterface: (e: SchemaOutput) => DomainEvent = (e) => e;
void _schemaFitsInterface;

export function domainEventJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(domainEventSchema, { io: "output", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: DOMAIN_EVENT_SCHEMA_ID,
    title: "as2-transfer-gateway domain event",
    description:
      "The detail of every event the gateway publishes on the customer's EventBridge bus (source as2-transfer-gateway, detail-type = eventType), the body of every webhook call and the data of its CloudEvents form. See README.md, section Events.",
  };
}

export function domainEventJsonSchemaText(): string {
  return `${JSON.stringify(domainEventJsonSchema(), null, 2)}\n`;
}
