/**
 * The end of a send: the payload, Transfer's MDN and a record go to `outbox/` or `failed/`, and
 * once every file of the claim has an outcome, one domain event reports the claim (a batch is
 * reported as one). Each step is idempotent: the destination is fixed in the ledger before any
 * copy, copies are repeatable, the source is deleted last, and the event id is stable.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  outboxKey,
  failedKey,
  safeFailedName,
  unroutedFailedKey,
  mdnKey,
  recordKey,
  OUTBOUND_WORK_ROOT,
  type LayoutPreset,
  type Route,
} from "../../model/layout";
import { domainEvent, type DomainEvent } from "../../model/events";
import { copyExact, copyIsSource, deleteExact, headObject, putJson } from "../shared/s3-object";
import { reserveDestination } from "../shared/destination";
import { publishDomainEvents } from "../shared/domain-events";
import { clean, outboundIdOfMember, sendTransition } from "../api/index-hooks";
import { logger } from "../shared/logger";
import { decideOutcome } from "./decision";
import { dropStaging } from "./drop-staging";
import { isUnreadable, unreadableOutcome } from "./unreadable";
import type { Ending, HandOffMessage } from "./hand-off";
import {
  update,
  stateIn,
  getFile,
  getFiles,
  getClaim,
  claimPk,
  recordSingleOutcome,
  releaseObjects,
  updateIndexed,
  CLOSE_OPEN_WORK,
  type ClaimItem,
  type Condition,
  type FileItem,
  FINAL_FILE_STATES,
} from "./claims";

export interface OutcomeContext {
  readonly s3: S3Client;
  readonly eventBridge: EventBridgeClient;
  readonly bucket: string;
  readonly eventBus: string;
  readonly customer: string;
  readonly preset: LayoutPreset;
  readonly now: () => Date;
}

/** What Transfer told about a sent file, whichever way it ended. */
interface TransferFacts {
  readonly transferId?: string;
  readonly as2MessageId?: string;
  readonly disposition?: string;
  readonly mdnMessageId?: string;
  readonly mdnSourceKey?: string;
  readonly statusSourceKey?: string;
}

export interface Delivered extends TransferFacts {
  readonly outcome: "delivered";
  readonly subject?: string;
}

export interface Failed extends TransferFacts {
  readonly outcome: "failed";
  readonly failureCode: string;
  readonly failureMessage: string;
  /** What a person should do about it. */
  readonly failureReason: string;
}

export type Outcome = Delivered | Failed;

/** States from which a file may still reach an outcome. */
const OPEN_STATES = ["staged", "sending", "sent", "retrying"] as const;

function routeOf(claim: ClaimItem): Route {
  return { station: claim.station, partner: claim.partner, test: claim.test };
}

/** A claim the caller has not read: `resolve` finds it once the file is known. */
export interface ClaimLookup {
  readonly claimId: string;
  readonly resolve: (file: FileItem) => Promise<ClaimItem>;
}

/**
 * Gives one file its outcome. Returns the file as it ends up (or undefined when the file was not in a
 * state that allows it: a duplicate or superseded event).
 *
 * @param claimRef the claim, or how to find it when the caller has not read it
 * @param guard a further condition on the file (the transfer a result belongs to)
 */
export async function finalizeFile(
  ctx: OutcomeContext,
  claimRef: ClaimItem | ClaimLookup,
  fileName: string,
  outcome: Outcome,
  allowedFrom: readonly string[] = OPEN_STATES,
  guard?: Condition,
): Promise<FileItem | undefined> {
  const { claimId } = claimRef;
  let file = await decideOutcome(claimId, fileName, outcome, ctx.now().toISOString(), allowedFrom, guard);
  const decided = file !== undefined;
  if (!file) {
    const current = await getFile(claimId, fileName);
    if (!current && "resolve" in claimRef) {
      // The caller went by the staged key alone: a result for a file this gateway has no record of.
      logger.warn("result for a claim missing from the ledger; ignored", { claimId, fileName });
      return undefined;
    }
    if (!current) throw new Error(`no ledger entry for ${fileName} of claim ${claimId}`);
    if (current.state === "delivering" || current.state === "failing") {
      file = current; // an earlier attempt stopped half-way: finish what it decided
    } else if ((FINAL_FILE_STATES as readonly string[]).includes(current.state)) {
      await report(ctx, claimId, fileName);
      return current;
    } else {
      logger.info("outcome ignored: file is not in a state that takes it", {
        claimId,
        fileName,
        state: current.state,
        outcome: outcome.outcome,
      });
      return undefined;
    }
  }
  return completeOrMeetWinner(ctx, "resolve" in claimRef ? await claimRef.resolve(file) : claimRef, file, decided);
}

/** A copy this invocation made that is not its source: never excused by a concurrent finish. */
export class CopyMismatchError extends Error {
  override readonly name = "CopyMismatchError";
}

/**
 * completeFile for one of several deliveries of the same end, possibly concurrent (duplicate events
 * or hand-offs). The one that loses the race meets the winner's steps (source deleted, destination
 * and record taken, conditional updates refused) and may fail on one of them; the file's state
 * then decides: ended, the claim is reported (idempotent) and nothing is thrown, so the duplicate
 * is not delivered again for nothing. Anything else, and a copy that does not match its source,
 * is thrown as before (SQS delivers it again, then to the dead-letter queue).
 */
async function completeOrMeetWinner(
  ctx: OutcomeContext,
  claim: ClaimItem,
  file: FileItem,
  decided: boolean,
): Promise<FileItem> {
  try {
    return await completeFile(ctx, claim, file, decided);
  } catch (e) {
    if (e instanceof CopyMismatchError) throw e;
    const current = await getFile(claim.claimId, file.fileName);
    if (!current || !(FINAL_FILE_STATES as readonly string[]).includes(current.state)) throw e;
    logger.info("another delivery finished this file first", {
      claimId: claim.claimId,
      fileName: file.fileName,
      state: current.state,
      error: (e as Error).message,
    });
    await report(ctx, claim.claimId, file.fileName);
    return current;
  }
}

/**
 * Where the payload goes, fixed once in the ledger so that a repeated attempt writes to the same
 * place. mftgateway's outbox folder is the claim's own (its time and tag); every other name
 * (as2gateway's plain outbox names, `failed/<time>/` in both presets) is reserved in the ledger
 * first, the next collision suffix when another message holds it.
 */
async function chooseDestination(ctx: OutcomeContext, claim: ClaimItem, file: FileItem): Promise<string> {
  if (file.outcomeKey) return file.outcomeKey;
  const route = routeOf(claim);
  const delivering = file.state === "delivering";
  let key: string;
  if (delivering && ctx.preset === "mftgateway") {
    // The claim's own folder, the same on every attempt: nothing to fix in the ledger first.
    return outboxKey(ctx.preset, {
      route,
      fileName: file.fileName,
      at: new Date(claim.claimedAt),
      seed: claim.claimId,
    });
  } else {
    const at = delivering ? new Date(claim.claimedAt) : new Date(file.outcomeAt ?? ctx.now().toISOString());
    // An upload that could not be attributed (no usable station/partner) fails at gateway level.
    const unrouted = claim.station === "" || claim.partner === "";
    // A failed upload keeps its name unless the name itself is the problem (control characters, too long).
    const name = delivering ? file.fileName : safeFailedName(ctx.preset, unrouted ? undefined : route, file.fileName);
    const f = { route, fileName: name, at, seed: claim.claimId };
    key = await reserveDestination(
      ctx.s3,
      ctx.bucket,
      (n) =>
        delivering
          ? outboxKey(ctx.preset, f, "plain", n)
          : unrouted
            ? unroutedFailedKey(ctx.preset, at, name, n)
            : failedKey(ctx.preset, f, n),
      `send#${claim.claimId}#${file.fileName}`,
    );
  }
  const fixed = await update<FileItem>(file.pk, {
    set: { outcomeKey: key },
    condition: { expression: "attribute_not_exists(outcomeKey)" },
  });
  if (fixed) return key;
  const again = await getFile(claim.claimId, file.fileName);
  return again?.outcomeKey ?? key;
}

/**
 * @param decided this invocation gave the file its outcome (others finishing the same decision
 * take the step-by-step end, which publishes only for a claim not yet reported)
 */
async function completeFile(ctx: OutcomeContext, claim: ClaimItem, file: FileItem, decided = false): Promise<FileItem> {
  const delivered = file.state === "delivering";
  const dest = await chooseDestination(ctx, claim, file);
  const fromUpload = !file.sourceKey.startsWith(OUTBOUND_WORK_ROOT);
  const member = claim.members.find((m) => m.fileName === file.fileName);
  // A refused upload is copied as the exact version that was claimed; a staged file is private.
  const source =
    fromUpload && member
      ? {
          key: member.key,
          etag: member.etag,
          size: member.size,
          ...(member.versionId ? { versionId: member.versionId } : {}),
        }
      : { key: file.sourceKey, etag: "", size: file.size };
  let copied: Awaited<ReturnType<typeof copyExact>>;
  try {
    copied = await copyExact(ctx.s3, ctx.bucket, source, dest);
  } catch (e) {
    if (!fromUpload || !isUnreadable(e)) throw e;
    return recordInPlace(ctx, claim, file, dest, e);
  }
  if (copied.status === "changed" && fromUpload) {
    // A refused upload was replaced while it was being moved: the new version has its own event.
    const withdrawn = await update<FileItem>(file.pk, {
      set: { state: "withdrawn" },
      remove: [...CLOSE_OPEN_WORK],
      condition: stateIn(["failing"]),
    });
    await report(ctx, claim.claimId, file.fileName);
    return withdrawn ?? file;
  }
  if (copied.status === "copied") {
    // CopyObject's answer is the check: the staged copy's checksum or ETag, recorded when it was staged.
    const expected = fromUpload
      ? source
      : { ...source, etag: file.stagedEtag ?? "", ...(file.stagedChecksum ? { checksum: file.stagedChecksum } : {}) };
    if (!copyIsSource(expected, copied.copy))
      throw new CopyMismatchError(
        `copy of s3://${ctx.bucket}/${file.sourceKey} at ${dest} does not match what was staged; the source was kept`,
      );
  } else {
    // "exists": the reserved name already holds the payload, written by an earlier attempt.
    const there = await headObject(ctx.s3, ctx.bucket, dest);
    if (!there || there.size !== file.size) {
      throw new Error(
        `copy of s3://${ctx.bucket}/${file.sourceKey} to ${dest} is ${there ? `${there.size} bytes, expected ${file.size}` : "missing"}; the source was kept`,
      );
    }
  }
  let mdn: string | undefined;
  if (file.mdnSourceKey) {
    const r = (await copyExact(ctx.s3, ctx.bucket, { key: file.mdnSourceKey, etag: "", size: 0 }, mdnKey(dest))).status;
    // Missing: an earlier attempt may have copied it, then deleted Transfer's (dropStaging).
    if (r === "copied" || r === "exists" || (r === "missing" && (await headObject(ctx.s3, ctx.bucket, mdnKey(dest)))))
      mdn = mdnKey(dest);
    else logger.warn("MDN named by Transfer was not found", { claimId: claim.claimId, mdnKey: file.mdnSourceKey });
  }
  const record = recordKey(dest);
  await putJson(ctx.s3, ctx.bucket, record, recordOf(claim, file, delivered ? "delivered" : "failed", dest, mdn), {
    once: true,
  });
  if (fromUpload && member) {
    await deleteExact(ctx.s3, ctx.bucket, source);
    await releaseObjects(ctx.bucket, [member], claim.claimId);
  } else await dropStaging(ctx.s3, ctx.bucket, file, mdn !== undefined);
  const done = {
    state: delivered ? ("delivered" as const) : ("failed" as const),
    outcomeKey: dest,
    recordKey: record,
    ...(mdn ? { mdnKey: mdn } : {}),
  };
  // The index's sent/failed is written with the file's end, in the same request.
  const ending = [sendTransition(claim, { ...file, ...done }, delivered ? "sent" : "failed", ctx.now().toISOString())];
  logger.info(delivered ? "sent file delivered" : "send failed", {
    claimId: claim.claimId,
    fileName: file.fileName,
    key: dest,
    failureCode: file.failureCode,
  });
  if (decided && claim.members.length === 1) {
    // The claim's only file: its event is published, then file and claim end in one write.
    const ended: FileItem = { ...file, ...done };
    const event = domainEventOf(ctx.customer, claim, [ended]);
    if (event) await publishDomainEvents(ctx.eventBridge, ctx.eventBus, [event], { uploadedAt: uploadedAt(claim) });
    if (await recordSingleOutcome(claim.claimId, file.fileName, file.state, done, ending)) return ended;
  }
  const updated = await updateIndexed(
    file.pk,
    { set: done, remove: [...CLOSE_OPEN_WORK], condition: stateIn([file.state]) },
    ending,
  );
  await report(ctx, claim.claimId, file.fileName);
  return updated ? { ...file, ...done } : ((await getFile(claim.claimId, file.fileName)) ?? file);
}

/**
 * The payload cannot be copied (see isUnreadable): it stays at its upload key, and the record in
 * failed/ says where it is and why, so the failure is visible and nothing is retried in a loop.
 */
async function recordInPlace(
  ctx: OutcomeContext,
  claim: ClaimItem,
  file: FileItem,
  dest: string,
  e: unknown,
): Promise<FileItem> {
  const why = unreadableOutcome(e);
  const record = recordKey(dest);
  const failed: FileItem = {
    ...file,
    failureCode: file.failureCode ?? why.failureCode,
    failureMessage: `${file.failureMessage ? `${file.failureMessage}; ` : ""}${why.failureMessage}`,
    failureReason: `${file.failureReason ? `${file.failureReason} ` : ""}${why.failureReason}`,
  };
  await putJson(
    ctx.s3,
    ctx.bucket,
    record,
    { ...recordOf(claim, failed, "failed", file.sourceKey, undefined), payloadLeftAt: file.sourceKey },
    { once: true },
  );
  const set = {
    state: "failed" as const,
    outcomeKey: file.sourceKey,
    recordKey: record,
    failureCode: failed.failureCode,
    failureMessage: failed.failureMessage,
    failureReason: failed.failureReason,
  };
  const done = await updateIndexed(file.pk, { set, remove: [...CLOSE_OPEN_WORK], condition: stateIn([file.state]) }, [
    sendTransition(claim, { ...failed, ...set }, "failed", ctx.now().toISOString()),
  ]);
  logger.warn("upload cannot be copied; left in place, reported in failed/", {
    claimId: claim.claimId,
    key: file.sourceKey,
  });
  await report(ctx, claim.claimId, file.fileName);
  return done ? { ...failed, ...set } : file;
}

function recordOf(
  claim: ClaimItem,
  file: FileItem,
  status: "delivered" | "failed",
  dest: string,
  mdn: string | undefined,
): Record<string, unknown> {
  const member = claim.members.find((m) => m.fileName === file.fileName);
  return clean({
    messageId: claim.claimId,
    status,
    station: claim.station,
    partner: claim.partner,
    test: claim.test,
    batch: claim.batch,
    fileName: file.fileName,
    size: file.size,
    uploadedKey: member?.key,
    // The message index's id (REST API), so `npm run gateway -- reindex` rebuilds the same ids.
    indexId: member ? outboundIdOfMember(claim.bucket, member) : undefined,
    key: dest,
    mdnKey: mdn,
    as2MessageId: file.as2MessageId,
    transferId: file.transferId,
    subject: file.subject,
    mdn:
      file.disposition || file.mdnMessageId
        ? clean({ disposition: file.disposition, messageId: file.mdnMessageId })
        : undefined,
    failureCode: file.failureCode,
    failureMessage: file.failureMessage,
    reason: file.failureReason,
    attempts: file.attempts,
    claimedAt: claim.claimedAt,
    lastAttemptTime: file.lastAttemptTime,
    completedAt: file.outcomeAt,
  });
}

/**
 * Counts the file as done on its claim; when the last file is done, publishes the claim's domain
 * event (stable id: a repeated publication is deduplicated downstream) and marks it reported.
 */
export async function report(ctx: OutcomeContext, claimId: string, fileName: string): Promise<void> {
  const claim = await update<ClaimItem>(claimPk(claimId), { add: { finals: new Set([fileName]) } });
  if (!claim || claim.reported) return;
  if ((claim.finals?.size ?? 0) < claim.members.length) return;
  const files = await getFiles(claim);
  if (files.some((f) => !(FINAL_FILE_STATES as readonly string[]).includes(f.state))) return;
  const event = domainEventOf(ctx.customer, claim, files);
  if (event) await publishDomainEvents(ctx.eventBridge, ctx.eventBus, [event], { uploadedAt: uploadedAt(claim) });
  await update(claimPk(claimId), { set: { reported: true }, remove: [...CLOSE_OPEN_WORK] });
}

/** When the claim's upload was complete: its (last) file's upload time, else when it was claimed. */
function uploadedAt(claim: ClaimItem): string {
  const times = claim.members.map((m) => m.lastModified).filter((t): t is string => t !== undefined);
  return times.sort().at(-1) ?? claim.claimedAt;
}

export function domainEventOf(customer: string, claim: ClaimItem, files: readonly FileItem[]): DomainEvent | undefined {
  const kept = files.filter((f) => f.state !== "withdrawn");
  if (kept.length === 0) return undefined;
  const failed = kept.filter((f) => f.state === "failed");
  const first = failed[0] ?? kept[0]!;
  const eventType = failed.length ? "MESSAGE.SEND.FAILED" : "MESSAGE.SEND.SUCCESS";
  const lastAttempt = kept
    .map((f) => f.lastAttemptTime)
    .filter((t): t is string => !!t)
    .sort()
    .at(-1);
  const failureMessage = failed.length
    ? failed
        .map((f) =>
          failed.length > 1
            ? `${f.fileName}: ${f.failureMessage ?? f.failureCode}`
            : (f.failureMessage ?? f.failureCode ?? ""),
        )
        .join("; ")
    : undefined;
  // domainEvent() gives the stable (UUID-shaped) event id, failureReason and the schema version.
  return domainEvent(
    clean({
      eventType,
      messageId: claim.claimId,
      timestamp:
        kept
          .map((f) => f.outcomeAt)
          .filter((t): t is string => !!t)
          .sort()
          .at(-1) ?? claim.claimedAt,
      customer,
      stationId: claim.station,
      partnerId: claim.partner,
      test: claim.test,
      as2MessageId: first.as2MessageId,
      transferId: first.transferId,
      subject: first.subject,
      attachments: kept
        .filter((f) => f.outcomeKey)
        .map((f) => ({ bucket: claim.bucket, key: f.outcomeKey!, fileName: f.fileName, size: f.size })),
      mdn: first.mdnKey
        ? clean({ bucket: claim.bucket, key: first.mdnKey, disposition: first.disposition })
        : undefined,
      record: first.recordKey ? { bucket: claim.bucket, key: first.recordKey } : undefined,
      failureCode: failed.length ? (first.failureCode ?? "UNKNOWN") : undefined,
      failureMessage: failed.length ? failureMessage || (first.failureCode ?? "the send failed") : undefined,
      attempts: Math.max(0, ...kept.map((f) => f.attempts ?? 0)),
      lastAttemptTime: lastAttempt,
    }),
  );
}

/** Re-reads a claim (for callers holding a stale copy). */
export async function freshClaim(claimId: string): Promise<ClaimItem> {
  const c = await getClaim(claimId);
  if (!c) throw new Error(`claim ${claimId} is missing from the ledger`);
  return c;
}

/** Ends files and claims in this function (the reconciler's ending; settle hands off: hand-off.ts). */
export function endingHere(ctx: OutcomeContext): Ending {
  return {
    async fail(claim, fileName, failed, allowedFrom) {
      await finalizeFile(ctx, claim, fileName, failed, allowedFrom);
    },
    report: (claimId, fileName) => report(ctx, claimId, fileName),
  };
}

/**
 * A file handed off by the settle function (hand-off.ts): finishes what the ledger decided for it,
 * or reports its claim when it has ended. Repeated and concurrent deliveries take the same
 * idempotent steps as any other finish (fixed destination, conditional writes, stable event id).
 */
export async function finishHandedOff(ctx: OutcomeContext, msg: HandOffMessage): Promise<void> {
  const file = await getFile(msg.claimId, msg.fileName);
  if (!file) {
    logger.warn("hand-off for a file missing from the ledger; ignored", { ...msg });
    return;
  }
  if (file.state === "failing" || file.state === "delivering") {
    await completeOrMeetWinner(ctx, await freshClaim(msg.claimId), file, false);
  } else if ((FINAL_FILE_STATES as readonly string[]).includes(file.state)) {
    await report(ctx, msg.claimId, msg.fileName);
  } else {
    logger.info("hand-off ignored: the file has no outcome decided", { ...msg, state: file.state });
  }
}
