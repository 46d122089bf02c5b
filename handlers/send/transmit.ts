/**
 * StartFileTransfer for a staged claim (≤ 10 paths per call) and for a file's retry. A lease on the
 * claim (or file) makes one invocation send at a time; throttling and Transfer's own 5xx are retried
 * later through the queue with backoff (never by sleeping in the function), and when they outlive
 * their retries the files go to failed/ with the reason.
 */
import { randomUUID } from "node:crypto";
import { StartFileTransferCommand } from "@aws-sdk/client-transfer";
import { OUTBOUND_WORK_ROOT, transferPath } from "../../model/layout";
import { logger } from "../shared/logger";
import { chunks, backoffSeconds, THROTTLE_RETRY } from "./decide";
import { START_FILE_TRANSFER_REJECTED_ADVICE, THROTTLED_RETRIES_EXHAUSTED_ADVICE } from "./gateway-failures";
import {
  update,
  stateIn,
  getClaim,
  getFiles,
  recordRetryStarted,
  recordStarted,
  recordTransfer,
  updateIndexed,
  claimPk,
  CLOSE_OPEN_WORK,
  filePk,
  type ClaimItem,
  type FileItem,
} from "./claims";
import { sendTransition } from "../api/index-hooks";
import { enqueue, type RetryMessage } from "./messages";
import type { SendContext } from "./context";

/** A send in progress longer than this belongs to an invocation that stopped (Lambda timeout < 5 min). */
export const SEND_LEASE_SECONDS = 300;

type CallResult = { ok: true; transferId: string } | { ok: false; retryable: boolean; code: string; message: string };

function isRetryable(e: unknown): boolean {
  const err = e as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (
    err.name === "ThrottlingException" ||
    err.name === "ServiceUnavailableException" ||
    err.name === "InternalServiceError"
  )
    return true;
  if (err.$retryable) return true;
  return (err.$metadata?.httpStatusCode ?? 0) >= 500;
}

async function startTransfer(ctx: SendContext, connectorId: string, keys: readonly string[]): Promise<CallResult> {
  try {
    const r = await ctx.transfer.send(
      new StartFileTransferCommand({
        ConnectorId: connectorId,
        SendFilePaths: keys.map((k) => transferPath(ctx.bucket, k)),
      }),
    );
    if (!r.TransferId)
      return {
        ok: false,
        retryable: true,
        code: "NO_TRANSFER_ID",
        message: "StartFileTransfer returned no transfer id",
      };
    return { ok: true, transferId: r.TransferId };
  } catch (e) {
    const err = e as Error;
    return { ok: false, retryable: isRetryable(e), code: err.name ?? "Error", message: err.message ?? String(e) };
  }
}

function throttledOut(attempts: number, last: { code: string; message: string }) {
  return {
    outcome: "failed" as const,
    failureCode: "THROTTLED_RETRIES_EXHAUSTED",
    failureMessage: `StartFileTransfer did not succeed after ${attempts} attempts (last: ${last.code}: ${last.message})`,
    failureReason: THROTTLED_RETRIES_EXHAUSTED_ADVICE,
  };
}

function rejected(last: { code: string; message: string }) {
  return {
    outcome: "failed" as const,
    failureCode: "START_FILE_TRANSFER_REJECTED",
    failureMessage: `StartFileTransfer was refused: ${last.code}: ${last.message}`,
    failureReason: START_FILE_TRANSFER_REJECTED_ADVICE,
  };
}

/**
 * Files of a chunk whose StartFileTransfer may have been called by an invocation that stopped before
 * it recorded the transfer id: they are "sent, unconfirmed". Their outcome comes from Transfer's
 * events (located by the staged key) or, when those never come, from the reconciler reading
 * Transfer's status file; sending them again could deliver the invoice twice.
 */
async function markUnconfirmed(claimId: string, files: readonly FileItem[], at: Date): Promise<void> {
  for (const f of files) {
    await update(filePk(claimId, f.fileName), {
      set: { state: "sent", unconfirmed: true, attempts: 1, lastAttemptTime: at.toISOString() },
      condition: stateIn(["staged"]),
    });
  }
  logger.warn("a stopped invocation may have started these transfers: waiting for their outcome, not resending", {
    claimId,
    files: files.map((f) => f.fileName),
  });
}

/** Sends the staged files of a claim that have not been sent yet. */
export async function transmitClaim(ctx: SendContext, claimId: string): Promise<void> {
  const now = ctx.now();
  const staleBefore = new Date(now.getTime() - SEND_LEASE_SECONDS * 1000).toISOString();
  const leaseId = randomUUID();
  const claim = await update<ClaimItem>(claimPk(claimId), {
    set: { state: "sending", sendingAt: now.toISOString(), leaseId },
    condition: {
      expression: "#state = :staged OR (#state = :sending AND sendingAt < :stale)",
      names: { "#state": "state" },
      values: { ":staged": "staged", ":sending": "sending", ":stale": staleBefore },
    },
  });
  if (!claim) {
    const current = await getClaim(claimId);
    if (current?.state === "sending") {
      // Another invocation is sending (or stopped): look again once its lease has run out.
      const leaseLeft = Math.max(
        1,
        SEND_LEASE_SECONDS - Math.floor((now.getTime() - Date.parse(current.sendingAt ?? now.toISOString())) / 1000),
      );
      await enqueue(ctx.sqs, ctx.sendQueueUrl, { kind: "resume", claimId }, leaseLeft);
    }
    return;
  }
  await sendChunks(ctx, claim, await getFiles(claim), { leaseId, at: now }, false);
}

/**
 * Sends the chunks of a claim held under `lease` that have not been sent. `firstIntentWritten`:
 * the caller recorded the intent of chunk 0 itself (claims.recordStaged), so it is this
 * invocation's, not one left by an invocation that stopped.
 */
export async function sendChunks(
  ctx: SendContext,
  claim: ClaimItem,
  files: readonly FileItem[],
  lease: { leaseId: string; at: Date },
  firstIntentWritten: boolean,
): Promise<void> {
  const { claimId } = claim;
  const { leaseId, at: now } = lease;
  const byName = new Map(files.map((f) => [f.fileName, f]));
  const sendable = claim.members
    .map((m) => byName.get(m.fileName))
    // Stable across runs (chunk numbers must not shift): withdrawn files, and files that never
    // reached staging (unreadable uploads, failed where they lie), are not sent.
    .filter(
      (f): f is FileItem => f !== undefined && f.state !== "withdrawn" && f.sourceKey.startsWith(OUTBOUND_WORK_ROOT),
    );
  const sent = claim.sentChunks ?? new Set<string>();
  const groups = chunks(sendable);
  let closed = false;
  for (const [i, group] of groups.entries()) {
    if (sent.has(String(i))) continue;
    // After a stopped invocation: a chunk whose files already have results was sent.
    if (group.some((f) => f.state !== "staged")) {
      await update(claimPk(claimId), { add: { sentChunks: new Set([String(i)]) } });
      continue;
    }
    const ours = firstIntentWritten && i === 0;
    if (!ours && claim.intents?.has(String(i))) {
      await markUnconfirmed(claimId, group, now);
      await update(claimPk(claimId), { add: { sentChunks: new Set([String(i)]) } });
      continue;
    }
    // The intent, under the lease: if another invocation took the lease over, this one stops here.
    if (!ours) {
      const intent = await update(claimPk(claimId), {
        add: { intents: new Set([String(i)]) },
        condition: { expression: "leaseId = :lease", values: { ":lease": leaseId } },
      });
      if (!intent) {
        logger.warn("send lease lost to another invocation; stopping", { claimId });
        return;
      }
    }
    const r = await startTransfer(
      ctx,
      claim.connectorId!,
      group.map((f) => f.sourceKey),
    );
    if (r.ok) {
      const fileNames = group.map((f) => f.fileName);
      const last = i === groups.length - 1;
      // The index's `sending` is StartFileTransfer's answer, recorded with it.
      const sending = group.map((f) =>
        sendTransition(claim, { ...f, attempts: 1, lastAttemptTime: now.toISOString() }, "sending", now.toISOString()),
      );
      if (await recordStarted({ claimId, chunk: i, transferId: r.transferId, fileNames, last, at: now }, sending)) {
        closed = last;
      } else {
        // A result came first (or the claim moved on): each write on its own, each conditional.
        await recordTransfer(r.transferId, claimId, fileNames, now.getTime());
        for (const f of group) {
          await update(filePk(claimId, f.fileName), {
            set: { state: "sent", transferId: r.transferId, attempts: 1, lastAttemptTime: now.toISOString() },
            condition: stateIn(["staged"]),
          });
        }
        await update(claimPk(claimId), { add: { sentChunks: new Set([String(i)]) } });
      }
      logger.info("transfer started", { claimId, transferId: r.transferId, files: group.length });
      continue;
    }
    if (r.retryable) {
      const attempts = (claim.throttleAttempts ?? 0) + 1;
      if (attempts < THROTTLE_RETRY.maxAttempts) {
        const delay = backoffSeconds(attempts, THROTTLE_RETRY);
        logger.warn("StartFileTransfer throttled or unavailable; retrying later", {
          claimId,
          attempts,
          delay,
          code: r.code,
        });
        await enqueue(ctx.sqs, ctx.sendQueueUrl, { kind: "resume", claimId }, delay);
        // The call answered with an error: nothing was started, so the intent is withdrawn.
        await update(claimPk(claimId), {
          set: { state: "staged", throttleAttempts: attempts, lastError: `${r.code}: ${r.message}` },
          remove: ["intents", "leaseId"],
          condition: stateIn(["sending"]),
        });
        return;
      }
      for (const rest of groups.slice(i)) {
        for (const f of rest) await ctx.ending.fail(claim, f.fileName, throttledOut(attempts, r), ["staged"]);
      }
      break;
    }
    for (const f of group) await ctx.ending.fail(claim, f.fileName, rejected(r), ["staged"]);
    await update(claimPk(claimId), { add: { sentChunks: new Set([String(i)]) } });
  }
  if (closed) return;
  await update(claimPk(claimId), {
    set: { state: "sent" },
    remove: [...CLOSE_OPEN_WORK, "leaseId"],
    condition: stateIn(["sending"]),
  });
}

/** Sends one file again after a transient failure (the same staged file, a new AS2 message). */
export async function retryFile(ctx: SendContext, msg: RetryMessage): Promise<void> {
  const now = ctx.now();
  if (msg.dueAt && Date.parse(msg.dueAt) > now.getTime()) {
    await enqueue(ctx.sqs, ctx.sendQueueUrl, msg, (Date.parse(msg.dueAt) - now.getTime()) / 1000);
    return;
  }
  const claim = await getClaim(msg.claimId);
  if (!claim) return;
  const staleBefore = new Date(now.getTime() - SEND_LEASE_SECONDS * 1000).toISOString();
  // State `sending` is the intent: it is written before StartFileTransfer is called.
  const file = await update<FileItem>(filePk(msg.claimId, msg.fileName), {
    set: { state: "sending", sendingAt: now.toISOString() },
    condition: {
      expression: "attempts = :prev AND #state = :retrying",
      names: { "#state": "state" },
      values: { ":prev": msg.attempt - 1, ":retrying": "retrying" },
    },
  });
  if (!file) {
    // A stale `sending` is an invocation that stopped after its intent: the transfer may have
    // started, so its outcome is awaited (events, reconciler) instead of sending a second copy.
    const taken = await update<FileItem>(filePk(msg.claimId, msg.fileName), {
      set: { state: "sent", unconfirmed: true, attempts: msg.attempt, lastAttemptTime: now.toISOString() },
      condition: {
        expression: "attempts = :prev AND #state = :sending AND sendingAt < :stale",
        names: { "#state": "state" },
        values: { ":prev": msg.attempt - 1, ":sending": "sending", ":stale": staleBefore },
      },
    });
    if (taken) logger.warn("a stopped retry may have started its transfer: waiting for its outcome", { ...msg });
    return; // otherwise a duplicate retry message, or the file moved on
  }
  const r = await startTransfer(ctx, claim.connectorId!, [file.sourceKey]);
  if (r.ok) {
    const sending = sendTransition(
      claim,
      { ...file, attempts: msg.attempt, lastAttemptTime: now.toISOString() },
      "sending",
      now.toISOString(),
    );
    if (!(await recordRetryStarted(msg.claimId, msg.fileName, r.transferId, msg.attempt, now, [sending]))) {
      // The file moved on meanwhile (its outcome came first): the transfer is indexed all the same.
      await recordTransfer(r.transferId, msg.claimId, [msg.fileName], now.getTime());
    }
    logger.info("transfer retried", {
      claimId: msg.claimId,
      fileName: msg.fileName,
      attempt: msg.attempt,
      transferId: r.transferId,
    });
    return;
  }
  if (r.retryable && msg.throttled + 1 < THROTTLE_RETRY.maxAttempts) {
    const delay = backoffSeconds(msg.throttled + 1, THROTTLE_RETRY);
    await enqueue(
      ctx.sqs,
      ctx.sendQueueUrl,
      { ...msg, throttled: msg.throttled + 1, dueAt: new Date(now.getTime() + delay * 1000).toISOString() },
      delay,
    );
    const retrying = sendTransition(
      claim,
      { ...file, failureCode: r.code, failureReason: r.message },
      "retrying",
      now.toISOString(),
    );
    await updateIndexed(
      filePk(msg.claimId, msg.fileName),
      { set: { state: "retrying" }, condition: stateIn(["sending"]) },
      [retrying],
    );
    return;
  }
  await ctx.ending.fail(claim, msg.fileName, r.retryable ? throttledOut(msg.throttled + 1, r) : rejected(r), [
    "sending",
  ]);
}
