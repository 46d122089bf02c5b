/**
 * The reconciler (scheduled, every 5 minutes by default): finishes work whose own continuation or
 * events never came. It reads open work from the table's sparse index (`open-work`, by kind and
 * age, oldest first: never a table scan) and the agreement base directories (a listing):
 * - a claim staged but not sent → resumed (advance);
 * - a file sent without a result past RESULT_GRACE_SECONDS → Transfer's own status file
 *   (`<staging dir>/processed|failed/<name>.<transferId>.<messageId>...json`, "file names" in
 *   Transfer's AS2 documentation, DESIGN.md) is read and applied as the event it stands for;
 *   nothing after NO_RESULT_AFTER_SECONDS → failed/ with NO_RESULT_FROM_TRANSFER;
 * - a received message whose routing stopped (open work `receive-message`, lease run out) →
 *   finished from its index item (handlers/receive/routing-lease.ts);
 * - a received payload still in `_gateway/inbound/` past the grace time → routed from its status
 *   file as its lost event would have been.
 * It publishes the age of the oldest open work per direction (CloudWatch embedded metric format)
 * and records its last run for `npm run gateway -- status`.
 */
import { publishCertificateExpiry } from "./certificate-expiry";
import type { Context } from "aws-lambda";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import {
  INBOUND_WORK_ROOT,
  isSidecarKey,
  keyBaseName,
  MDN_SUFFIX,
  RECORD_SUFFIX,
  transferPath,
} from "../../model/layout";
import { OLDEST_OPEN_WORK_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import { OPEN_WORK_INDEX } from "../../model/open-work";
import { getJson } from "../shared/s3-object";
import { tableClient, tableName, type LedgerItem } from "../shared/ledger";
import { fromAttributes, toAttributes } from "../shared/attribute-values";
import { logger } from "../shared/logger";
import { readStatusFile } from "../shared/transfer-events";
import { defaultContext as receiveContext } from "../receive/handler";
import { processTransferEvent } from "../receive/process-event";
import { OPEN_RECEIVE } from "../receive/message-index";
import { resumeRouting } from "../receive/routing-lease";
import type { ReceiveContext } from "../receive/context";
import { getClaim, OPEN_CLAIM, OPEN_FILE, type FileItem } from "./claims";
import { finalizeFile } from "./outcome";
import { handleTransferEvent } from "./results";
import { advance } from "./stage";
import { sendContext, type SendContext } from "./context";

/** Work younger than this is left to its own continuation and events. */
export const RESULT_GRACE_SECONDS = 15 * 60;
/** A send with no result from Transfer after this long fails visibly. */
export const NO_RESULT_AFTER_SECONDS = 24 * 3600;
/** Items looked at per kind and run (the schedule runs every few minutes). */
export const RECONCILE_MAX_ITEMS = 200;
export const LAST_RUN_PK = "reconciler#lastRun";

export interface ReconcileResult {
  readonly resumedClaims: number;
  readonly finishedFromStatus: number;
  readonly noResult: number;
  readonly receivedRouted: number;
  readonly errors: number;
  readonly oldestSendSeconds: number;
  readonly oldestReceiveSeconds: number;
}

/** Open items of one kind, oldest first, opened before `before` (undefined: all). */
export async function openWork(kind: string, before?: string, limit = RECONCILE_MAX_ITEMS): Promise<LedgerItem[]> {
  const r = await tableClient().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: OPEN_WORK_INDEX.name,
      KeyConditionExpression: before ? "#k = :k AND #s < :before" : "#k = :k",
      ExpressionAttributeNames: {
        "#k": OPEN_WORK_INDEX.partitionKey,
        ...(before ? { "#s": OPEN_WORK_INDEX.sortKey } : {}),
      },
      ExpressionAttributeValues: toAttributes({ ":k": kind, ...(before ? { ":before": before } : {}) }),
      ScanIndexForward: true,
      Limit: limit,
    }),
  );
  return (r.Items ?? []).map((i) => fromAttributes(i) as LedgerItem);
}

/** Seconds since the oldest open item of `kind` was opened (0 when none). */
export async function oldestOpenSeconds(kind: string, now: Date): Promise<number> {
  const [oldest] = await openWork(kind, undefined, 1);
  const since = oldest?.[OPEN_WORK_INDEX.sortKey];
  return typeof since === "string" ? Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000)) : 0;
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

async function reconcileFile(ctx: SendContext, file: FileItem, now: Date): Promise<"status" | "no-result" | "waiting"> {
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
    await handleTransferEvent(ctx, eventFromStatus(ctx, file, status));
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

/** Received payloads still in the agreement base directories: routed as their (lost) event would have. */
async function reconcileReceived(
  rctx: ReceiveContext,
  now: Date,
): Promise<{ routed: number; errors: number; oldest: number }> {
  let routed = 0;
  let errors = 0;
  // Messages whose routing stopped (their payload may already be out of the base directory).
  const before = new Date(now.getTime() - RESULT_GRACE_SECONDS * 1000).toISOString();
  for (const item of await openWork(OPEN_RECEIVE, before)) {
    try {
      if ((await resumeRouting(rctx, item.pk)) === "finished") routed++;
    } catch (e) {
      errors++;
      logger.warn("stopped routing of a received message could not be finished", {
        pk: item.pk,
        error: (e as Error).message,
      });
    }
  }
  let oldest = await oldestOpenSeconds(OPEN_RECEIVE, now);
  const listed: { Key?: string; LastModified?: Date }[] = [];
  let token: string | undefined;
  do {
    // Every page: what stays in the base directories is open work only (routing drops the rest).
    const r = await rctx.s3.send(
      new ListObjectsV2Command({ Bucket: rctx.bucket, Prefix: INBOUND_WORK_ROOT, ContinuationToken: token }),
    );
    listed.push(...(r.Contents ?? []));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  for (const o of listed) {
    const key = o.Key ?? "";
    const m = /^(.*\/)(processed|failed)\/[^/]+$/.exec(key);
    if (!m || key.endsWith(RECORD_SUFFIX) || key.endsWith(MDN_SUFFIX) || isSidecarKey(key)) continue;
    const age = Math.floor((now.getTime() - (o.LastModified?.getTime() ?? now.getTime())) / 1000);
    oldest = Math.max(oldest, age);
    if (age < RESULT_GRACE_SECONDS) continue;
    const partner = rctx.routing.doc.partners.find((p) => p.inboundPrefix === m[1]);
    if (!partner) continue;
    try {
      const status = readStatusFile(await getJson(rctx.s3, rctx.bucket, `${key}${RECORD_SUFFIX}`));
      const failed = m[2] === "failed";
      await processTransferEvent(rctx, {
        source: "aws.transfer",
        "detail-type": failed ? "AS2 Payload Receive Failed" : "AS2 Payload Receive Completed",
        id: `reconciler-${key}`,
        time: typeof status.raw.timestamp === "string" ? status.raw.timestamp : o.LastModified?.toISOString(),
        detail: {
          ...status.raw,
          "agreement-id": partner.agreementId,
          "status-code": status.statusCode ?? (failed ? "FAILED" : "COMPLETED"),
          "start-timestamp": status.raw["start-timestamp"] ?? status.raw.timestamp ?? o.LastModified?.toISOString(),
          "s3-attributes": {
            "file-bucket": rctx.bucket,
            "file-key": `/${key}`,
            "json-bucket": rctx.bucket,
            "json-key": `/${key}${RECORD_SUFFIX}`,
          },
        },
      });
      routed++;
    } catch (e) {
      errors++;
      logger.warn("received payload could not be finished by the reconciler", { key, error: (e as Error).message });
    }
  }
  return { routed, errors, oldest };
}

/** CloudWatch embedded metric format: one line on stdout becomes a metric, no API call. */
function publishOldest(customer: string, direction: "send" | "receive", seconds: number, at: Date): void {
  process.stdout.write(
    `${JSON.stringify({
      _aws: {
        Timestamp: at.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: gatewayMetricNamespace(customer),
            Dimensions: [["Customer", "Direction"]],
            Metrics: [{ Name: OLDEST_OPEN_WORK_METRIC, Unit: "Seconds" }],
          },
        ],
      },
      Customer: customer,
      Direction: direction,
      [OLDEST_OPEN_WORK_METRIC]: seconds,
    })}\n`,
  );
}

export async function reconcile(ctx: SendContext, rctx?: ReceiveContext): Promise<ReconcileResult> {
  const now = ctx.now();
  const before = new Date(now.getTime() - RESULT_GRACE_SECONDS * 1000).toISOString();
  let resumedClaims = 0;
  let finishedFromStatus = 0;
  let noResult = 0;
  let errors = 0;
  for (const item of await openWork(OPEN_CLAIM, before)) {
    try {
      await advance(ctx, String(item.claimId));
      resumedClaims++;
    } catch (e) {
      errors++;
      logger.warn("claim could not be resumed", { claimId: item.claimId, error: (e as Error).message });
    }
  }
  for (const item of await openWork(OPEN_FILE, before)) {
    try {
      const r = await reconcileFile(ctx, item as unknown as FileItem, now);
      if (r === "status") finishedFromStatus++;
      if (r === "no-result") noResult++;
    } catch (e) {
      errors++;
      logger.warn("sent file could not be reconciled", { pk: item.pk, error: (e as Error).message });
    }
  }
  // Leases are judged by the reconciler's clock.
  const received = rctx ? await reconcileReceived({ ...rctx, now: ctx.now }, now) : { routed: 0, errors: 0, oldest: 0 };
  const oldestSendSeconds = Math.max(await oldestOpenSeconds(OPEN_CLAIM, now), await oldestOpenSeconds(OPEN_FILE, now));
  const result: ReconcileResult = {
    resumedClaims,
    finishedFromStatus,
    noResult,
    receivedRouted: received.routed,
    errors: errors + received.errors,
    oldestSendSeconds,
    oldestReceiveSeconds: received.oldest,
  };
  publishOldest(ctx.customer, "send", oldestSendSeconds, now);
  publishOldest(ctx.customer, "receive", received.oldest, now);
  publishCertificateExpiry(ctx.customer, ctx.routing.doc.certificates, now);
  await tableClient().send(
    new PutItemCommand({
      TableName: tableName(),
      Item: toAttributes({ pk: LAST_RUN_PK, at: now.toISOString(), bucket: ctx.bucket, ...result }),
    }),
  );
  if (resumedClaims || finishedFromStatus || noResult || received.routed || result.errors)
    logger.info("reconciler finished open work", { ...result });
  return result;
}

export async function handler(_event: unknown, _context?: Context): Promise<ReconcileResult> {
  return reconcile(await sendContext(), await receiveContext());
}
