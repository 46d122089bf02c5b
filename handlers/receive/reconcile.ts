/**
 * The receive reconciler (scheduled, every 5 minutes by default): finishes received messages whose
 * event or routing never completed.
 * - a received message whose routing stopped (open work `receive-message`, lease run out) →
 *   finished from its index item (routing-lease.ts);
 * - a received payload still in `_gateway/inbound/` past the grace time → the event Transfer's
 *   status file beside it stands for is put on the receive queue, where the receive function routes
 *   it as it would have the lost one (so this function bundles no event handling of its own).
 * A lost event is queued again at most once per REQUEUE_WINDOW_SECONDS and MAX_REQUEUES times for
 * one payload (shared/open-work.ts takeRequeueTurn, on an item of its own: `requeue#<key>`); then
 * the payload is left where it is and reported stuck once (an error log line and the run's `stuck`
 * count), so the receive dead-letter queue holds one copy of its event, not one per run.
 * It publishes the age of the oldest open receive work (CloudWatch embedded metric format) and
 * records its run for `npm run gateway -- status`. Sends have their own reconciler
 * (handlers/send/reconcile.ts): each bundles only the path it runs.
 */
import type { Context } from "aws-lambda";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { INBOUND_WORK_ROOT, isSidecarKey, MDN_SUFFIX, RECORD_SUFFIX } from "../../model/layout";
import { now as clock } from "../shared/clock";
import { expiresIn, getItem } from "../shared/ledger";
import { requireEnv } from "../shared/env";
import { getJson } from "../shared/s3-object";
import { logger } from "../shared/logger";
import {
  MAX_REQUEUES,
  REQUEUE_ITEM_DAYS,
  RESULT_GRACE_SECONDS,
  oldestOpenSeconds,
  openWork,
  publishOldestOpenWork,
  recordRun,
  requeuePk,
  takeRequeueTurn,
} from "../shared/open-work";
import { readStatusFile } from "../shared/transfer-events";
import type { ReceiveContext } from "./context";
import { defaultContext } from "./handler";
import { OPEN_RECEIVE } from "./message-index";
import { resumeRouting } from "./routing-lease";

export interface ReceiveReconcileResult {
  /** Messages whose stopped routing this run finished. */
  readonly receivedRouted: number;
  /** Lost events of payloads left in the base directories, put on the receive queue. */
  readonly lostEventsQueued: number;
  /** Payloads whose event this run found queued again MAX_REQUEUES times without an end (reported once). */
  readonly stuck: number;
  /** Payloads reported stuck by an earlier run, still in their base directory. */
  readonly heldStuck: number;
  readonly errors: number;
  readonly oldestReceiveSeconds: number;
}

/** Messages whose routing stopped (their payload may already be out of the base directory). */
async function resumeStoppedRouting(rctx: ReceiveContext, now: Date): Promise<{ routed: number; errors: number }> {
  let routed = 0;
  let errors = 0;
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
  return { routed, errors };
}

type Listed = { Key?: string; LastModified?: Date; ETag?: string };

async function listInboundWork(rctx: ReceiveContext): Promise<Listed[]> {
  const listed: Listed[] = [];
  let token: string | undefined;
  do {
    // Every page: what stays in the base directories is open work only (routing drops the rest).
    const r = await rctx.s3.send(
      new ListObjectsV2Command({ Bucket: rctx.bucket, Prefix: INBOUND_WORK_ROOT, ContinuationToken: token }),
    );
    listed.push(...(r.Contents ?? []));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return listed;
}

let sqs: SQSClient | undefined;

export async function reconcile(rctx: ReceiveContext): Promise<ReceiveReconcileResult> {
  const now = rctx.now();
  const resumed = await resumeStoppedRouting(rctx, now);
  const routed = resumed.routed;
  let queued = 0;
  let stuck = 0;
  let heldStuck = 0;
  let errors = resumed.errors;
  let oldest = await oldestOpenSeconds(OPEN_RECEIVE, now);
  for (const o of await listInboundWork(rctx)) {
    const key = o.Key ?? "";
    const m = /^(.*\/)(processed|failed)\/[^/]+$/.exec(key);
    if (!m || key.endsWith(RECORD_SUFFIX) || key.endsWith(MDN_SUFFIX) || isSidecarKey(key)) continue;
    const age = Math.floor((now.getTime() - (o.LastModified?.getTime() ?? now.getTime())) / 1000);
    oldest = Math.max(oldest, age);
    if (age < RESULT_GRACE_SECONDS) continue;
    const partner = rctx.routing.doc.partners.find((p) => p.inboundPrefix === m[1]);
    if (!partner) continue;
    try {
      // Its turn first (a payload replaced under the same key is new work: its ETag is the mark).
      const pk = requeuePk(key);
      const turn = await takeRequeueTurn(pk, await getItem(pk), o.ETag ?? "", now, {
        open: false,
        expiresAt: expiresIn(REQUEUE_ITEM_DAYS, now.getTime()),
      });
      if (turn === "held") heldStuck++;
      if (turn === "stuck") {
        stuck++;
        logger.error(
          `lost event of a received payload queued again ${MAX_REQUEUES} times and the payload is still there: left for an operator`,
          { key, since: o.LastModified?.toISOString() },
        );
      }
      if (turn !== "requeue") continue;
      const status = readStatusFile(await getJson(rctx.s3, rctx.bucket, `${key}${RECORD_SUFFIX}`));
      const failed = m[2] === "failed";
      const event = {
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
      };
      // As the lost event: the receive function's own retries and dead-letter queue then hold it.
      sqs ??= new SQSClient({});
      await sqs.send(
        new SendMessageCommand({ QueueUrl: requireEnv("RECEIVE_QUEUE_URL"), MessageBody: JSON.stringify(event) }),
      );
      queued++;
    } catch (e) {
      errors++;
      logger.warn("lost event of a received payload could not be queued again", { key, error: (e as Error).message });
    }
  }
  const result: ReceiveReconcileResult = {
    receivedRouted: routed,
    lostEventsQueued: queued,
    stuck,
    heldStuck,
    errors,
    oldestReceiveSeconds: oldest,
  };
  publishOldestOpenWork(rctx.routing.doc.customer, "receive", oldest, now);
  await recordRun("receive", now, rctx.bucket, result);
  if (routed || queued || stuck || errors) logger.info("receive reconciler finished open work", { ...result });
  return result;
}

export async function handler(_event: unknown, _context?: Context): Promise<ReceiveReconcileResult> {
  // Leases are judged by the reconciler's clock (the shared one, which tests move).
  return reconcile({ ...(await defaultContext()), now: clock });
}
