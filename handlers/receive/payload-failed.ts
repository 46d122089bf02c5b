/**
 * `AS2 Payload Receive Failed`: whatever Transfer kept (the payload, if any) moves to
 * `failed/<timestamp>/` of the partner with a record whose `reason` holds the failure code and
 * message, and MESSAGE.RECEIVED.FAILED tells the user.
 */
import { failedKey, recordKey, type RoutedFile } from "../../model/layout";
import { getJson, headObject, putJson, safeMove } from "../shared/s3-object";
import { readStatusFile, type TransferEvent } from "../shared/transfer-events";
import { logger } from "../shared/logger";
import type { ReceiveContext } from "./context";
import { reserveDestination } from "../shared/destination";
import { MessageInProgressError } from "./errors";
import { inboundFacts, itemFields, outcomeTime, type InboundFacts } from "./inbound-facts";
import { createMessage, getMessage, stripUndefined, updateMessage, type MessageItem } from "./message-index";
import { publishReceived } from "./notify";
import { renderRecord } from "./record";
import type { ReceiveOutcome } from "./outcome";

export async function onPayloadFailed(ctx: ReceiveContext, ev: TransferEvent): Promise<ReceiveOutcome> {
  const f = inboundFacts(ctx, ev, { requireMessageId: false, requireFile: false });
  let item = await getMessage(f.pk);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!item || item.state === "pending") {
      const fields = { ...itemFields(f), state: "routing" as const };
      const claimed = item
        ? await updateMessage(f.pk, fields, { state: "pending" })
        : await createMessage({ pk: f.pk, ...fields });
      item = await getMessage(f.pk);
      if (claimed) return routeFailure(ctx, f, item!, true);
      continue;
    }
    if (item.state === "routing") {
      if (item.occurrence !== f.occurrence)
        throw new MessageInProgressError(`message ${f.as2MessageId} is being routed by another delivery; retry later`);
      return routeFailure(ctx, f, item, true);
    }
    if (item.occurrence === f.occurrence)
      return { action: "already-done", pk: f.pk, ...(item.dest ? { key: item.dest } : {}) };
    // Another delivery of a message already routed (a resend that failed): reported on its own,
    // without touching what the index says about the delivery that counts.
    return routeFailure(ctx, f, { pk: f.pk, ...itemFields(f), state: "routing" } as MessageItem, false);
  }
  throw new MessageInProgressError(`message ${f.as2MessageId} changed during 3 attempts; retry later`);
}

async function routeFailure(
  ctx: ReceiveContext,
  f: InboundFacts,
  item: MessageItem,
  indexed: boolean,
): Promise<ReceiveOutcome> {
  const owner = `${f.pk}#${f.occurrence}`;
  const file: RoutedFile = { route: f.route, fileName: item.fileName ?? f.fileName, at: f.at, seed: f.as2MessageId };
  const dest = await reserveDestination(ctx.s3, ctx.bucket, (n) => failedKey(f.preset, file, n), owner, item.dest);
  if (
    indexed &&
    dest !== item.dest &&
    !(await updateMessage(f.pk, { dest }, { state: "routing", occurrence: f.occurrence }))
  ) {
    throw new MessageInProgressError(`message ${f.as2MessageId} changed while it was being routed; retry`);
  }
  const source = f.sourceKey !== undefined ? await headObject(ctx.s3, ctx.bucket, f.sourceKey) : undefined;
  const kept = source
    ? (await safeMove(ctx.s3, ctx.bucket, source, dest)).to
    : await headObject(ctx.s3, ctx.bucket, dest);
  let status: ReturnType<typeof readStatusFile> | undefined;
  if (f.statusKey !== undefined) {
    try {
      const json = await getJson(ctx.s3, ctx.bucket, f.statusKey);
      status = json === undefined ? undefined : readStatusFile(json);
    } catch (e) {
      logger.warn("unreadable Transfer status file", { key: f.statusKey, error: (e as Error).message });
    }
  }
  const final: MessageItem = stripUndefined({
    ...item,
    dest,
    size: kept?.size,
    sourceEtag: source?.etag ?? item.sourceEtag,
    failureCode: item.failureCode ?? status?.failureCode,
    failureMessage: item.failureMessage ?? status?.failureMessage,
    subject: item.subject ?? status?.subject,
    state: "failed" as const,
  });
  if (indexed) {
    await updateMessage(
      f.pk,
      stripUndefined({
        size: final.size,
        failureCode: final.failureCode,
        failureMessage: final.failureMessage,
        subject: final.subject,
      }),
      { state: "routing", occurrence: f.occurrence },
    );
  }
  await putJson(ctx.s3, ctx.bucket, recordKey(dest), renderRecord(final, ctx.bucket), { once: true });
  await publishReceived(ctx, final, outcomeTime(f));
  if (indexed && !(await updateMessage(f.pk, { state: "failed" }, { state: "routing", occurrence: f.occurrence }))) {
    logger.warn("message index changed before it was marked failed", { pk: f.pk });
  }
  logger.info("failed receipt routed", {
    pk: f.pk,
    key: dest,
    failureCode: final.failureCode,
    kept: kept !== undefined,
  });
  return { action: "routed-to-failed", pk: f.pk, key: dest };
}
