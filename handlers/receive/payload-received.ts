/**
 * `AS2 Payload Receive Completed`: the payload moves from the agreement base directory to the
 * partner's inbox/ under its original name, with Transfer's MDN and a JSON record beside it.
 * The message index makes it happen once per message, whatever the event and partner repeat.
 */
import { failedKey, inboundSidecarKeys, inboxKey, mdnKey, recordKey, type RoutedFile } from "../../model/layout";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { getJson, headObject, isPreconditionFailed, putJson, safeMove, type ObjectInfo } from "../shared/s3-object";
import { getItem } from "../shared/ledger";
import { readStatusFile, type TransferEvent } from "../shared/transfer-events";
import { logger } from "../shared/logger";
import type { ReceiveContext } from "./context";
import { MAX_CANDIDATES, destinationPk, reserveDestination } from "../shared/destination";
import { MessageInProgressError, MissingPayloadError } from "./errors";
import { inboundFacts, isDuplicateDisposition, itemFields, outcomeTime, type InboundFacts } from "./inbound-facts";
import { createMessage, getMessage, stripUndefined, updateMessage, type MessageItem } from "./message-index";
import { publishReceived } from "./notify";
import { renderRecord } from "./record";
import type { ReceiveOutcome } from "./outcome";

const ATTEMPTS = 3;

export async function onPayloadReceived(ctx: ReceiveContext, ev: TransferEvent): Promise<ReceiveOutcome> {
  const f = inboundFacts(ctx, ev, { requireMessageId: true, requireFile: true });
  const sourceKey = f.sourceKey!;
  let item = await getMessage(f.pk);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (!item || item.state === "pending") {
      const source = await headObject(ctx.s3, ctx.bucket, sourceKey);
      if (!source) throw missing(ctx, f);
      const fields = { ...itemFields(f), ...sourceFields(source), state: "routing" as const };
      const claimed = item
        ? await updateMessage(f.pk, fields, { state: "pending" })
        : await createMessage({ pk: f.pk, ...fields });
      item = await getMessage(f.pk);
      if (claimed) return route(ctx, f, item!, source);
      continue;
    }
    if (item.state === "routing") {
      if (item.occurrence !== f.occurrence) {
        throw new MessageInProgressError(
          `message ${f.as2MessageId} (agreement ${f.agreementId}) is being routed by another delivery; retry later`,
        );
      }
      return route(ctx, f, item, await headObject(ctx.s3, ctx.bucket, sourceKey));
    }
    if (item.occurrence === f.occurrence)
      return { action: "already-done", pk: f.pk, ...(item.dest ? { key: item.dest } : {}) };
    if (item.state === "failed") {
      // The partner resent a message that failed before: this delivery is the one that counts now.
      const source = await headObject(ctx.s3, ctx.bucket, sourceKey);
      if (!source) throw missing(ctx, f);
      const reset: Partial<MessageItem> = {
        dest: undefined,
        mdn: undefined,
        mdnDest: undefined,
        failureCode: undefined,
        failureMessage: undefined,
        size: undefined,
      };
      const claimed = await updateMessage(
        f.pk,
        { ...reset, ...itemFields(f), ...sourceFields(source), state: "routing" },
        { state: "failed", occurrence: item.occurrence },
      );
      item = await getMessage(f.pk);
      if (claimed) return route(ctx, f, item!, source);
      continue;
    }
    return duplicate(ctx, f, item);
  }
  throw new MessageInProgressError(
    `message ${f.as2MessageId} (agreement ${f.agreementId}) changed during ${ATTEMPTS} attempts; retry later`,
  );
}

function missing(ctx: ReceiveContext, f: InboundFacts): MissingPayloadError {
  return new MissingPayloadError(
    `payload s3://${ctx.bucket}/${f.sourceKey} of message ${f.as2MessageId} (agreement ${f.agreementId}) does not exist and no copy of it was routed; nothing was moved`,
  );
}

function sourceFields(o: ObjectInfo): Partial<MessageItem> {
  return stripUndefined({ sourceEtag: o.etag, size: o.size, sourceChecksum: o.checksum, sourceSse: o.sse });
}

function routedFile(f: InboundFacts, item: MessageItem): RoutedFile {
  return { route: f.route, fileName: item.fileName ?? f.fileName, at: f.at, seed: f.as2MessageId };
}

/** Reads Transfer's status file, which may not be there yet (a Completed event may say PROCESSING). */
async function statusOf(
  ctx: ReceiveContext,
  key: string | undefined,
): Promise<ReturnType<typeof readStatusFile> | undefined> {
  if (key === undefined) return undefined;
  try {
    const json = await getJson(ctx.s3, ctx.bucket, key);
    return json === undefined ? undefined : readStatusFile(json);
  } catch (e) {
    logger.warn("unreadable Transfer status file", { key, error: (e as Error).message });
    return undefined;
  }
}

async function route(
  ctx: ReceiveContext,
  f: InboundFacts,
  item: MessageItem,
  source: ObjectInfo | undefined,
): Promise<ReceiveOutcome> {
  const owner = `${f.pk}#${f.occurrence}`;
  if (!source) {
    // Gone: an earlier attempt moved it, if a verified copy is where that attempt put it.
    const copy = item.dest !== undefined ? await headObject(ctx.s3, ctx.bucket, item.dest) : undefined;
    if (!copy || (item.size !== undefined && copy.size !== item.size)) throw missing(ctx, f);
  }
  const file = routedFile(f, item);
  const dest = await reserveDestination(
    ctx.s3,
    ctx.bucket,
    (n) => inboxKey(f.preset, { ...file, seed: n ? `${file.seed}#${n}` : file.seed }, f.naming, n),
    owner,
    item.dest,
  );
  const updates: Record<string, unknown> = { dest, ...(source ? sourceFields(source) : {}) };
  if (!(await updateMessage(f.pk, updates, { state: "routing", occurrence: f.occurrence }))) {
    throw new MessageInProgressError(`message ${f.as2MessageId} changed while it was being routed; retry`);
  }
  if (source) await safeMove(ctx.s3, ctx.bucket, source, dest);

  // Transfer's MDN: where an early MDN event said, else beside the payload; maybe moved already.
  const sidecars = inboundSidecarKeys(f.sourceKey!);
  const mdnSource = await headObject(ctx.s3, ctx.bucket, item.mdn?.sourceKey ?? sidecars.mdn);
  let mdnDest = item.mdnDest;
  if (mdnSource) {
    await safeMove(ctx.s3, ctx.bucket, mdnSource, mdnKey(dest));
    mdnDest = mdnKey(dest);
  } else if (await headObject(ctx.s3, ctx.bucket, mdnKey(dest))) {
    mdnDest = mdnKey(dest);
  }
  const status = await statusOf(ctx, sidecars.status);
  const disposition = item.disposition ?? status?.disposition;
  const final: MessageItem = stripUndefined({
    ...item,
    ...updates,
    dest,
    mdnDest,
    disposition,
    subject: item.subject ?? status?.subject,
    duplicateReported: item.duplicateReported || isDuplicateDisposition(disposition) || undefined,
    state: "received" as const,
  });
  await updateMessage(
    f.pk,
    stripUndefined({
      mdnDest,
      disposition: final.disposition,
      subject: final.subject,
      duplicateReported: final.duplicateReported,
    }),
    { state: "routing", occurrence: f.occurrence },
  );
  await putJson(ctx.s3, ctx.bucket, recordKey(dest), renderRecord(final, ctx.bucket), { once: true });
  // Published before the state flips: a crash in between republishes the same eventId, never loses it.
  await publishReceived(ctx, final, outcomeTime(f));
  if (!(await updateMessage(f.pk, { state: "received" }, { state: "routing", occurrence: f.occurrence }))) {
    logger.warn("message index changed before it was marked received", { pk: f.pk });
  }
  logger.info("received message routed", { pk: f.pk, key: dest, size: final.size });
  return { action: "routed-to-inbox", pk: f.pk, key: dest };
}

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
  if (source && !dest && sameContent(first, source) === true) {
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
  dest ??= await reserveDestination(ctx.s3, ctx.bucket, candidate, owner);
  const moved = source
    ? (await safeMove(ctx.s3, ctx.bucket, source, dest)).to
    : await headObject(ctx.s3, ctx.bucket, dest);
  const kept: MessageItem = stripUndefined({
    ...(itemFields(f) as MessageItem),
    pk: f.pk,
    state: "failed" as const,
    dest,
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
  return { action: "duplicate-kept-in-failed", pk: f.pk, key: dest };
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
