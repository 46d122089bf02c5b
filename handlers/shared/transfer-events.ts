/**
 * Transfer Family's AS2 events, parsed defensively: every field optional (DESIGN.md), keys of
 * s3-attributes without their leading '/', unknown fields ignored, numbers given as strings tolerated.
 */
import { z } from "zod";
import { keyFromTransferAttribute } from "../../model/layout";

export const TRANSFER_DETAIL_TYPES = [
  "AS2 Payload Receive Completed",
  "AS2 Payload Receive Failed",
  "AS2 Payload Send Completed",
  "AS2 Payload Send Failed",
  "AS2 MDN Receive Completed",
  "AS2 MDN Receive Failed",
  "AS2 MDN Send Completed",
  "AS2 MDN Send Failed",
] as const;
export type TransferDetailType = (typeof TRANSFER_DETAIL_TYPES)[number];

const optStr = z.preprocess(
  (v) => (v === null || v === "" ? undefined : typeof v === "number" ? String(v) : v),
  z.string().optional(),
);
const optNum = z.preprocess(
  (v) =>
    typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v === null ? undefined : v,
  z.number().optional(),
);
const optKey = optStr.transform((k) => (k === undefined ? undefined : keyFromTransferAttribute(k)));

const s3AttributesSchema = z
  .object({
    "file-bucket": optStr,
    "file-key": optKey,
    "json-bucket": optStr,
    "json-key": optKey,
    "mdn-bucket": optStr,
    "mdn-key": optKey,
  })
  .partial()
  .catch({});

const detailSchema = z.object({
  "agreement-id": optStr,
  "server-id": optStr,
  "connector-id": optStr,
  "transfer-id": optStr,
  "as2-from": optStr,
  "as2-to": optStr,
  "as2-message-id": optStr,
  "mdn-message-id": optStr,
  "mdn-subject": optStr,
  "mdn-type": optStr,
  disposition: optStr,
  "message-subject": optStr,
  "requester-file-name": optStr,
  "client-ip": optStr,
  "status-code": optStr,
  "failure-code": optStr,
  "failure-message": optStr,
  "start-timestamp": optStr,
  "end-timestamp": optStr,
  bytes: optNum,
  "s3-attributes": s3AttributesSchema.optional(),
});

export interface TransferEvent {
  readonly id?: string;
  readonly detailType: TransferDetailType;
  readonly time?: string;
  readonly agreementId?: string;
  readonly serverId?: string;
  readonly connectorId?: string;
  readonly transferId?: string;
  readonly as2From?: string;
  readonly as2To?: string;
  readonly as2MessageId?: string;
  readonly mdnMessageId?: string;
  readonly mdnSubject?: string;
  readonly mdnType?: string;
  readonly disposition?: string;
  readonly subject?: string;
  readonly requesterFileName?: string;
  readonly clientIp?: string;
  readonly statusCode?: string;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly startTimestamp?: string;
  readonly endTimestamp?: string;
  readonly bytes?: number;
  readonly file?: { bucket?: string; key?: string };
  readonly json?: { bucket?: string; key?: string };
  readonly mdn?: { bucket?: string; key?: string };
}

export class NotATransferEvent extends Error {
  override readonly name = "NotATransferEvent";
}

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function location(bucket?: string, key?: string): { bucket?: string; key?: string } | undefined {
  return bucket === undefined && key === undefined ? undefined : strip({ bucket, key });
}

/** Parses an EventBridge envelope with source aws.transfer; throws NotATransferEvent otherwise. */
export function parseTransferEvent(event: unknown): TransferEvent {
  const e = (event ?? {}) as {
    source?: unknown;
    "detail-type"?: unknown;
    detail?: unknown;
    id?: unknown;
    time?: unknown;
  };
  if (e.source !== "aws.transfer")
    throw new NotATransferEvent(`source is ${JSON.stringify(e.source)}, expected "aws.transfer"`);
  const detailType = e["detail-type"];
  if (!TRANSFER_DETAIL_TYPES.includes(detailType as TransferDetailType))
    throw new NotATransferEvent(`detail-type ${JSON.stringify(detailType)} is not an AS2 event`);
  const parsed = detailSchema.safeParse(e.detail ?? {});
  const d = parsed.success ? parsed.data : ({} as z.infer<typeof detailSchema>);
  const s3 = d["s3-attributes"] ?? {};
  return strip({
    id: typeof e.id === "string" ? e.id : undefined,
    detailType: detailType as TransferDetailType,
    time: typeof e.time === "string" ? e.time : undefined,
    agreementId: d["agreement-id"],
    serverId: d["server-id"],
    connectorId: d["connector-id"],
    transferId: d["transfer-id"],
    as2From: d["as2-from"],
    as2To: d["as2-to"],
    as2MessageId: d["as2-message-id"],
    mdnMessageId: d["mdn-message-id"],
    mdnSubject: d["mdn-subject"],
    mdnType: d["mdn-type"],
    disposition: d.disposition,
    subject: d["message-subject"],
    requesterFileName: d["requester-file-name"],
    clientIp: d["client-ip"],
    statusCode: d["status-code"],
    failureCode: d["failure-code"],
    failureMessage: d["failure-message"],
    startTimestamp: d["start-timestamp"],
    endTimestamp: d["end-timestamp"],
    bytes: d.bytes,
    file: location(s3["file-bucket"], s3["file-key"]),
    json: location(s3["json-bucket"], s3["json-key"]),
    mdn: location(s3["mdn-bucket"], s3["mdn-key"]),
  });
}

/**
 * Transfer's JSON status files have no formal schema (one sample spells `mesage-subject`):
 * read the fields we use, whatever their spelling, and keep the rest as it is.
 */
export function readStatusFile(json: unknown): {
  subject?: string;
  statusCode?: string;
  failureCode?: string;
  failureMessage?: string;
  disposition?: string;
  as2MessageId?: string;
  mdnMessageId?: string;
  requesterFileName?: string;
  transferSize?: number;
  raw: Record<string, unknown>;
} {
  const raw = json && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  const s = (...names: string[]) => {
    for (const n of names) if (typeof raw[n] === "string" && raw[n] !== "") return raw[n];
    return undefined;
  };
  const size = raw["transfer-size"] ?? raw["bytes"];
  return strip({
    subject: s("subject", "message-subject", "mesage-subject"),
    statusCode: s("status-code"),
    failureCode: s("failure-code"),
    failureMessage: s("failure-message"),
    disposition: s("disposition"),
    as2MessageId: s("as2-message-id"),
    mdnMessageId: s("mdn-message-id"),
    requesterFileName: s("requester-file-name"),
    transferSize:
      typeof size === "number"
        ? size
        : typeof size === "string" && size !== "" && !Number.isNaN(Number(size))
          ? Number(size)
          : undefined,
    raw,
  });
}
