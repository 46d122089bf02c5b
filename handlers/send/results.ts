/**
 * Transfer's outbound results (`AS2 Payload Send Completed|Failed`, `AS2 MDN Receive Completed|Failed`)
 * applied to the ledger: success and permanent failures end the file (outcome.ts), transient
 * failures schedule a retry of the same staged file with exponential backoff. Results of an earlier
 * attempt, duplicates and out-of-order events change nothing (state conditions and transfer ids).
 */
import { OUTBOUND_WORK_ROOT, parseOutboundWorkKey, transferOutboundStatusKey } from "../../model/layout";
import { parseTransferEvent, NotATransferEvent, type TransferEvent } from "../shared/transfer-events";
import { logger } from "../shared/logger";
import { classifyFailure, isPositiveDisposition } from "./failure-classes";
import { backoffSeconds } from "./decide";
import {
  getClaim,
  getFile,
  lookupTransfer,
  update,
  updateIndexed,
  claimPk,
  filePk,
  type ClaimItem,
  type Condition,
  type FileItem,
} from "./claims";
import { finalizeFile, freshClaim, type Outcome } from "./outcome";
import { enqueue } from "./messages";
import { sendTransition } from "../api/index-hooks";
import type { SendContext } from "./context";

const OUTBOUND_TYPES = new Set([
  "AS2 Payload Send Completed",
  "AS2 Payload Send Failed",
  "AS2 MDN Receive Completed",
  "AS2 MDN Receive Failed",
]);

async function locate(ev: TransferEvent): Promise<{ claimId: string; fileName: string } | undefined> {
  const staged = ev.file?.key ? parseOutboundWorkKey(ev.file.key) : undefined;
  if (staged) return { claimId: staged.claimId, fileName: staged.fileName };
  if (!ev.transferId) return undefined;
  const t = await lookupTransfer(ev.transferId);
  if (!t) return undefined;
  const fileName = t.fileNames.length === 1 ? t.fileNames[0] : t.fileNames.find((n) => n === ev.requesterFileName);
  return fileName ? { claimId: t.claimId, fileName } : undefined;
}

export async function handleTransferEvent(ctx: SendContext, raw: unknown): Promise<void> {
  let ev: TransferEvent;
  try {
    ev = parseTransferEvent(raw);
  } catch (e) {
    if (e instanceof NotATransferEvent) {
      logger.warn("not a Transfer event; ignored", { reason: e.message });
      return;
    }
    throw e;
  }
  if (!OUTBOUND_TYPES.has(ev.detailType)) return;
  const where = await locate(ev);
  if (!where) {
    logger.warn("result for a transfer this gateway did not start; ignored", {
      detailType: ev.detailType,
      transferId: ev.transferId,
      connectorId: ev.connectorId,
    });
    return;
  }
  const mdnMode = (ev.connectorId ? ctx.routing.byConnectorId(ev.connectorId)?.mdn : undefined) ?? undefined;
  const mine = (loc?: { bucket?: string; key?: string }) =>
    loc?.key && (loc.bucket === undefined || loc.bucket === ctx.bucket) ? loc.key : undefined;
  const common = {
    transferId: ev.transferId,
    as2MessageId: ev.as2MessageId,
    disposition: ev.disposition,
    mdnMessageId: ev.mdnMessageId,
    mdnSourceKey: mine(ev.mdn),
    statusSourceKey: mine(ev.json),
  };
  const guard = transferGuard(ev.transferId);

  // Results that need nothing read first: one conditional write on the file decides (the state
  // and transfer conditions turn a duplicate, late or earlier attempt's result into a no-op).
  if (ev.detailType === "AS2 Payload Send Completed" && mdnMode !== undefined && mdnMode !== "NONE") {
    // The partner has the payload; the MDN (its receipt) decides.
    await update(filePk(where.claimId, where.fileName), {
      set: { payloadSent: true, as2MessageId: ev.as2MessageId, subject: ev.subject },
      condition: {
        ...guard,
        expression: `#state IN (:a, :b, :c) AND ${guard.expression}`,
        names: { "#state": "state" },
        values: { ...guard.values, ":a": "staged", ":b": "sending", ":c": "sent" },
      },
    });
    return;
  }
  if (ev.detailType === "AS2 MDN Receive Completed") {
    const lookup = { claimId: where.claimId, resolve: (f: FileItem) => claimOf(where.claimId, f) };
    await finalizeFile(ctx, lookup, where.fileName, mdnOutcome(ev, common), undefined, guard);
    return;
  }

  const [claim, file] = await Promise.all([getClaim(where.claimId), getFile(where.claimId, where.fileName)]);
  if (!claim || !file) {
    logger.warn("result for a claim missing from the ledger; ignored", { ...where, transferId: ev.transferId });
    return;
  }
  if (file.state === "delivered" || file.state === "failed" || file.state === "withdrawn") return; // already decided
  if (ev.transferId && (file.previousTransferIds ?? []).includes(ev.transferId)) return; // an earlier attempt's result
  if (ev.transferId && file.transferId && file.transferId !== ev.transferId) return;

  switch (ev.detailType) {
    case "AS2 Payload Send Completed":
      if ((claim.connectorId ? ctx.routing.byConnectorId(claim.connectorId)?.mdn : undefined) === "NONE") {
        await finalizeFile(ctx, claim, file.fileName, { outcome: "delivered", ...common, subject: ev.subject });
      } else {
        await update(filePk(claim.claimId, file.fileName), {
          set: { payloadSent: true, as2MessageId: ev.as2MessageId, subject: ev.subject },
          condition: {
            expression: "#state IN (:a, :b, :c)",
            names: { "#state": "state" },
            values: { ":a": "staged", ":b": "sending", ":c": "sent" },
          },
        });
      }
      return;
    default: {
      const c = classifyFailure(ev.failureCode, ev.failureMessage);
      const maxAttempts = Math.min(ctx.routing.doc.retry.maxAttempts, c.maxAttempts ?? Infinity); // small-cap codes
      const attempts = Math.max(1, file.attempts);
      if (c.class === "transient" && attempts < maxAttempts) {
        await scheduleRetry(ctx, claim, file, ev, attempts, c.code, {
          status: common.statusSourceKey,
          mdn: common.mdnSourceKey,
        });
        return;
      }
      const reason = c.class === "transient" ? `gave up after ${attempts} attempts: ${c.advice}` : c.advice;
      await finalizeFile(ctx, claim, file.fileName, {
        outcome: "failed",
        ...common,
        failureCode: c.code,
        failureMessage: ev.failureMessage ?? `Transfer reported ${ev.detailType} without a message`,
        failureReason: reason,
      });
    }
  }
}

/**
 * The claim a result's file belongs to: for the file of a one-file claim, the snapshot on the file
 * (no read), else the stored claim.
 */
async function claimOf(ref: string, file: FileItem): Promise<ClaimItem> {
  const c = file.claim;
  if (!c || c.members !== 1 || !file.sourceKey.startsWith(OUTBOUND_WORK_ROOT)) return freshClaim(ref);
  const { uploadedKey, uploadedAt, uploadedIdentity, ...same } = c;
  const member = {
    key: uploadedKey,
    etag: "",
    size: file.size,
    identity: uploadedIdentity ?? "",
    fileName: file.fileName,
  };
  return {
    ...same,
    pk: claimPk(ref),
    claimId: ref,
    state: "sent",
    members: [uploadedAt ? { ...member, lastModified: uploadedAt } : member],
  };
}

/**
 * The result is for the file's current attempt: not one of its earlier transfers, and not another
 * transfer than the one recorded (a file whose transfer id was never recorded takes it).
 */
function transferGuard(transferId: string | undefined): Condition {
  if (!transferId) return { expression: "attribute_exists(pk)" };
  return {
    expression:
      "(attribute_not_exists(transferId) OR transferId = :tid) AND (attribute_not_exists(previousTransferIds) OR NOT contains(previousTransferIds, :tid))",
    values: { ":tid": transferId },
  };
}

/** A received MDN: positive, the file is delivered; negative, it failed with the partner's disposition. */
function mdnOutcome(ev: TransferEvent, common: Omit<Outcome, "outcome">): Outcome {
  if (isPositiveDisposition(ev.disposition)) return { outcome: "delivered", ...common, subject: ev.subject };
  const c = classifyFailure("NEGATIVE_MDN");
  return {
    outcome: "failed",
    ...common,
    failureCode: c.code,
    failureMessage: `the partner's MDN says: ${ev.disposition}`,
    failureReason: c.advice,
  };
}

async function scheduleRetry(
  ctx: SendContext,
  claim: ClaimItem,
  file: FileItem,
  ev: TransferEvent,
  attempts: number,
  code: string,
  named: { readonly status: string | undefined; readonly mdn: string | undefined },
): Promise<void> {
  const delay = backoffSeconds(attempts, ctx.routing.doc.retry);
  const dueAt = new Date(ctx.now().getTime() + delay * 1000).toISOString();
  // Enqueue first: if this invocation stops before the ledger update, the event is delivered again.
  await enqueue(
    ctx.sqs,
    ctx.sendQueueUrl,
    { kind: "retry", claimId: file.claimId, fileName: file.fileName, attempt: attempts + 1, dueAt, throttled: 0 },
    delay,
  );
  const previous = [
    ...(file.previousTransferIds ?? []),
    ...(file.transferId ? [file.transferId] : ev.transferId ? [ev.transferId] : []),
  ];
  const values: Record<string, unknown> = { ":a": "staged", ":b": "sending", ":c": "sent", ":n": file.attempts };
  // This attempt's own message id: the file's may be an earlier attempt's (it is not removed on retry).
  const messageId = ev.as2MessageId ?? (file.payloadSent ? file.as2MessageId : undefined);
  const tid = file.transferId ?? ev.transferId;
  // A failed transfer's status file is in failed/; named by its ids when the event did not name it.
  const statusKey =
    named.status ??
    (tid && messageId ? transferOutboundStatusKey(file.sourceKey, "failed", tid, messageId) : undefined);
  const set = {
    state: "retrying" as const,
    attempts,
    previousTransferIds: previous,
    // Kept for the file's end, which deletes them with the staged copy in one request (drop-staging.ts).
    ...(statusKey ? { earlierStatusKeys: [...(file.earlierStatusKeys ?? []), statusKey] } : {}),
    // A negative MDN is deleted at the end, not copied: its disposition goes into the failure message,
    // which the record (latest failed attempt) and the index's retrying transition carry.
    ...(named.mdn ? { earlierMdnKeys: [...(file.earlierMdnKeys ?? []), named.mdn] } : {}),
    failureCode: code,
    failureMessage: withDisposition(ev.failureMessage, ev.disposition),
  };
  // The index shows the retry with this attempt's failure, in the same request.
  const updated = await updateIndexed(
    filePk(file.claimId, file.fileName),
    {
      set,
      remove: ["transferId", "payloadSent"],
      condition: { expression: "#state IN (:a, :b, :c) AND attempts = :n", names: { "#state": "state" }, values },
    },
    [sendTransition(claim, { ...file, ...set }, "retrying", ctx.now().toISOString())],
  );
  if (updated)
    logger.info("transient failure; retry scheduled", {
      claimId: file.claimId,
      fileName: file.fileName,
      failureCode: code,
      attempt: attempts + 1,
      delay,
    });
}

/** Transfer's failure message with the partner's MDN disposition when the message does not already hold it. */
function withDisposition(message: string | undefined, disposition: string | undefined): string | undefined {
  if (!disposition || message?.includes(disposition)) return message;
  return `${message ? `${message}; ` : ""}the partner's MDN says: ${disposition}`;
}
