/**
 * Transfer Family's AS2 events, parsed defensively: every field optional (DESIGN.md), keys of
 * s3-attributes without their leading '/', unknown fields ignored, numbers given as strings tolerated.
 */
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

/** A detail field of the wrong type: the whole detail is ignored (as with an invalid schema). */
class InvalidDetail extends Error {}

/** null and "" are absent, numbers become strings; anything else than a string is invalid. */
function optStr(v: unknown): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return v;
  throw new InvalidDetail();
}

/** Numeric strings become numbers, null is absent; anything else than a finite number is invalid. */
function optNum(v: unknown): number | undefined {
  const n =
    typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v === null ? undefined : v;
  if (n === undefined) return undefined;
  if (typeof n === "number" && Number.isFinite(n)) return n;
  throw new InvalidDetail();
}

function optKey(v: unknown): string | undefined {
  const k = optStr(v);
  return k === undefined ? undefined : keyFromTransferAttribute(k);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

interface S3Attributes {
  "file-bucket"?: string;
  "file-key"?: string;
  "json-bucket"?: string;
  "json-key"?: string;
  "mdn-bucket"?: string;
  "mdn-key"?: string;
}

/** s3-attributes that are not an object, or have a field of the wrong type, count as none. */
function s3Attributes(v: unknown): S3Attributes {
  if (!isRecord(v)) return {};
  try {
    return {
      "file-bucket": optStr(v["file-bucket"]),
      "file-key": optKey(v["file-key"]),
      "json-bucket": optStr(v["json-bucket"]),
      "json-key": optKey(v["json-key"]),
      "mdn-bucket": optStr(v["mdn-bucket"]),
      "mdn-key": optKey(v["mdn-key"]),
    };
  } catch (e) {
    if (e instanceof InvalidDetail) return {};
    throw e;
  }
}

const DETAIL_STRINGS = [
  "agreement-id",
  "server-id",
  "connector-id",
  "transfer-id",
  "as2-from",
  "as2-to",
  "as2-message-id",
  "mdn-message-id",
  "mdn-subject",
  "mdn-type",
  "disposition",
  "message-subject",
  "requester-file-name",
  "client-ip",
  "status-code",
  "failure-code",
  "failure-message",
  "start-timestamp",
  "end-timestamp",
] as const;

type Detail = { [K in (typeof DETAIL_STRINGS)[number]]?: string } & { bytes?: number; "s3-attributes"?: S3Attributes };

/** The detail's fields we read; a detail that is not an object or has a field of the wrong type reads as empty. */
function readDetail(v: unknown): Detail {
  if (!isRecord(v)) return {};
  try {
    const d: Detail = {};
    for (const k of DETAIL_STRINGS) d[k] = optStr(v[k]);
    d.bytes = optNum(v.bytes);
    if (v["s3-attributes"] !== undefined) d["s3-attributes"] = s3Attributes(v["s3-attributes"]);
    return d;
  } catch (e) {
    if (e instanceof InvalidDetail) return {};
    throw e;
  }
}

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
  const d = readDetail(e.detail ?? {});
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
