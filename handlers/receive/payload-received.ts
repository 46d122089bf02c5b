/**
 * `AS2 Payload Receive Completed`: the payload moves from the agreement base directory to the
 * partner's inbox/ under its original name, with Transfer's MDN and a JSON record beside it.
 * The message index makes it happen once per message, whatever the event and partner repeat.
 */
import { failedKey, inboundSidecarKeys, mdnKey, recordKey, type RoutedFile } from "../../model/layout";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { copyMatches, headObject, isPreconditionFailed, putJson, safeMove, type ObjectInfo } from "../shared/s3-object";
import { getItem } from "../shared/ledger";
import type { TransferEvent } from "../shared/transfer-events";
import { logger } from "../shared/logger";
import type { ReceiveContext } from "./context";
import { MAX_CANDIDATES, destinationPk, reserveDestination } from "../shared/destination";
import { MessageInProgressError, MissingPayloadError } from "./errors";
import { inboundFacts, itemFields, outcomeTime, routingWork, type InboundFacts } from "./inbound-facts";
import {
  getMessage,
  handOverRouting,
  newLease,
  startRoutingReserved,
  stripUndefined,
  type MessageItem,
} from "./message-index";
import { publishReceived } from "./notify";
import { renderRecord } from "./record";
import type { ReceiveOutcome } from "./outcome";
import { dropStatusFile, inboxCandidate, namesAreOwn, sameContent, sourceFields } from "./route-payload";
import { routeHeld, takeOver } from "./routing-lease";

const ATTEMPTS = 3;

/** What a new delivery clears of the one recorded before it (stripUndefined keeps the rest). */
const RESET: Partial<MessageItem> = {
  dest: undefined,
  mdn: undefined,
  mdnDest: undefined,
  failureCode: undefined,
  failureMessage: undefined,
  size: undefined,
  sourceVersionId: undefined,
  sourceChecksum: undefined,
  sourceSse: undefined,
  statusKey: undefined,
};

export async function onPayloadReceived(ctx: ReceiveContext, ev: TransferEvent): Promise<ReceiveOutcome> {
  const f = inboundFacts(ctx, ev, { requireMessageId: true, requireFile: true });
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const item = await getMessage(f.pk);
    if (!item || item.state === "pending" || (item.state === "failed" && item.occurrence !== f.occurrence)) {
      // New, or only its MDN was known, or the partner resent a message that failed before: this
      // delivery is the one that counts.
      const { fields, source } = await delivery(ctx, f, item?.state === "failed");
      const now = ctx.now();
      const lease = newLease(now);
      const from = item
        ? { state: item.state as "pending" | "failed", occurrence: item.occurrence }
        : { state: "absent" as const };
      const first = await firstName(ctx, { ...fields, pk: f.pk } as MessageItem);
      const started = await startRoutingReserved(f.pk, fields, from, lease, now, first.free);
      if (!started) continue;
      const routing = started.written ?? (await getMessage(f.pk))!;
      return routeHeld(ctx, routing, lease, { source, reserved: started.reserved, from: first.next });
    }
    if (item.state === "routing") {
      const lease = await takeOver(ctx, item);
      if (!lease) continue;
      if (item.occurrence === f.occurrence) return routeHeld(ctx, item, lease);
      // Another delivery of this message stopped while routing it: finish that one first, then
      // this one is judged against it (next attempt).
      try {
        await routeHeld(ctx, item, lease);
      } catch (e) {
        if (!(e instanceof MissingPayloadError)) throw e;
        // Nothing of that delivery is left to route (its payload is gone, no copy reached
        // inbox/): this delivery becomes the one that counts.
        const next = newLease(ctx.now());
        if (await handOverRouting(item, next, (await delivery(ctx, f, true)).fields, ctx.now()))
          return routeHeld(ctx, (await getMessage(f.pk))!, next);
      }
      continue;
    }
    if (item.occurrence === f.occurrence)
      return { action: "already-done", pk: f.pk, ...(item.dest ? { key: item.dest } : {}) };
    return duplicate(ctx, f, item);
  }
  throw new MessageInProgressError(
    `message ${f.as2MessageId} (agreement ${f.agreementId}) changed during ${ATTEMPTS} attempts; retry later`,
  );
}

/**
 * The inbox name reserved with the start of routing, when it can be: `free` (undefined: none) and
 * the candidate the router reserves from otherwise. A name that embeds this message's id
 * (mftgateway's `<time>-<tag>/`) is nobody else's, so no request checks it: an object there can
 * only be one a user put at exactly this message's key, and the copy's `If-None-Match: *` answers
 * 412 for it. A name any message may get (as2gateway's plain, folder and prefix names) is looked at
 * first, as reserveKey does: once reserved and recorded, an object there that matches the payload
 * counts as this delivery's own copy (a retry's proof), which holds only if the name was free.
 */
async function firstName(
  ctx: ReceiveContext,
  item: MessageItem,
): Promise<{ free?: { key: string; owner: string }; next: number }> {
  const work = routingWork(ctx, item);
  const key = inboxCandidate(work, item)(0);
  if (!namesAreOwn(work, item) && (await headObject(ctx.s3, ctx.bucket, key))) return { next: 1 };
  return { free: { key, owner: work.owner }, next: 0 };
}

/**
 * The index fields of this delivery, its payload's exact version included, and the payload as
 * HeadObject saw it. This HeadObject stays: the event names a key, not a version or ETag (its
 * `s3-attributes` are bucket and key of the file, the status JSON and the MDN only: AWS Transfer
 * Family user guide, "AS2 events"), and the index must pin this delivery's bytes before anyone moves
 * them, since a resend of the same message id may be stored under the same key and a takeover must
 * move these bytes and no other. Its answer then serves the copy's conditions (no second HeadObject
 * of the source).
 */
async function delivery(
  ctx: ReceiveContext,
  f: InboundFacts,
  replacing: boolean,
): Promise<{ fields: Partial<MessageItem>; source: ObjectInfo }> {
  const source = await headObject(ctx.s3, ctx.bucket, f.sourceKey!);
  if (!source) throw missing(ctx, f);
  return {
    fields: { ...(replacing ? RESET : {}), ...itemFields(f), ...sourceFields(source), routingTo: "inbox" },
    source,
  };
}

function missing(ctx: ReceiveContext, f: InboundFacts): MissingPayloadError {
  return new MissingPayloadError(
    `payload s3://${ctx.bucket}/${f.sourceKey} of message ${f.as2MessageId} (agreement ${f.agreementId}) does not exist and no copy of it was routed; nothing was moved`,
  );
}

/**
 * The partner delivered a message id that is already in inbox/. Identical bytes: the copy in the
 * base directory is dropped (the inbox holds it). Different or unprovable: it is kept in failed/
 * with a reason, so nothing is lost and the inbox still has one entry per message id.
 */
async function duplicate(ctx: ReceiveContext, f: InboundFacts, first: MessageItem): Promise<ReceiveOutcome> {
  const source = await headObject(ctx.s3, ctx.bucket, f.sourceKey!);
  const file: RoutedFile = { route: f.route, fileName: f.fileName, at: f.at, seed: f.as2MessageId };
  const owner = `${f.pk}#${f.occurrence}`;
  const candidate = (n: number) => failedKey(f.preset, file, n);
  let dest = await keyReservedBy(candidate, owner);
  if (!source && !dest) return { action: "duplicate-event", pk: f.pk };
  const sidecars = inboundSidecarKeys(f.sourceKey!);
  if (source && !dest && sameContent(first, source) === true) {
    // Its MDN and status file describe bytes the inbox already holds: they go first, so that a
    // retry after a crash still finds the payload and finishes the job.
    await dropStatusFile(ctx, sidecars.mdn);
    await dropStatusFile(ctx, sidecars.status);
    try {
      await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: source.key, IfMatch: source.etag }));
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      // Changed after the comparison: the next delivery of this event judges it again.
      throw new MessageInProgressError(`resend of ${f.as2MessageId} changed while being discarded; retry`);
    }
    logger.info("identical resend of a received message discarded", { pk: f.pk, inbox: first.dest });
    return { action: "duplicate-discarded", pk: f.pk, ...(first.dest ? { key: first.dest } : {}) };
  }
  // A copy an earlier attempt made keeps its name even when its reservation ran out meanwhile.
  if (!dest && source) dest = await copyAlreadyAt(ctx, candidate, source);
  dest ??= await reserveDestination(ctx.s3, ctx.bucket, candidate, owner);
  const moved = source
    ? (await safeMove(ctx.s3, ctx.bucket, source, dest)).to
    : await headObject(ctx.s3, ctx.bucket, dest);
  // The MDN we sent for this delivery stays with it.
  const mdnSource = await headObject(ctx.s3, ctx.bucket, sidecars.mdn);
  if (mdnSource) await safeMove(ctx.s3, ctx.bucket, mdnSource, mdnKey(dest));
  const mdnDest = mdnSource || (await headObject(ctx.s3, ctx.bucket, mdnKey(dest))) ? mdnKey(dest) : undefined;
  const kept: MessageItem = stripUndefined({
    ...(itemFields(f) as MessageItem),
    pk: f.pk,
    state: "failed" as const,
    dest,
    mdnDest,
    ...(moved ? { size: moved.size } : {}),
    failureCode: "DUPLICATE_MESSAGE_ID",
    failureMessage: `the partner sent message id ${f.as2MessageId} again with content that cannot be shown to be identical; the first delivery is ${first.dest ?? "in the inbox"}`,
  });
  const note = "AS2 message ids are unique: compare both files before processing this one";
  await putJson(
    ctx.s3,
    ctx.bucket,
    recordKey(dest),
    renderRecord(kept, ctx.bucket, { duplicateOf: { ...(first.dest ? { key: first.dest } : {}), note } }),
    { once: true },
  );
  await publishReceived(ctx, kept, outcomeTime(f));
  await dropStatusFile(ctx, sidecars.status);
  return { action: "duplicate-kept-in-failed", pk: f.pk, key: dest };
}

/** The candidate key (taken ones only: they are reserved in order) already holding a copy of `source`. */
async function copyAlreadyAt(
  ctx: ReceiveContext,
  candidate: (n: number) => string,
  source: ObjectInfo,
): Promise<string | undefined> {
  for (let n = 0; n < MAX_CANDIDATES; n++) {
    const there = await headObject(ctx.s3, ctx.bucket, candidate(n));
    if (!there) return undefined;
    if (copyMatches(source, there)) return candidate(n);
  }
  return undefined;
}

/** The candidate key `owner` reserved in an earlier attempt, if any. */
async function keyReservedBy(candidate: (n: number) => string, owner: string): Promise<string | undefined> {
  for (let n = 0; n < MAX_CANDIDATES; n++) {
    const r = await getItem<{ pk: string; owner: string }>(destinationPk(candidate(n)));
    if (!r) return undefined;
    if (r.owner === owner) return candidate(n);
  }
  return undefined;
}
