/**
 * Routing one delivery of a received message into inbox/, from what its index item recorded
 * (source key and version, reserved destination), never from the event at hand: the invocation
 * that finishes it may be a retry of the same event, a takeover by the partner's resend, an MDN
 * event or the reconciler. Every step can run again, and concurrently, with the same result.
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { inboundSidecarKeys, inboxKey, mdnKey, recordKey, type RoutedFile } from "../../model/layout";
import { reserveDestination } from "../shared/destination";
import { logger } from "../shared/logger";
import { copyMatches, getJson, headObject, putJson, safeMove, sameEtag, type ObjectInfo } from "../shared/s3-object";
import { readStatusFile } from "../shared/transfer-events";
import type { ReceiveContext } from "./context";
import { MessageInProgressError, MissingPayloadError } from "./errors";
import { isDuplicateDisposition, recordedOutcomeTime, routingWork } from "./inbound-facts";
import { markReceived, recordRouting, stripUndefined, type Lease, type MessageItem } from "./message-index";
import { publishReceived } from "./notify";
import { renderRecord } from "./record";
import type { ReceiveOutcome } from "./outcome";

/** Whether two stored objects hold the same bytes; undefined when S3's metadata cannot tell. */
export function sameContent(
  first: Pick<MessageItem, "size" | "sourceEtag" | "sourceChecksum" | "sourceSse">,
  second: ObjectInfo,
): boolean | undefined {
  if (first.size !== undefined && first.size !== second.size) return false;
  if (first.sourceChecksum && second.checksum) return first.sourceChecksum === second.checksum;
  if (first.sourceSse === "aws:kms" || second.sse === "aws:kms" || !first.sourceEtag) return undefined;
  return first.sourceEtag === second.etag;
}

/** What the index records of a payload, so that a takeover moves this delivery's bytes and no other. */
export function sourceFields(o: ObjectInfo): Partial<MessageItem> {
  return stripUndefined({
    sourceEtag: o.etag,
    sourceVersionId: o.versionId,
    size: o.size,
    sourceChecksum: o.checksum,
    sourceSse: o.sse,
  });
}

export function missingPayload(ctx: ReceiveContext, item: MessageItem): MissingPayloadError {
  return new MissingPayloadError(
    `payload s3://${ctx.bucket}/${item.sourceKey} of message ${item.as2MessageId} (agreement ${item.agreementId}) does not exist and no copy of it was routed; nothing was moved`,
  );
}

/**
 * Transfer's status file, if it is there and belongs to this delivery: a resend of the same
 * message id may have been stored under the same key, and its disposition (`duplicate-document`)
 * must not be written into the first delivery's record.
 */
async function statusOf(
  ctx: ReceiveContext,
  key: string,
  item: MessageItem,
): Promise<{ status?: ReturnType<typeof readStatusFile>; another: boolean }> {
  try {
    const json = await getJson(ctx.s3, ctx.bucket, key);
    if (json === undefined) return { another: false };
    const status = readStatusFile(json);
    const start = status.raw["start-timestamp"];
    if (typeof start === "string" && item.startTimestamp !== undefined && start !== item.startTimestamp)
      return { another: true };
    return { status, another: false };
  } catch (e) {
    logger.warn("unreadable Transfer status file", { key, error: (e as Error).message });
    return { another: false };
  }
}

/**
 * Deletes a file Transfer wrote beside a payload (its status file, an MDN that has nowhere to go)
 * once what it said is in the index and the record: what stays in an agreement base directory is
 * then open work only (the reconciler's listing; lifecycle never expires current versions there).
 * On a versioned bucket the delete leaves a noncurrent version, which lifecycle expires.
 */
export async function dropStatusFile(ctx: ReceiveContext, key: string | undefined): Promise<void> {
  if (key === undefined) return;
  await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: key }));
}

/** Moves the payload `item` recorded into inbox/ and ends its routing; `lease` must be held. */
export async function routePayload(ctx: ReceiveContext, item: MessageItem, lease: Lease): Promise<ReceiveOutcome> {
  const work = routingWork(ctx, item);
  const sourceKey = item.sourceKey!;
  const found = await headObject(ctx.s3, ctx.bucket, sourceKey, item.sourceVersionId);
  // Only the bytes this delivery recorded: an unversioned key may hold a resend's payload by now.
  const source = found && (item.sourceEtag === undefined || sameEtag(found.etag, item.sourceEtag)) ? found : undefined;
  // A copy at the recorded destination is this delivery's own (reserved, then copied): it keeps its
  // name even when its reservation ran out while the message waited in a dead-letter queue.
  const copy = item.dest !== undefined ? await headObject(ctx.s3, ctx.bucket, item.dest) : undefined;
  const ours = copy !== undefined && (source ? copyMatches(source, copy) : sameContent(item, copy) !== false);
  if (!source && !ours) throw missingPayload(ctx, item);
  const file: RoutedFile = { route: work.route, fileName: item.fileName!, at: work.at, seed: item.as2MessageId };
  const dest = ours
    ? item.dest!
    : await reserveDestination(
        ctx.s3,
        ctx.bucket,
        (n) => inboxKey(work.preset, { ...file, seed: n ? `${file.seed}#${n}` : file.seed }, work.naming, n),
        work.owner,
        item.dest,
      );
  if (dest !== item.dest && !(await recordRouting(item, lease, { dest }))) {
    throw new MessageInProgressError(`message ${item.as2MessageId} changed while it was being routed; retry`);
  }
  if (source) await safeMove(ctx.s3, ctx.bucket, source, dest);

  // Transfer's MDN: where an early MDN event said, else beside the payload; maybe moved already.
  const sidecars = inboundSidecarKeys(sourceKey);
  const mdnSource = await headObject(ctx.s3, ctx.bucket, item.mdn?.sourceKey ?? sidecars.mdn);
  let mdnDest = item.mdnDest;
  if (mdnSource) {
    await safeMove(ctx.s3, ctx.bucket, mdnSource, mdnKey(dest));
    mdnDest = mdnKey(dest);
  } else if (await headObject(ctx.s3, ctx.bucket, mdnKey(dest))) {
    mdnDest = mdnKey(dest);
  }
  const { status, another } = await statusOf(ctx, sidecars.status, item);
  const disposition = item.disposition ?? status?.disposition;
  const learned = stripUndefined({
    mdnDest,
    disposition,
    subject: item.subject ?? status?.subject,
    duplicateReported: item.duplicateReported || isDuplicateDisposition(disposition) || undefined,
  });
  const final: MessageItem = stripUndefined({ ...item, ...learned, dest, state: "received" as const });
  if (!(await recordRouting(item, lease, learned))) {
    throw new MessageInProgressError(`message ${item.as2MessageId} changed while it was being routed; retry`);
  }
  await putJson(ctx.s3, ctx.bucket, recordKey(dest), renderRecord(final, ctx.bucket), { once: true });
  // Published before the state flips: a crash in between republishes the same eventId, never loses it.
  await publishReceived(ctx, final, recordedOutcomeTime(item, work));
  // Another delivery's status file (a resend stored under the same key) stays for that delivery.
  if (!another) await dropStatusFile(ctx, sidecars.status);
  if (!(await markReceived(item, lease))) {
    logger.warn("message index changed before it was marked received", { pk: item.pk });
  }
  logger.info("received message routed", { pk: item.pk, key: dest, size: final.size });
  return { action: "routed-to-inbox", pk: item.pk, key: dest };
}
