/**
 * Routing one failed delivery (`AS2 Payload Receive Failed`) into `failed/<timestamp>/`: whatever
 * Transfer kept, with a record whose `reason` holds the failure code and message, from what the
 * index item recorded (a takeover has no event of it).
 */
import { failedKey, recordKey, type RoutedFile } from "../../model/layout";
import { reserveDestination } from "../shared/destination";
import { logger } from "../shared/logger";
import { getJson, headObject, putJson, safeMove } from "../shared/s3-object";
import { readStatusFile } from "../shared/transfer-events";
import type { ReceiveContext } from "./context";
import { MessageInProgressError } from "./errors";
import { recordedOutcomeTime, routingWork } from "./inbound-facts";
import { markFailed, recordRouting, stripUndefined, type Lease, type MessageItem } from "./message-index";
import { publishReceived } from "./notify";
import { renderRecord } from "./record";
import type { ReceiveOutcome } from "./outcome";
import { dropStatusFile } from "./route-payload";

/**
 * `lease` undefined: a failed resend of a message already routed, reported on its own without an
 * index item of its own (`item` is built from its event and never stored).
 */
export async function routeFailure(ctx: ReceiveContext, item: MessageItem, lease?: Lease): Promise<ReceiveOutcome> {
  const work = routingWork(ctx, item);
  const file: RoutedFile = { route: work.route, fileName: item.fileName!, at: work.at, seed: item.as2MessageId };
  // What an earlier attempt wrote at the recorded destination keeps its name even when the
  // reservation ran out (the writes below are conditional: they never replace anything else).
  const started =
    item.dest !== undefined &&
    ((await headObject(ctx.s3, ctx.bucket, item.dest)) ?? (await headObject(ctx.s3, ctx.bucket, recordKey(item.dest))));
  const dest = started
    ? item.dest
    : await reserveDestination(ctx.s3, ctx.bucket, (n) => failedKey(work.preset, file, n), work.owner, item.dest);
  if (lease && dest !== item.dest && !(await recordRouting(item, lease, { dest }))) {
    throw new MessageInProgressError(`message ${item.as2MessageId} changed while it was being routed; retry`);
  }
  const source = item.sourceKey !== undefined ? await headObject(ctx.s3, ctx.bucket, item.sourceKey) : undefined;
  const kept = source
    ? (await safeMove(ctx.s3, ctx.bucket, source, dest)).to
    : await headObject(ctx.s3, ctx.bucket, dest);
  let status: ReturnType<typeof readStatusFile> | undefined;
  if (item.statusKey !== undefined) {
    try {
      const json = await getJson(ctx.s3, ctx.bucket, item.statusKey);
      status = json === undefined ? undefined : readStatusFile(json);
    } catch (e) {
      logger.warn("unreadable Transfer status file", { key: item.statusKey, error: (e as Error).message });
    }
  }
  const learned = stripUndefined({
    size: kept?.size,
    failureCode: item.failureCode ?? status?.failureCode,
    failureMessage: item.failureMessage ?? status?.failureMessage,
    subject: item.subject ?? status?.subject,
  });
  const final: MessageItem = stripUndefined({
    ...item,
    ...learned,
    size: kept?.size,
    dest,
    sourceEtag: source?.etag ?? item.sourceEtag,
    state: "failed" as const,
  });
  if (lease && !(await recordRouting(item, lease, learned))) {
    throw new MessageInProgressError(`message ${item.as2MessageId} changed while it was being routed; retry`);
  }
  await putJson(ctx.s3, ctx.bucket, recordKey(dest), renderRecord(final, ctx.bucket), { once: true });
  await publishReceived(ctx, final, recordedOutcomeTime(item, work));
  await dropStatusFile(ctx, item.statusKey);
  if (lease && !(await markFailed(item, lease))) {
    logger.warn("message index changed before it was marked failed", { pk: item.pk });
  }
  logger.info("failed receipt routed", {
    pk: item.pk,
    key: dest,
    failureCode: final.failureCode,
    kept: kept !== undefined,
  });
  return { action: "routed-to-failed", pk: item.pk, key: dest };
}
