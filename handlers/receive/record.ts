/**
 * The JSON record beside each received payload (`<file>.json`): rendered from the message index
 * only, so every invocation that touches a message writes the same record for the same state.
 */
import type { MdnInfo, MessageItem } from "./message-index";
import { stripUndefined } from "./message-index";

export const RECORD_VERSION = 1;

/** What the user sees when the MDN did not reach the partner. */
export const MDN_FAILED_NOTE =
  "The MDN (receipt) could not be delivered to the partner: the partner may consider the message undelivered and send it again. The payload itself was received.";

export interface ReceivedRecord {
  readonly recordVersion: number;
  readonly direction: "inbound";
  readonly status: "received" | "failed";
  readonly as2MessageId: string;
  readonly subject?: string;
  readonly fileName?: string;
  readonly originalFileName?: string;
  readonly station?: string;
  readonly partner?: string;
  readonly test?: boolean;
  readonly agreementId: string;
  readonly serverId?: string;
  readonly as2From?: string;
  readonly as2To?: string;
  readonly clientIp?: string;
  readonly size?: number;
  readonly bytes?: number;
  readonly receivedAt?: string;
  readonly completedAt?: string;
  readonly transferStatus?: string;
  readonly payload?: { readonly bucket: string; readonly key: string };
  readonly mdn: {
    readonly status: "sent" | "failed" | "unknown";
    readonly disposition?: string;
    readonly type?: string;
    readonly messageId?: string;
    readonly subject?: string;
    readonly at?: string;
    readonly key?: string;
    readonly failureCode?: string;
    readonly failureMessage?: string;
    readonly note?: string;
  };
  readonly reason?: { readonly failureCode: string; readonly failureMessage: string };
  readonly duplicateOf?: { readonly key?: string; readonly note: string };
  readonly transferReportedDuplicate?: boolean;
}

function mdnPart(item: MessageItem): ReceivedRecord["mdn"] {
  const m: MdnInfo | undefined = item.mdn;
  return stripUndefined({
    status: m?.status ?? "unknown",
    disposition: m?.disposition ?? item.disposition,
    type: m?.type,
    messageId: m?.messageId,
    subject: m?.subject,
    at: m?.at,
    key: item.mdnDest !== undefined ? item.mdnDest : undefined,
    failureCode: m?.status === "failed" ? m.failureCode : undefined,
    failureMessage: m?.status === "failed" ? m.failureMessage : undefined,
    note: m?.status === "failed" ? MDN_FAILED_NOTE : undefined,
  });
}

export function renderRecord(
  item: MessageItem,
  bucket: string,
  extra: Pick<ReceivedRecord, "duplicateOf"> = {},
): ReceivedRecord {
  const failed = item.state === "failed";
  return stripUndefined({
    recordVersion: RECORD_VERSION,
    direction: "inbound" as const,
    status: failed ? ("failed" as const) : ("received" as const),
    as2MessageId: item.as2MessageId,
    subject: item.subject,
    fileName: item.fileName,
    originalFileName: item.requesterFileName,
    station: item.station,
    partner: item.partner,
    test: item.test,
    agreementId: item.agreementId,
    serverId: item.serverId,
    as2From: item.as2From,
    as2To: item.as2To,
    clientIp: item.clientIp,
    size: item.size,
    bytes: item.bytes,
    receivedAt: item.startTimestamp,
    completedAt: item.endTimestamp,
    transferStatus: item.statusCode,
    payload: item.dest !== undefined && item.size !== undefined ? { bucket, key: item.dest } : undefined,
    mdn: mdnPart(item),
    reason: failed
      ? {
          failureCode: item.failureCode ?? "UNKNOWN",
          failureMessage: item.failureMessage ?? "Transfer Family reported a failure without a message",
        }
      : undefined,
    duplicateOf: extra.duplicateOf,
    transferReportedDuplicate: item.duplicateReported ? true : undefined,
  });
}
