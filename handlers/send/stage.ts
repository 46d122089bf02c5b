/**
 * From an upload to a staged claim: wait until the file (or its batch directory) has settled, claim
 * each object version exactly once, refuse what routing refuses (to failed/, with the reason), and
 * move the rest to a private staging directory per claim. Then hand over to transmitClaim.
 */
import { indexTransition, sendTransition } from "../api/index-hooks";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import {
  parseSendKey,
  segmentProblem,
  sendBatchPrefix,
  outboundWorkKey,
  compactTimestamp,
  stableTag,
  SEND_PREFIX,
  type ParsedSendKey,
} from "../../model/layout";
import { randomUUID } from "node:crypto";
import {
  decodeEventKey,
  deleteExact,
  headObject,
  resolveEventKey,
  safeMove,
  sameEtag,
  MoveError,
  type ObjectInfo,
} from "../shared/s3-object";
import { logger } from "../shared/logger";
import {
  checkUpload,
  remainingSettleSeconds,
  objectIdentity,
  routeOf,
  MAX_PATHS_PER_TRANSFER,
  type UploadCheck,
} from "./decide";
import {
  createClaim,
  claimObject,
  ownerOf,
  createFile,
  openClaim,
  recordStaged,
  releaseObjects,
  releasedWhenMoved,
  update,
  stateIn,
  getClaim,
  claimPk,
  filePk,
  CLOSE_OPEN_WORK,
  scheduleBatchCheck,
  type ClaimItem,
  type ClaimSnapshot,
  type FileItem,
  type Member,
} from "./claims";
import { isUnreadable, unreadableOutcome } from "./unreadable";
import { sendChunks, transmitClaim } from "./transmit";
import { enqueue, type FileMessage } from "./messages";
import type { SendContext } from "./context";

function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

function memberOf(o: ObjectInfo, identity = objectIdentity(o)): Member {
  return {
    key: o.key,
    etag: o.etag,
    size: o.size,
    identity,
    fileName: fileNameOf(o.key),
    ...(o.versionId && o.versionId !== "null" ? { versionId: o.versionId } : {}),
    ...(o.lastModified ? { lastModified: o.lastModified.toISOString() } : {}),
  };
}

/**
 * Delay of a claim's own continuation, scheduled before anything leaves AS2/send/: twice the
 * function timeout (60 s), so it arrives after the invocation that scheduled it has certainly
 * ended, and resumes the claim from wherever that invocation stopped.
 */
export const CONTINUATION_DELAY_SECONDS = 120;

/**
 * A key under the send prefix that parseSendKey refuses (nested folders, a control character or a
 * `..` in a name, a file directly under AS2/send/ or AS2/send/<station>/): refused into the
 * partner's failed/ folder when the key still names a usable station and partner, else into the
 * gateway-level `_unrouted/failed/` folder (station and partner empty). Never left unexplained.
 */
function routeHint(key: string): ParsedSendKey {
  const parts = key.slice(SEND_PREFIX.length).split("/");
  const fileName = fileNameOf(key);
  const [station, partner] = parts;
  const usable = (p: string | undefined): p is string => p !== undefined && segmentProblem(p) === undefined;
  if (parts.length < 3 || !usable(station) || !usable(partner))
    return { station: "", partner: "", test: false, fileName };
  const test = parts[2] === "test" && parts.length > 3;
  return { station, partner, test, fileName };
}

/** The failure code of a key parseSendKey refuses: a name that is no key segment, or a wrong level. */
function refusalCode(key: string): string {
  const bad = key
    .slice(SEND_PREFIX.length)
    .split("/")
    .some((p, i, all) => (i < all.length - 1 || p !== "") && segmentProblem(p) !== undefined);
  return bad ? "INVALID_NAME" : "BAD_LOCATION";
}

/**
 * The object an S3 event describes, taken from the event itself when it says everything a claim
 * needs: ETag, size, version id when versioned, and a key that reads the same decoded or not (the
 * EventBridge S3 event's `detail.object` has `key`, `size`, `etag`, `version-id`: S3 user guide,
 * "EventBridge event message structure"). The move that follows is conditional on that version or
 * ETag, so a stale event cannot move anything else; a key that URL-decoding changes is looked up.
 */
function eventObject(msg: FileMessage): ObjectInfo | undefined {
  if (msg.exact || !msg.etag || msg.time === undefined || decodeEventKey(msg.key) !== msg.key) return undefined;
  if (msg.size === undefined || !Number.isSafeInteger(msg.size) || msg.size < 0) return undefined;
  return {
    key: msg.key,
    etag: msg.etag.startsWith('"') ? msg.etag : `"${msg.etag}"`,
    size: msg.size,
    lastModified: new Date(msg.time),
    ...(msg.versionId && msg.versionId !== "null" ? { versionId: msg.versionId } : {}),
  };
}

/**
 * An upload that would be refused is looked up before it is claimed: a refusal moves the upload
 * itself to failed/, so a repeated event for an upload that is gone must find nothing (the
 * conditional move protects what is sent; a refusal has no such step before it claims).
 */
function refusedWithoutLookup(ctx: SendContext, obj: ObjectInfo): boolean {
  const parsed = parseSendKey(obj.key);
  if (!parsed.ok) return true;
  return parsed.value.batch === undefined && !checkUpload(parsed.value, { size: obj.size }, ctx.routing).ok;
}

/**
 * The API's announcement of the version it wrote (send-folder.ts): settled already, when the
 * object under the key is still that version (its version id, or unversioned its ETag, the
 * identity claims go by). Anything else there, a replacement included, waits like any upload.
 */
function isAnnouncedVersion(msg: FileMessage, obj: ObjectInfo): boolean {
  if (!msg.settled || !msg.exact || !msg.etag || !sameEtag(obj.etag, msg.etag)) return false;
  return (msg.versionId ?? "null") === (obj.versionId ?? "null");
}

/** An S3 event or re-check for one key. */
export async function handleFileMessage(ctx: SendContext, msg: FileMessage): Promise<void> {
  if (msg.bucket !== ctx.bucket) {
    logger.warn("event for another bucket ignored", { bucket: msg.bucket });
    return;
  }
  let obj = msg.exact ? await headObject(ctx.s3, ctx.bucket, msg.key) : eventObject(msg);
  if (!msg.exact && obj && refusedWithoutLookup(ctx, obj)) obj = undefined;
  obj ??= msg.exact ? undefined : await resolveEventKey(ctx.s3, ctx.bucket, msg.key, msg.etag);
  if (!obj) return; // already moved (a repeated event) or deleted by the user
  if (msg.etag && !sameEtag(obj.etag, msg.etag)) return; // replaced since: the new upload's own event handles it
  if (obj.key.endsWith("/")) return; // a folder marker, not a file
  const parsed = parseSendKey(obj.key);
  if (parsed.ok && parsed.value.batch !== undefined) {
    await handleBatch(ctx, sendBatchPrefix(routeOf(parsed.value), parsed.value.batch));
    return;
  }
  const wait = isAnnouncedVersion(msg, obj)
    ? 0
    : remainingSettleSeconds(obj.lastModified ?? ctx.now(), ctx.now(), ctx.routing.doc.settle.fileSeconds);
  if (wait > 0) {
    await enqueue(
      ctx.sqs,
      ctx.sendQueueUrl,
      { kind: "file", bucket: ctx.bucket, key: obj.key, etag: obj.etag, exact: true },
      wait,
    );
    return;
  }
  if (!parsed.ok) {
    await claimAndAdvance(
      ctx,
      routeHint(obj.key),
      [memberOf(obj)],
      {
        ok: false,
        code: refusalCode(obj.key),
        reason: `${parsed.reason}; upload files to ${SEND_PREFIX}<station>/<partner>/<file> (or one batch folder below it) under a name without control characters`,
      },
      obj.lastModified ?? ctx.now(),
    );
    return;
  }
  const check = checkUpload(parsed.value, { size: obj.size }, ctx.routing);
  await claimAndAdvance(ctx, parsed.value, [memberOf(obj)], check, obj.lastModified ?? ctx.now());
}

async function listAll(ctx: SendContext, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  let token: string | undefined;
  do {
    const r = await ctx.s3.send(
      new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) {
      if (!o.Key || o.Key.endsWith("/")) continue;
      out.push({
        key: o.Key,
        etag: o.ETag ?? "",
        size: o.Size ?? 0,
        ...(o.LastModified ? { lastModified: o.LastModified } : {}),
      });
    }
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** A batch directory: sent as one claim once nothing in it has changed for the directory settle time. */
export async function handleBatch(ctx: SendContext, prefix: string): Promise<void> {
  const all = await listAll(ctx, prefix);
  // Deeper folders are not part of the batch; their own events refuse them.
  const objects = all.filter((o) => !o.key.slice(prefix.length).includes("/")).sort((a, b) => (a.key < b.key ? -1 : 1));
  if (objects.length === 0) return;
  const newest = new Date(Math.max(...objects.map((o) => o.lastModified?.getTime() ?? 0)));
  const settle = ctx.routing.doc.settle.directorySeconds;
  const wait = remainingSettleSeconds(newest, ctx.now(), settle);
  if (wait > 0) {
    if (await scheduleBatchCheck(ctx.bucket, prefix, new Date(newest.getTime() + settle * 1000), ctx.now().getTime())) {
      await enqueue(ctx.sqs, ctx.sendQueueUrl, { kind: "batch", bucket: ctx.bucket, prefix }, wait);
    }
    return;
  }
  const members = objects.map((o) => memberOf(o));
  const owners = new Set<string>();
  const free: Member[] = [];
  for (const m of members) {
    const owner = await ownerOf(ctx.bucket, m.key, m.identity);
    if (owner) owners.add(owner);
    else free.push(m);
  }
  for (const owner of owners) await advance(ctx, owner);
  if (free.length === 0) return;
  // A listing names no version: read each file's exact version (and skip what changed meanwhile).
  for (const [i, m] of free.entries()) {
    const exact = await headObject(ctx.s3, ctx.bucket, m.key);
    if (!exact || !sameEtag(exact.etag, m.etag)) return; // changed since listed: its own event re-settles the batch
    free[i] = memberOf(exact);
  }
  const parsed = parseSendKey(free[0]!.key);
  if (!parsed.ok) return;
  // The route first (size 1 passes the size checks), then each file's own size.
  let check = checkUpload(parsed.value, { size: 1 }, ctx.routing);
  if (check.ok) {
    const problems = free
      .map((m) => ({ m, c: checkUpload(parsed.value, { size: m.size }, ctx.routing) }))
      .filter((x): x is { m: Member; c: Extract<UploadCheck, { ok: false }> } => !x.c.ok);
    if (problems.length) {
      check = {
        ok: false,
        code: problems[0]!.c.code,
        reason: `the batch was not sent because ${problems.map((p) => `${p.m.fileName}: ${p.c.reason}`).join("; ")}`,
      };
    }
  }
  await claimAndAdvance(ctx, parsed.value, free, check, newest);
}

async function claimAndAdvance(
  ctx: SendContext,
  parsed: ParsedSendKey,
  members: Member[],
  check: UploadCheck,
  settledAt: Date,
): Promise<void> {
  const seed = `${ctx.bucket}\n${members.map((m) => `${m.key}\n${m.identity}`).join("\n")}`;
  const claimId = `${compactTimestamp(settledAt)}-${stableTag(seed, 12)}`;
  const item: Omit<ClaimItem, "pk"> = {
    claimId,
    bucket: ctx.bucket,
    station: parsed.station,
    partner: parsed.partner,
    test: parsed.test,
    ...(parsed.batch !== undefined ? { batch: parsed.batch } : {}),
    ...(check.ok ? { connectorId: check.partner.connectorId } : { rejectCode: check.code, rejectReason: check.reason }),
    members,
    state: check.ok ? "claiming" : "rejected",
    claimedAt: ctx.now().toISOString(),
  };
  // The message index (REST API): each file is queued once its claim exists.
  const queued = members.map((m) => sendTransition(item, { fileName: m.fileName }, "queued", item.claimedAt));
  // One transaction: the claim, the ownership of its uploads and their index records.
  const opened = await openClaim(item, ctx.now().getTime(), queued);
  if (opened) return advanceClaim(ctx, opened, true);
  // Not created: a repeated event (the claim exists), or another claim (the sweep's, a re-check's) owns the upload.
  if (members.length === 1) {
    const owner = await ownerOf(ctx.bucket, members[0]!.key, members[0]!.identity);
    if (owner !== undefined && owner !== claimId) return advance(ctx, owner);
  }
  const { created, claim } = await createClaim(item, ctx.now().getTime());
  if (created) for (const t of queued) await indexTransition(t);
  await advanceClaim(ctx, claim);
}

/** Continues a claim from wherever it stopped. */
export async function advance(ctx: SendContext, claimId: string): Promise<void> {
  const claim = await getClaim(claimId);
  if (!claim) {
    logger.warn("continuation for an unknown claim ignored", { claimId });
    return;
  }
  await advanceClaim(ctx, claim);
}

/** The file of an upload that was not staged: it lies where it was uploaded. */
function unstaged(claim: ClaimItem, m: Member, state: "staged" | "withdrawn"): Omit<FileItem, "pk"> {
  return { claimId: claim.claimId, fileName: m.fileName, sourceKey: m.key, size: m.size, state, attempts: 0 };
}

/** What a one-file claim's result needs, on its file (claims.ClaimSnapshot). */
function snapshotOf(claim: ClaimItem, m: Member): ClaimSnapshot | undefined {
  if (claim.members.length !== 1) return undefined;
  return {
    bucket: claim.bucket,
    station: claim.station,
    partner: claim.partner,
    test: claim.test,
    ...(claim.batch !== undefined ? { batch: claim.batch } : {}),
    ...(claim.connectorId !== undefined ? { connectorId: claim.connectorId } : {}),
    claimedAt: claim.claimedAt,
    uploadedKey: m.key,
    uploadedIdentity: m.identity,
    ...(m.lastModified ? { uploadedAt: m.lastModified } : {}),
    members: 1,
  };
}

/**
 * @param owned the claim was just opened with the ownership of its members (openClaim): nothing
 * to take over.
 */
async function advanceClaim(ctx: SendContext, start: ClaimItem, owned = false): Promise<void> {
  let claim = start;
  if (claim.state === "claiming" || claim.state === "rejected") {
    if (!owned) claim = await ownMembers(ctx, claim);
    if (claim.state === "rejected") {
      for (const m of claim.members) {
        await createFile(unstaged(claim, m, "staged"), ctx.now().getTime());
        await ctx.ending.fail(
          claim,
          m.fileName,
          {
            outcome: "failed",
            failureCode: claim.rejectCode ?? "REFUSED",
            failureMessage: claim.rejectReason ?? "refused",
            failureReason: claim.rejectReason ?? "refused",
          },
          ["staged"],
        );
      }
      return;
    }
    // Before any upload leaves AS2/send/: the claim's own continuation, so that an invocation
    // stopping between two steps is resumed (a repeated S3 event would find nothing to resume).
    await enqueue(ctx.sqs, ctx.sendQueueUrl, { kind: "resume", claimId: claim.claimId }, CONTINUATION_DELAY_SECONDS);
    const staged: Omit<FileItem, "pk">[] = [];
    const left: Member[] = [];
    for (const m of claim.members) {
      const r = await stageMember(ctx, claim, m);
      if (r.staged) staged.push(r.staged);
      if (r.left) left.push(m);
    }
    // Everything staged and one StartFileTransfer call: recorded together with the send's lease
    // and intent, then sent (three requests from claim to transfer).
    if (staged.length === claim.members.length && staged.length > 0 && staged.length <= MAX_PATHS_PER_TRANSFER) {
      const lease = { leaseId: randomUUID(), at: ctx.now() };
      if (await recordStaged(claim, staged, lease, left.filter(releasedWhenMoved))) {
        const files: FileItem[] = staged.map((f) => ({ ...f, pk: filePk(f.claimId, f.fileName) }));
        await sendChunks(ctx, { ...claim, state: "sending", leaseId: lease.leaseId }, files, lease, true);
        return;
      }
    }
    for (const f of staged) await createFile(f, ctx.now().getTime());
    await releaseObjects(ctx.bucket, left, claim.claimId);
    claim =
      (await update<ClaimItem>(claimPk(claim.claimId), {
        set: { state: "staged" },
        condition: stateIn(["claiming"]),
      })) ?? (await getClaim(claim.claimId))!;
    if (claim.members.length === 0) {
      await update(claimPk(claim.claimId), {
        set: { state: "sent" },
        remove: [...CLOSE_OPEN_WORK],
        condition: stateIn(["staged"]),
      });
      return;
    }
  }
  if (claim.state === "staged" || claim.state === "sending") await transmitClaim(ctx, claim.claimId);
}

/** Takes ownership of each member; members another claim owns leave this claim. */
async function ownMembers(ctx: SendContext, claim: ClaimItem): Promise<ClaimItem> {
  const won: Member[] = [];
  for (const m of claim.members) {
    if ((await claimObject(ctx.bucket, m, claim.claimId, ctx.now().getTime())) === claim.claimId) won.push(m);
  }
  if (won.length === claim.members.length) return claim;
  logger.info("some files of the claim belong to another claim", {
    claimId: claim.claimId,
    kept: won.length,
    of: claim.members.length,
  });
  return (
    (await update<ClaimItem>(claimPk(claim.claimId), { set: { members: won }, condition: stateIn([claim.state]) })) ??
    (await getClaim(claim.claimId))!
  );
}

/**
 * Moves one upload to the claim's staging directory. Returns the file to record once staged (the
 * caller records all of a claim's files in one write), and whether the upload has left AS2/send/
 * (moved, or withdrawn by the user): its ownership can then end. Files that are not sent (withdrawn,
 * unreadable) are recorded and reported here.
 */
async function stageMember(
  ctx: SendContext,
  claim: ClaimItem,
  m: Member,
): Promise<{ staged?: Omit<FileItem, "pk">; left: boolean }> {
  const staged = outboundWorkKey({ station: claim.station, partner: claim.partner }, claim.claimId, m.fileName);
  const snapshot = snapshotOf(claim, m);
  try {
    const r = await safeMove(
      ctx.s3,
      ctx.bucket,
      { key: m.key, etag: m.etag, size: m.size, ...(m.versionId ? { versionId: m.versionId } : {}) },
      staged,
    );
    if (r.moved && m.versionId) await hideResurfacedVersion(ctx, m);
    return {
      staged: {
        claimId: claim.claimId,
        fileName: m.fileName,
        sourceKey: staged,
        size: m.size,
        state: "staged",
        attempts: 0,
        ...(r.to.etag ? { stagedEtag: r.to.etag } : {}),
        ...(r.to.checksum ? { stagedChecksum: r.to.checksum } : {}),
        ...(snapshot ? { claim: snapshot } : {}),
      },
      left: true,
    };
  } catch (e) {
    if (isUnreadable(e)) {
      // Not movable by the gateway (another KMS key, a copy source over 5 GB): reported in
      // failed/ with the reason, the upload left where it is; never retried in a loop.
      await createFile(unstaged(claim, m, "staged"), ctx.now().getTime());
      await ctx.ending.fail(claim, m.fileName, unreadableOutcome(e), ["staged"]);
      return { left: false };
    }
    if (!(e instanceof MoveError) || e.reason === "verify-failed") throw e;
    // Replaced or deleted by the user after it settled: this version is not sent (a replacement has its own event).
    logger.info("upload withdrawn before it was staged", { claimId: claim.claimId, key: m.key, reason: e.reason });
    await createFile(unstaged(claim, m, "withdrawn"), ctx.now().getTime());
    await ctx.ending.report(claim.claimId, m.fileName);
    return { left: e.reason !== "destination-taken" };
  }
}

/**
 * Deleting the exact version that was sent makes the version before it current again, if the user
 * had replaced the file before it settled. That older version was superseded (never a message of
 * its own): it is hidden again behind a delete marker (only while it still has its ETag), and
 * stays in the bucket's version history.
 */
async function hideResurfacedVersion(ctx: SendContext, m: Member): Promise<void> {
  const now = await headObject(ctx.s3, ctx.bucket, m.key);
  if (!now || !now.lastModified || !m.lastModified || now.versionId === m.versionId) return;
  // LastModified has one-second resolution (the claim may hold the S3 event's time, to the
  // millisecond): the same second counts as newer (sent, never hidden).
  if (now.lastModified.getTime() >= Date.parse(m.lastModified) - (Date.parse(m.lastModified) % 1000)) return; // a newer upload: its own message
  logger.info("older version resurfaced after the move; hidden again", { key: m.key, versionId: now.versionId });
  await deleteExact(ctx.s3, ctx.bucket, { key: m.key, etag: now.etag, size: now.size });
}
