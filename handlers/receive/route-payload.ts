/**
 * Routing one delivery of a received message into inbox/, from what its index item recorded
 * (source key and version, reserved destination), never from the event at hand: the invocation
 * that finishes it may be a retry of the same event, a takeover by the partner's resend, an MDN
 * event or the reconciler. Every step can run again, and concurrently, with the same result.
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { inboundSidecarKeys, inboxKey, mdnKey, recordKey, type RoutedFile } from "../../model/layout";
import { MAX_CANDIDATES, reserveDestination } from "../shared/destination";
import { logger } from "../shared/logger";
import {
  MoveError,
  copyExact,
  copyIsSource,
  copyMatches,
  deleteExact,
  headObject,
  putJson,
  safeMove,
  sameEtag,
  type ObjectInfo,
} from "../shared/s3-object";
import type { ReceiveContext } from "./context";
import { MessageInProgressError, MissingPayloadError } from "./errors";
import { isDuplicateDisposition, recordedOutcomeTime, routingWork, type RoutingWork } from "./inbound-facts";
import { dropStatus, moveMdn, readStatus } from "./sidecars";
import { markReceived, recordRouting, stripUndefined, type Lease, type MessageItem } from "./message-index";
import { publishReceived } from "./notify";
import { renderRecord } from "./record";
import { indexTransition, receiveTransition } from "../api/index-hooks";
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
 * Deletes a file Transfer wrote beside a payload (its status file, an MDN that has nowhere to go)
 * once what it said is in the index and the record: what stays in an agreement base directory is
 * then open work only (the reconciler's listing; lifecycle never expires current versions there).
 * On a versioned bucket the delete leaves a noncurrent version, which lifecycle expires.
 */
export async function dropStatusFile(ctx: ReceiveContext, key: string | undefined): Promise<void> {
  if (key === undefined) return;
  await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: key }));
}

/** What the invocation that started a delivery's routing knows first-hand, so it is not asked again. */
export interface FreshStart {
  /** The payload as HeadObject saw it just before its version was recorded in the index. */
  readonly source: ObjectInfo;
  /** `item.dest` was reserved in the same request that started routing (else none is reserved yet). */
  readonly reserved: boolean;
  /** Without a reservation: the first candidate worth trying (the ones before it are taken). */
  readonly from: number;
}

/**
 * Whether the inbox names of the delivery embed its message id (mftgateway's `<time>-<tag>/`), so
 * that no other message's payload can be at them.
 */
export function namesAreOwn(work: RoutingWork, item: MessageItem): boolean {
  const other = { ...item, as2MessageId: `${item.as2MessageId}#another` };
  return inboxCandidate(work, other)(0) !== inboxCandidate(work, item)(0);
}

/** The index of `key` among the candidates from `from` on (MAX_CANDIDATES when it is none of them). */
function candidateIndex(candidate: (n: number) => string, key: string, from: number): number {
  let n = from;
  while (n < MAX_CANDIDATES && candidate(n) !== key) n++;
  return n;
}

/** The candidate inbox keys of the delivery `item` recorded (0: its own name, then collision suffixes). */
export function inboxCandidate(work: RoutingWork, item: MessageItem): (n: number) => string {
  const file: RoutedFile = { route: work.route, fileName: item.fileName!, at: work.at, seed: item.as2MessageId };
  return (n) => inboxKey(work.preset, { ...file, seed: n ? `${file.seed}#${n}` : file.seed }, work.naming, n);
}

/**
 * Moves the payload `item` recorded into inbox/ and ends its routing; `lease` must be held. `fresh`
 * when this invocation has just started the routing (it knows the source and that nothing of this
 * delivery was copied yet), else it is finishing a delivery whose first attempt stopped somewhere.
 */
export async function routePayload(
  ctx: ReceiveContext,
  item: MessageItem,
  lease: Lease,
  fresh?: FreshStart,
): Promise<ReceiveOutcome> {
  const work = routingWork(ctx, item);
  const sourceKey = item.sourceKey!;
  const dest = fresh ? await moveFresh(ctx, item, lease, work, fresh) : await moveResumed(ctx, item, lease, work);

  // Transfer's MDN: where an early MDN event said, else beside the payload; maybe moved already.
  const sidecars = inboundSidecarKeys(sourceKey);
  const mdnDest = (await moveMdn(ctx, item.mdn?.sourceKey ?? sidecars.mdn, mdnKey(dest), !!fresh)) ?? item.mdnDest;
  const read = await readStatus(ctx, sidecars.status, item);
  const { status } = read;
  const disposition = item.disposition ?? status?.disposition;
  const learned = stripUndefined({
    disposition,
    subject: item.subject ?? status?.subject,
    duplicateReported: item.duplicateReported || isDuplicateDisposition(disposition) || undefined,
  });
  const final: MessageItem = stripUndefined({ ...item, ...learned, mdnDest, dest, state: "received" as const });
  // What only the status file said is recorded before the file is dropped: a takeover after a crash
  // could not read it again. Nothing new (the event said it all): no write. The MDN's key waits for
  // markReceived, since a takeover finds the MDN beside the payload again. Skipping this write drops
  // no lease check that matters: the lease (RECEIVE_LEASE_SECONDS) outlasts any holder's run, and
  // markReceived is conditional on it.
  const taught = (Object.keys(learned) as (keyof typeof learned)[]).some((k) => learned[k] !== item[k]);
  if (taught && !(await recordRouting(item, lease, learned))) {
    throw new MessageInProgressError(`message ${item.as2MessageId} changed while it was being routed; retry`);
  }
  await putJson(ctx.s3, ctx.bucket, recordKey(dest), renderRecord(final, ctx.bucket), { once: true });
  await indexTransition(receiveTransition(final));
  // Published before the state flips: a crash in between republishes the same eventId, never loses it.
  await publishReceived(ctx, final, recordedOutcomeTime(item, work));
  // Another delivery's status file (a resend stored under the same key) stays for that delivery.
  await dropStatus(ctx, sidecars.status, read);
  if (!(await markReceived(item, lease, stripUndefined({ mdnDest })))) {
    logger.warn("message index changed before it was marked received", { pk: item.pk });
  }
  logger.info("received message routed", { pk: item.pk, key: dest, size: final.size });
  return { action: "routed-to-inbox", pk: item.pk, key: dest };
}

/** How often a fresh routing meets a name that turned out to be taken before it gives up (retry later). */
const FRESH_NAMES = 3;

/**
 * The first attempt at a delivery: two requests when nothing is in the way (CopyObject,
 * DeleteObject; the name was reserved with the start of routing). No HeadObject of the source
 * (the one that pinned its version a moment ago is the check; the copy is conditional on that
 * version or ETag and answers 404/412 when it is gone or changed) and none of the destination
 * (`If-None-Match: *` on the copy answers 412 when the name holds an object, whoever wrote it:
 * this delivery has copied nothing yet, so it is not ours and the next name is reserved).
 */
async function moveFresh(
  ctx: ReceiveContext,
  item: MessageItem,
  lease: Lease,
  work: RoutingWork,
  fresh: FreshStart,
): Promise<string> {
  const candidate = inboxCandidate(work, item);
  let dest = fresh.reserved ? item.dest : undefined;
  let next = fresh.reserved ? candidateIndex(candidate, item.dest!, 0) + 1 : fresh.from;
  for (let attempt = 0; attempt < FRESH_NAMES; attempt++) {
    if (dest === undefined) {
      // Step by step from the first name not tried yet (reserveKey skips names holding an object).
      const from = next;
      dest = await reserveDestination(ctx.s3, ctx.bucket, (n) => candidate(n + from), work.owner);
      next = candidateIndex(candidate, dest, from) + 1;
      if (!(await recordRouting(item, lease, { dest }))) {
        throw new MessageInProgressError(`message ${item.as2MessageId} changed while it was being routed; retry`);
      }
    }
    const r = await copyExact(ctx.s3, ctx.bucket, fresh.source, dest);
    if (r.status === "copied") {
      if (!copyIsSource(fresh.source, r.copy))
        throw new MoveError(
          `copy of s3://${ctx.bucket}/${fresh.source.key} at ${dest} does not match its source; the source was kept`,
          "verify-failed",
        );
      // Exactly the version copied (VersionId) or, unversioned, only while it has its ETag (If-Match).
      const versionId = r.copy.sourceVersionId ?? fresh.source.versionId;
      await deleteExact(ctx.s3, ctx.bucket, { ...fresh.source, ...(versionId ? { versionId } : {}) });
      return dest;
    }
    // Gone, or replaced by a resend under the same key: nothing of this delivery was copied.
    if (r.status !== "exists") throw missingPayload(ctx, item);
    dest = undefined;
  }
  throw new MessageInProgressError(`message ${item.as2MessageId}: every inbox name tried was taken meanwhile; retry`);
}

/**
 * Finishing a delivery another invocation started (a retry, a takeover): what it got done is read
 * back from S3 (this delivery's exact source version, a copy at the recorded destination).
 */
async function moveResumed(ctx: ReceiveContext, item: MessageItem, lease: Lease, work: RoutingWork): Promise<string> {
  const sourceKey = item.sourceKey!;
  const found = await headObject(ctx.s3, ctx.bucket, sourceKey, item.sourceVersionId);
  // Only the bytes this delivery recorded: an unversioned key may hold a resend's payload by now.
  const source = found && (item.sourceEtag === undefined || sameEtag(found.etag, item.sourceEtag)) ? found : undefined;
  // A copy at the recorded destination is this delivery's own (reserved, then copied): it keeps its
  // name even when its reservation ran out while the message waited in a dead-letter queue.
  const copy = item.dest !== undefined ? await headObject(ctx.s3, ctx.bucket, item.dest) : undefined;
  const ours = copy !== undefined && (source ? copyMatches(source, copy) : sameContent(item, copy) !== false);
  if (!source && !ours) throw missingPayload(ctx, item);
  const candidate = inboxCandidate(work, item);
  // The recorded name holds another object (written there after it was reserved): the names after it.
  const after = copy !== undefined && !ours ? candidateIndex(candidate, item.dest!, 0) + 1 : 0;
  const dest = ours
    ? item.dest!
    : await reserveDestination(
        ctx.s3,
        ctx.bucket,
        (n) => candidate(n + after),
        work.owner,
        after ? undefined : item.dest,
      );
  if (dest !== item.dest && !(await recordRouting(item, lease, { dest }))) {
    throw new MessageInProgressError(`message ${item.as2MessageId} changed while it was being routed; retry`);
  }
  if (source) await safeMove(ctx.s3, ctx.bucket, source, dest);
  return dest;
}
