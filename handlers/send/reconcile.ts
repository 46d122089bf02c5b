/**
 * The send reconciler (scheduled, every 5 minutes by default): finishes sends whose own
 * continuation or events never came. It reads open work from the table's sparse index
 * (`open-work`, by kind and age, oldest first: never a table scan):
 * - a claim staged but not sent → its continuation queued again (`resume` on the send queue): the
 *   settle function resumes it as it would have, so this function neither stages nor starts a
 *   transfer (no Transfer client in its bundle or its role);
 * - a file sent without a result past RESULT_GRACE_SECONDS → Transfer's own status file
 *   (`<staging dir>/processed|failed/<name>.<transferId>.<messageId>...json`, "file names" in
 *   Transfer's AS2 documentation, DESIGN.md) is read and the event it stands for is put on the
 *   results queue, where the result function applies it as it would have the lost one;
 *   nothing after NO_RESULT_AFTER_SECONDS → failed/ with NO_RESULT_FROM_TRANSFER.
 * What it queues again is queued at most once per REQUEUE_WINDOW_SECONDS and MAX_REQUEUES times
 * without progress (shared/open-work.ts takeRequeueTurn); then it is left open and reported stuck
 * once (an error log line and the run's `stuck` count), so the owner's dead-letter queue holds one
 * copy of it, not one per run. Its deadlines (NO_RESULT_AFTER_SECONDS) apply all the same.
 * It publishes the age of the oldest open send work and the days to the nearest certificate expiry
 * (CloudWatch embedded metric format) and records its run for `npm run gateway -- status`.
 * Received messages have their own reconciler (handlers/receive/reconcile.ts): each bundles only
 * the path it runs.
 */
import { publishCertificateExpiry } from "./certificate-expiry";
import type { Context } from "aws-lambda";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { keyBaseName, MDN_SUFFIX, RECORD_SUFFIX, transferPath } from "../../model/layout";
import { requireEnv } from "../shared/env";
import { getJson } from "../shared/s3-object";
import { logger } from "../shared/logger";
import {
  MAX_REQUEUES,
  RESULT_GRACE_SECONDS,
  heldStuck,
  oldestOpenSeconds,
  openWorkToReconcile,
  publishOldestOpenWork,
  recordRun,
  takeRequeueTurn,
} from "../shared/open-work";
import type { LedgerItem } from "../shared/ledger";
import { readStatusFile } from "../shared/transfer-events";
import { getClaim, OPEN_CLAIM, OPEN_FILE, type ClaimItem, type FileItem } from "./claims";
import { finalizeFile } from "./outcome";
import { enqueue } from "./messages";
import { sendContextWithoutTransfer, type SendContext } from "./context";

/** A send with no result from Transfer after this long fails visibly. */
export const NO_RESULT_AFTER_SECONDS = 24 * 3600;

export interface SendReconcileResult {
  readonly resumedClaims: number;
  readonly finishedFromStatus: number;
  readonly noResult: number;
  /** Claims and files this run found queued again MAX_REQUEUES times without progress (reported once). */
  readonly stuck: number;
  /** Claims and files reported stuck by an earlier run, still open. */
  readonly heldStuck: number;
  readonly errors: number;
  readonly oldestSendSeconds: number;
}

/** What changes when a claim moves on: a new mark starts its count of re-queues again. */
function claimMark(claim: Partial<ClaimItem>): string {
  return `claim:${claim.state}:${claim.throttleAttempts ?? 0}:${claim.sentChunks?.size ?? 0}`;
}

/** The same for a file: its state and attempt (a retry is a new transfer). */
function fileMark(file: Partial<FileItem>): string {
  return `file:${file.state}:${file.attempts ?? 0}:${file.transferId ?? ""}`;
}

function reportStuck(item: LedgerItem, what: string): void {
  logger.error(`${what} queued again ${MAX_REQUEUES} times without progress: left as open work for an operator`, {
    pk: item.pk,
    claimId: item.claimId,
    fileName: item.fileName,
    state: item.state,
    openSince: item.openSince,
  });
}

/** Transfer's status file for a sent file: the newest JSON beside it that names its path (and transfer). */
async function findStatusFile(ctx: SendContext, file: FileItem): Promise<{ key: string; json: unknown } | undefined> {
  const dir = file.sourceKey.slice(0, file.sourceKey.lastIndexOf("/") + 1);
  const path = transferPath(ctx.bucket, file.sourceKey);
  for (const outcome of ["processed", "failed"]) {
    const r = await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: `${dir}${outcome}/` }));
    const candidates = (r.Contents ?? [])
      .filter((o) => o.Key?.endsWith(RECORD_SUFFIX) && keyBaseName(o.Key).startsWith(file.fileName.split(".")[0]!))
      .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0));
    for (const c of candidates) {
      const json = await getJson(ctx.s3, ctx.bucket, c.Key!);
      const raw = readStatusFile(json).raw;
      if (raw["file-path"] !== undefined && raw["file-path"] !== path) continue;
      if (file.transferId && raw["transfer-id"] !== undefined && raw["transfer-id"] !== file.transferId) continue;
      return { key: c.Key!, json };
    }
  }
  return undefined;
}

/** The Transfer event a status file stands for, as the results handler takes it. */
function eventFromStatus(ctx: SendContext, file: FileItem, status: { key: string; json: unknown }): unknown {
  const s = readStatusFile(status.json);
  const failed = s.statusCode === "FAILED" || status.key.includes("/failed/");
  const detailType = failed
    ? "AS2 Payload Send Failed"
    : s.disposition
      ? "AS2 MDN Receive Completed"
      : "AS2 Payload Send Completed";
  const mdnKey = `${status.key.slice(0, -RECORD_SUFFIX.length)}${MDN_SUFFIX}`;
  return {
    source: "aws.transfer",
    "detail-type": detailType,
    id: `reconciler-${status.key}`,
    time: typeof s.raw.timestamp === "string" ? s.raw.timestamp : ctx.now().toISOString(),
    detail: {
      ...s.raw,
      "transfer-id": s.raw["transfer-id"] ?? file.transferId,
      "status-code": s.statusCode ?? (failed ? "FAILED" : "COMPLETED"),
      "s3-attributes": {
        "file-bucket": ctx.bucket,
        "file-key": `/${file.sourceKey}`,
        "json-bucket": ctx.bucket,
        "json-key": `/${status.key}`,
        ...(detailType === "AS2 MDN Receive Completed" ? { "mdn-bucket": ctx.bucket, "mdn-key": `/${mdnKey}` } : {}),
      },
    },
  };
}

async function reconcileFile(
  ctx: SendContext,
  file: FileItem,
  now: Date,
): Promise<"status" | "no-result" | "stuck" | "waiting"> {
  const claim = await getClaim(file.claimId);
  if (!claim) return "waiting";
  if (file.state === "delivering" || file.state === "failing") {
    // An outcome decided but not completed: finalizeFile finishes what was decided (the outcome
    // given here is not applied: no file is in the state it is allowed from).
    await finalizeFile(
      ctx,
      claim,
      file.fileName,
      { outcome: "failed", failureCode: "", failureMessage: "", failureReason: "" },
      ["__decided__"],
    );
    return "status";
  }
  if (file.state !== "sent") return "waiting";
  const sentAt = Date.parse(file.lastAttemptTime ?? file.outcomeAt ?? claim.claimedAt);
  if (now.getTime() - sentAt < RESULT_GRACE_SECONDS * 1000) return "waiting";
  const status = await findStatusFile(ctx, file);
  if (status) {
    const turn = await takeRequeueTurn(file.pk, file, fileMark(file), now, { open: true });
    if (turn === "stuck") return "stuck";
    if (turn !== "requeue") return "waiting";
    // As the lost event: the result function's own retries and dead-letter queue then hold it.
    await ctx.sqs.send(
      new SendMessageCommand({
        QueueUrl: requireEnv("RESULTS_QUEUE_URL"),
        MessageBody: JSON.stringify(eventFromStatus(ctx, file, status)),
      }),
    );
    return "status";
  }
  if (now.getTime() - sentAt < NO_RESULT_AFTER_SECONDS * 1000) return "waiting";
  await finalizeFile(ctx, claim, file.fileName, {
    outcome: "failed",
    ...(file.transferId ? { transferId: file.transferId } : {}),
    failureCode: "NO_RESULT_FROM_TRANSFER",
    failureMessage: `Transfer Family reported no result for this file within ${NO_RESULT_AFTER_SECONDS / 3600} h of StartFileTransfer${file.unconfirmed ? " (the call's answer was lost: it may not have been sent)" : ""}, and wrote no status file`,
    failureReason:
      "Ask the partner whether the message arrived (AS2 message id in the record, if any) before sending it again with `npm run gateway -- resend <customer> <this failed path>`.",
  });
  return "no-result";
}

export async function reconcile(ctx: SendContext): Promise<SendReconcileResult> {
  const now = ctx.now();
  const before = new Date(now.getTime() - RESULT_GRACE_SECONDS * 1000).toISOString();
  let resumedClaims = 0;
  let finishedFromStatus = 0;
  let noResult = 0;
  let stuck = 0;
  let errors = 0;
  const claims = await openWorkToReconcile(OPEN_CLAIM, before, (i) => heldStuck(i, claimMark(i)));
  for (const item of claims.items) {
    try {
      const turn = await takeRequeueTurn(item.pk, item, claimMark(item), now, { open: true });
      if (turn === "stuck") {
        stuck++;
        reportStuck(item, "staged claim");
      }
      if (turn !== "requeue") continue;
      await enqueue(ctx.sqs, ctx.sendQueueUrl, { kind: "resume", claimId: String(item.claimId) });
      resumedClaims++;
    } catch (e) {
      errors++;
      logger.warn("claim could not be resumed", { claimId: item.claimId, error: (e as Error).message });
    }
  }
  const files = await openWorkToReconcile(OPEN_FILE, before, (i) => heldStuck(i, fileMark(i)));
  for (const item of files.items) {
    try {
      const r = await reconcileFile(ctx, item as unknown as FileItem, now);
      if (r === "status") finishedFromStatus++;
      if (r === "no-result") noResult++;
      if (r === "stuck") {
        stuck++;
        reportStuck(item, "result of a sent file");
      }
    } catch (e) {
      errors++;
      logger.warn("sent file could not be reconciled", { pk: item.pk, error: (e as Error).message });
    }
  }
  const oldestSendSeconds = Math.max(await oldestOpenSeconds(OPEN_CLAIM, now), await oldestOpenSeconds(OPEN_FILE, now));
  const result: SendReconcileResult = {
    resumedClaims,
    finishedFromStatus,
    noResult,
    stuck,
    heldStuck: claims.held + files.held,
    errors,
    oldestSendSeconds,
  };
  publishOldestOpenWork(ctx.customer, "send", oldestSendSeconds, now);
  // Here only: one metric per customer, and the send side holds the routing document's certificates.
  publishCertificateExpiry(ctx.customer, ctx.routing.doc.certificates, now);
  await recordRun("send", now, ctx.bucket, result);
  if (resumedClaims || finishedFromStatus || noResult || stuck || errors)
    logger.info("send reconciler finished open work", { ...result });
  return result;
}

export async function handler(_event: unknown, _context?: Context): Promise<SendReconcileResult> {
  return reconcile(await sendContextWithoutTransfer());
}
