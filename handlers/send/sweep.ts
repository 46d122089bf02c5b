/**
 * Scheduled safety net: files under the send prefix that are older than their settle time are
 * put on the send queue again, so a lost S3 event delays a file but never loses it (and files
 * waiting when the gateway is deployed are picked up). Bounded per run; a cursor in the ledger
 * makes successive runs walk a large backlog instead of re-reading its first page.
 */
import type { Context } from "aws-lambda";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SEND_PREFIX, parseSendKey, sendBatchPrefix } from "../../model/layout";
import { getItem, tableClient, tableName } from "../shared/ledger";
import { toAttributes } from "../shared/attribute-values";
import { logger } from "../shared/logger";
import { sendContextWithoutTransfer as sendContext, type SendContext } from "./context";
import { remainingSettleSeconds, routeOf } from "./decide";
import type { PipelineMessage } from "./messages";

/** Files looked at per run (the schedule runs every few minutes). */
export const SWEEP_MAX_OBJECTS = 1000;
/** A file this much past its settle time has missed its event (the event path takes seconds). */
export const SWEEP_GRACE_SECONDS = 60;
const CURSOR_PK = "sweep#cursor";

export interface SweepResult {
  readonly listed: number;
  readonly enqueued: number;
  readonly complete: boolean;
}

export async function sweep(ctx: SendContext, maxObjects = SWEEP_MAX_OBJECTS): Promise<SweepResult> {
  const cursor = (await getItem(CURSOR_PK))?.startAfter as string | undefined;
  const now = ctx.now();
  const { fileSeconds, directorySeconds } = ctx.routing.doc.settle;
  const messages = new Map<string, PipelineMessage>();
  let listed = 0;
  let token: string | undefined;
  let last: string | undefined;
  let complete = false;
  do {
    const r = await ctx.s3.send(
      new ListObjectsV2Command({
        Bucket: ctx.bucket,
        Prefix: SEND_PREFIX,
        MaxKeys: Math.min(1000, maxObjects - listed),
        ...(token ? { ContinuationToken: token } : cursor ? { StartAfter: cursor } : {}),
      }),
    );
    for (const o of r.Contents ?? []) {
      listed++;
      last = o.Key;
      if (!o.Key || o.Key.endsWith("/") || !o.LastModified) continue;
      const parsed = parseSendKey(o.Key);
      if (parsed.ok && parsed.value.batch !== undefined) {
        if (remainingSettleSeconds(o.LastModified, now, directorySeconds + SWEEP_GRACE_SECONDS) > 0) continue;
        const prefix = sendBatchPrefix(routeOf(parsed.value), parsed.value.batch);
        messages.set(`b:${prefix}`, { kind: "batch", bucket: ctx.bucket, prefix });
      } else {
        if (remainingSettleSeconds(o.LastModified, now, fileSeconds + SWEEP_GRACE_SECONDS) > 0) continue;
        messages.set(`f:${o.Key}`, { kind: "file", bucket: ctx.bucket, key: o.Key, etag: o.ETag, exact: true });
      }
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
    if (!r.IsTruncated) complete = true;
  } while (token && listed < maxObjects);
  const batch = [...messages.values()];
  for (let i = 0; i < batch.length; i += 10) {
    const entries = batch.slice(i, i + 10).map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) }));
    const r = await ctx.sqs.send(new SendMessageBatchCommand({ QueueUrl: ctx.sendQueueUrl, Entries: entries }));
    if (r.Failed?.length)
      throw new Error(
        `${r.Failed.length} sweep message(s) were not accepted by the send queue (${r.Failed.map((f) => f.Code).join(", ")})`,
      );
  }
  await tableClient().send(
    new PutItemCommand({
      TableName: tableName(),
      Item: toAttributes({ pk: CURSOR_PK, ...(complete || !last ? {} : { startAfter: last }) }),
    }),
  );
  if (batch.length) logger.info("sweep re-queued waiting uploads", { listed, enqueued: batch.length, complete });
  return { listed, enqueued: batch.length, complete };
}

export async function handler(_event: unknown, _context?: Context): Promise<SweepResult> {
  return sweep(await sendContext());
}
