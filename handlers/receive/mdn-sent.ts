/**
 * `AS2 MDN Send Completed|Failed`: whether our receipt reached the partner. It is written into the
 * received message's record (a failed MDN means the partner may resend) and Transfer's MDN file
 * joins the payload. The event may come before the payload event (the index keeps it as
 * `pending` until the payload is routed) or after it (the record is updated in place).
 */
import { inboundSidecarKeys, mdnKey, recordKey } from "../../model/layout";
import { headObject, putJson, safeMove } from "../shared/s3-object";
import type { TransferEvent } from "../shared/transfer-events";
import { logger } from "../shared/logger";
import type { ReceiveContext } from "./context";
import { MessageInProgressError } from "./errors";
import { inboundFacts } from "./inbound-facts";
import {
  recordMdn,
  rememberEarlyMdn,
  updateEarlyMdn,
  getMessage,
  stripUndefined,
  type MdnInfo,
  type MessageItem,
} from "./message-index";
import { renderRecord } from "./record";
import { indexReceivedMdn } from "../api/index-hooks";
import { routeHeld, takeOver } from "./routing-lease";
import type { ReceiveOutcome } from "./outcome";

export function mdnInfo(ev: TransferEvent): MdnInfo {
  const failed = ev.detailType === "AS2 MDN Send Failed";
  return stripUndefined({
    status: failed ? ("failed" as const) : ("sent" as const),
    type: ev.mdnType,
    messageId: ev.mdnMessageId,
    subject: ev.mdnSubject,
    disposition: ev.disposition,
    failureCode: failed ? ev.failureCode : undefined,
    failureMessage: failed ? ev.failureMessage : undefined,
    at: ev.endTimestamp ?? ev.time,
    sourceKey: ev.mdn?.key ?? (ev.file?.key !== undefined ? inboundSidecarKeys(ev.file.key).mdn : undefined),
  });
}

export async function onMdnSent(ctx: ReceiveContext, ev: TransferEvent): Promise<ReceiveOutcome> {
  const f = inboundFacts(ctx, ev, { requireMessageId: true, requireFile: false });
  const mdn = mdnInfo(ev);
  for (let attempt = 0; attempt < 3; attempt++) {
    const item = await getMessage(f.pk);
    if (!item) {
      // Before the payload event: remembered until the payload is routed.
      const created = await rememberEarlyMdn(f.pk, { agreementId: f.agreementId, as2MessageId: f.as2MessageId }, mdn);
      if (created) return { action: "mdn-deferred", pk: f.pk };
      continue;
    }
    if (item.state === "pending") {
      if (await updateEarlyMdn(f.pk, mdn)) return { action: "mdn-deferred", pk: f.pk };
      continue;
    }
    if (item.state === "routing") {
      // Held: applied on a retry. Nobody holds it (its routing stopped): finished here first.
      const lease = await takeOver(ctx, item);
      if (lease) await routeHeld(ctx, item, lease);
      continue;
    }
    if (f.sourceKey !== undefined && item.sourceKey !== undefined && f.sourceKey !== item.sourceKey) {
      // The receipt of another delivery (a resend judged as a duplicate, stored under its own
      // name): it says nothing about the delivery in inbox/, and its file goes with that resend.
      logger.info("MDN of another delivery of a routed message left alone", { pk: f.pk, file: f.sourceKey });
      return { action: "mdn-of-another-delivery", pk: f.pk };
    }
    return applyMdn(ctx, item, mdn);
  }
  throw new MessageInProgressError(`message ${f.as2MessageId} changed during 3 attempts; retry later`);
}

/**
 * Whether the MDN file this event names is the one the routing already moved beside the payload
 * (it recorded where): then neither its old place nor its new one is looked at again. Transfer
 * writes a delivery's MDN once; a file at that key now is a resend's (stored under the same name),
 * which stays for that resend's routing.
 */
function movedWithPayload(item: MessageItem, mdn: MdnInfo): boolean {
  if (item.dest === undefined || item.mdnDest !== mdnKey(item.dest) || item.sourceKey === undefined) return false;
  return mdn.sourceKey === (item.mdn?.sourceKey ?? inboundSidecarKeys(item.sourceKey).mdn);
}

async function applyMdn(ctx: ReceiveContext, item: MessageItem, mdn: MdnInfo): Promise<ReceiveOutcome> {
  let mdnDest = item.mdnDest;
  if (item.dest !== undefined && !movedWithPayload(item, mdn)) {
    const target = mdnKey(item.dest);
    const source = mdn.sourceKey !== undefined ? await headObject(ctx.s3, ctx.bucket, mdn.sourceKey) : undefined;
    if (source) {
      await safeMove(ctx.s3, ctx.bucket, source, target);
      mdnDest = target;
    } else if (await headObject(ctx.s3, ctx.bucket, target)) {
      mdnDest = target;
    }
  }
  // A later "sent" never hides an earlier "failed" of the same delivery: the partner may still resend.
  const keep = item.mdn?.status === "failed" && mdn.status === "sent" ? item.mdn : mdn;
  const updated = await recordMdn(item, keep, mdnDest);
  if (!updated) {
    throw new MessageInProgressError(`message ${item.as2MessageId} changed while its MDN status was recorded; retry`);
  }
  if (updated.dest !== undefined) {
    await putJson(ctx.s3, ctx.bucket, recordKey(updated.dest), renderRecord(updated, ctx.bucket));
    await indexReceivedMdn(updated);
  }
  logger.info("MDN status recorded", { pk: item.pk, status: keep.status, key: updated.dest });
  return { action: "mdn-recorded", pk: item.pk, ...(updated.dest ? { key: updated.dest } : {}) };
}
