/**
 * What the receive reliability tests feed the receive function: Transfer's inbound events for a
 * payload stored in the `PARTNER` agreement's base directory (as2gateway layout of the matrix
 * harness), wrapped as SQS delivers them, with the function's clock set (leases are judged by it).
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { SQSBatchResponse } from "aws-lambda";
import { defaultContext, handleBatch } from "../../handlers/receive/handler";
import { inboundSidecarKeys, inboundWorkPrefix, transferInboundKey } from "../../model/layout";
import { BUCKET } from "../send/harness";
import { sqsBatch as sqs } from "../receive/harness";
import type { Matrix } from "./matrix";

export const AGREEMENT = "a-partner";
export const BASE_DIR = inboundWorkPrefix({ station: "ACME", partner: "PARTNER" });
export const INBOX = "as2gateway/ACME/PARTNER/inbox/";

/** What SQS hands the receive function (one shape for every receive test). */
export { sqs };

/** The receive function as SQS invokes it, its clock `seconds` from now. */
export function deliver(event: unknown, seconds = 0): Promise<SQSBatchResponse> {
  const at = new Date(Date.now() + seconds * 1000);
  return handleBatch(sqs(event), async () => ({ ...(await defaultContext()), now: () => at }));
}

export interface Delivery {
  readonly key: string;
  readonly messageId: string;
  readonly fileName: string;
  readonly start: string;
}

/** `AS2 Payload Receive Completed|Failed` for a payload Transfer stored at `d.key`. */
export function inboundEvent(d: Delivery, failed = false): Record<string, unknown> {
  return {
    version: "0",
    id: `ev-${d.messageId}-${d.start}`,
    "detail-type": failed ? "AS2 Payload Receive Failed" : "AS2 Payload Receive Completed",
    source: "aws.transfer",
    time: d.start,
    detail: {
      "s3-attributes": { "file-bucket": BUCKET, "file-key": `/${d.key}` },
      "requester-file-name": d.fileName,
      "as2-from": "PARTNER",
      "as2-to": "ACME",
      "as2-message-id": d.messageId,
      "start-timestamp": d.start,
      "end-timestamp": d.start,
      "status-code": failed ? "FAILED" : "COMPLETED",
      ...(failed ? { "failure-code": "DECRYPT_FAILED", "failure-message": "Unable to decrypt the payload" } : {}),
      "agreement-id": AGREEMENT,
    },
  };
}

/** `AS2 MDN Send Completed` for the delivery: our receipt reached the partner. */
export function mdnSentEvent(d: Delivery): Record<string, unknown> {
  return {
    version: "0",
    id: `mdn-${d.messageId}-${d.start}`,
    "detail-type": "AS2 MDN Send Completed",
    source: "aws.transfer",
    time: d.start,
    detail: {
      "agreement-id": AGREEMENT,
      "as2-from": "PARTNER",
      "as2-to": "ACME",
      "as2-message-id": d.messageId,
      "mdn-type": "SYNC",
      disposition: "automatic-action/MDN-sent-automatically; processed",
      "start-timestamp": d.start,
      "end-timestamp": d.start,
      "status-code": "COMPLETED",
      "s3-attributes": { "file-bucket": BUCKET, "file-key": `/${d.key}` },
    },
  };
}

/** Transfer stores a delivery (payload, MDN, status file) the way it does in a base directory. */
export async function transferStores(
  m: Matrix,
  o: { messageId: string; fileName: string; body: string; start: string; outcome?: "processed" | "failed" },
): Promise<Delivery> {
  const key = transferInboundKey(BASE_DIR, o.outcome ?? "processed", o.fileName, o.messageId);
  const side = inboundSidecarKeys(key);
  const put = (k: string, b: string) => m.h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: b }));
  await put(key, o.body);
  if (o.outcome !== "failed") await put(side.mdn, `MDN of ${o.messageId} at ${o.start}`);
  await put(
    side.status,
    JSON.stringify({
      "as2-message-id": o.messageId,
      "requester-file-name": o.fileName,
      "status-code": o.outcome === "failed" ? "FAILED" : "COMPLETED",
      "as2-from": "PARTNER",
      "as2-to": "ACME",
      "start-timestamp": o.start,
      timestamp: o.start,
    }),
  );
  for (const k of [key, side.mdn, side.status]) m.wire.bump(k);
  return { key, messageId: o.messageId, fileName: o.fileName, start: o.start };
}
