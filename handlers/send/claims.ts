/**
 * The send pipeline's state in the gateway's table. Three kinds of items:
 * - `claim#<claimId>`: one upload (a file, or a batch directory) and how far its sending got;
 * - `obj#<bucket>#<key>#<identity>`: which claim owns one object version (so no two claims send it);
 * - `file#<claimId>#<fileName>`: one staged file's delivery (attempts, transfer id, outcome).
 * Every change is a conditional write, so duplicate or concurrent deliveries change nothing twice.
 */
import { UpdateItemCommand, type TransactWriteItem } from "@aws-sdk/client-dynamodb";
import {
  tableClient,
  tableName,
  putIfAbsent,
  getItem,
  expiresIn,
  transact,
  transactOrReasons,
  isConditionFailure,
} from "../shared/ledger";
import { REQUEUE_FIELDS } from "../shared/open-work";
import { fromAttributes, toAttributes } from "../shared/attribute-values";
import { indexTransition, indexTransitionElement } from "../api/index-hooks";
import { logger } from "../shared/logger";
import type { IndexTransition } from "../../model/api/index-model";

/** Claims outlive every retry schedule (10 attempts up to 1 h apart) by far. */
export const CLAIM_TTL_DAYS = 35;

export interface Member {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly identity: string;
  readonly fileName: string;
  /** The exact version claimed (versioned buckets): the move copies and deletes this one only. */
  readonly versionId?: string;
  /** Its LastModified (ISO): an older version that resurfaces after the move is not a new upload. */
  readonly lastModified?: string;
}

export type ClaimState = "claiming" | "rejected" | "staged" | "sending" | "sent";

export interface ClaimItem {
  readonly pk: string;
  readonly claimId: string;
  readonly bucket: string;
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly batch?: string;
  readonly connectorId?: string;
  /** Why routing refused the upload (state `rejected`). */
  readonly rejectCode?: string;
  readonly rejectReason?: string;
  readonly members: Member[];
  readonly state: ClaimState;
  readonly claimedAt: string;
  readonly sendingAt?: string;
  /** Token of the invocation holding the send lease: intents are written only under it. */
  readonly leaseId?: string;
  /** Chunks whose StartFileTransfer may have been called (written before the call). */
  readonly intents?: Set<string>;
  readonly throttleAttempts?: number;
  readonly sentChunks?: Set<string>;
  readonly finals?: Set<string>;
  readonly reported?: boolean;
  /** Error of the last StartFileTransfer call that did not succeed. */
  readonly lastError?: string;
}

export type FileState =
  "staged" | "sending" | "sent" | "retrying" | "delivering" | "failing" | "delivered" | "failed" | "withdrawn";
export const FINAL_FILE_STATES: readonly FileState[] = ["delivered", "failed", "withdrawn"];

/**
 * What the result handler needs of a one-file claim, copied onto its file item when the file is
 * staged: the outcome of a single file then needs no read of the claim (issue #17).
 */
export interface ClaimSnapshot {
  readonly bucket: string;
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly batch?: string;
  readonly connectorId?: string;
  readonly claimedAt: string;
  /** The upload's key (for the record). */
  readonly uploadedKey: string;
  /** The upload version's identity: with the key, the message's id in the REST API's index. */
  readonly uploadedIdentity?: string;
  /** When the upload was made (its LastModified, or the S3 event's time): SecondsToMdn runs from it. */
  readonly uploadedAt?: string;
  readonly members: number;
}

export interface FileItem {
  readonly pk: string;
  readonly claimId: string;
  readonly fileName: string;
  /** Set on the files of one-file claims (see ClaimSnapshot). */
  readonly claim?: ClaimSnapshot;
  /** ETag and checksum of the staged copy (CopyObject's answer): the copy to outbox/ is checked against them. */
  readonly stagedEtag?: string;
  readonly stagedChecksum?: string;
  /** Where the payload is now: the staging key, or the upload key of a refused upload. */
  readonly sourceKey: string;
  readonly size: number;
  readonly state: FileState;
  readonly attempts: number;
  readonly transferId?: string;
  readonly previousTransferIds?: string[];
  readonly payloadSent?: boolean;
  /**
   * Sent, but the transfer id was never recorded (the invocation stopped after StartFileTransfer
   * may have been called): the outcome is looked up (events, Transfer's status file), never resent.
   */
  readonly unconfirmed?: boolean;
  readonly lastAttemptTime?: string;
  readonly as2MessageId?: string;
  readonly outcomeAt?: string;
  readonly outcomeKey?: string;
  readonly mdnKey?: string;
  readonly recordKey?: string;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly failureReason?: string;
  readonly disposition?: string;
  readonly mdnSourceKey?: string;
  readonly statusSourceKey?: string;
  /** Status files Transfer wrote for earlier attempts (retried): deleted with the staged copy at the end. */
  readonly earlierStatusKeys?: string[];
  /** MDNs Transfer wrote for earlier attempts (a negative MDN of a retried failure): deleted likewise, never copied. */
  readonly earlierMdnKeys?: string[];
  readonly mdnMessageId?: string;
  readonly subject?: string;
}

/**
 * Open work carries `openKind` and `openSince`: the keys of the table's sparse index
 * (`OPEN_WORK_INDEX`), which holds only unfinished claims and files, so the reconciler finds
 * them by kind and age without scanning the table. Finishing removes both attributes, and the
 * reconciler's count of re-queues with them (shared/open-work.ts, in the same request).
 */
export const OPEN_CLAIM = "send-claim";
export const OPEN_FILE = "send-file";
export const CLOSE_OPEN_WORK = ["openKind", "openSince", ...REQUEUE_FIELDS] as const;

export const claimPk = (claimId: string) => `claim#${claimId}`;
export const objectPk = (bucket: string, key: string, identity: string) => `obj#${bucket}#${key}#${identity}`;
export const filePk = (claimId: string, fileName: string) => `file#${claimId}#${fileName}`;
export const transferPk = (transferId: string) => `transfer#${transferId}`;
/** Debounce of batch re-checks: the due time of the latest scheduled check of a directory. */
export const batchWaitPk = (bucket: string, prefix: string) => `batchwait#${bucket}#${prefix}`;

export interface Update {
  readonly set?: Record<string, unknown>;
  readonly remove?: readonly string[];
  /** Values added to string sets (idempotent) or numbers. */
  readonly add?: Record<string, Set<string> | number>;
  /** Condition on the current item, with `#state` etc. written as `#n_<name>` placeholders via `names`. */
  readonly condition?: Condition;
}

export interface Condition {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
}

/** `state` is one of `states`. */
export function stateIn(states: readonly string[]): Condition {
  const values: Record<string, unknown> = {};
  const refs = states.map((s, i) => {
    values[`:st${i}`] = s;
    return `:st${i}`;
  });
  return { expression: `#state IN (${refs.join(", ")})`, names: { "#state": "state" }, values };
}

/** The UpdateItem parameters of `u` on `pk` (also the Update action of a transaction). */
function updateParams(pk: string, u: Update, create = false) {
  const names: Record<string, string> = { ...(u.condition?.names ?? {}) };
  const values: Record<string, unknown> = { ...(u.condition?.values ?? {}) };
  const clauses: string[] = [];
  const sets = Object.entries(u.set ?? {}).filter(([, v]) => v !== undefined);
  if (sets.length) {
    clauses.push(
      `SET ${sets
        .map(([k, v], i) => {
          names[`#s${i}`] = k;
          values[`:s${i}`] = v;
          return `#s${i} = :s${i}`;
        })
        .join(", ")}`,
    );
  }
  const adds = Object.entries(u.add ?? {});
  if (adds.length) {
    clauses.push(
      `ADD ${adds
        .map(([k, v], i) => {
          names[`#a${i}`] = k;
          values[`:a${i}`] = v;
          return `#a${i} :a${i}`;
        })
        .join(", ")}`,
    );
  }
  if (u.remove?.length) {
    clauses.push(
      `REMOVE ${u.remove
        .map((k, i) => {
          names[`#r${i}`] = k;
          return `#r${i}`;
        })
        .join(", ")}`,
    );
  }
  const exists = create ? [] : ["attribute_exists(pk)"];
  const condition = [...exists, ...(u.condition ? [`(${u.condition.expression})`] : [])].join(" AND ") || undefined;
  return {
    TableName: tableName(),
    Key: { pk: { S: pk } },
    UpdateExpression: clauses.join(" "),
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: toAttributes(values) } : {}),
  };
}

function updateAction(pk: string, u: Update): TransactWriteItem {
  return { Update: updateParams(pk, u) };
}

function putAction(item: Record<string, unknown>): TransactWriteItem {
  return {
    Put: { TableName: tableName(), Item: toAttributes(item), ConditionExpression: "attribute_not_exists(pk)" },
  };
}

/**
 * Conditional update of an existing item (`create`: or a new one). Returns the new item, or
 * undefined when the condition did not hold.
 */
export async function update<T>(pk: string, u: Update, create = false): Promise<T | undefined> {
  try {
    const r = await tableClient().send(
      new UpdateItemCommand({ ...updateParams(pk, u, create), ReturnValues: "ALL_NEW" }),
    );
    return r.Attributes ? (fromAttributes(r.Attributes) as T) : undefined;
  } catch (e) {
    if (isConditionFailure(e)) return undefined;
    throw e;
  }
}

export async function getClaim(claimId: string): Promise<ClaimItem | undefined> {
  return (await getItem(claimPk(claimId))) as ClaimItem | undefined;
}

export async function getFile(claimId: string, fileName: string): Promise<FileItem | undefined> {
  return (await getItem(filePk(claimId, fileName))) as FileItem | undefined;
}

export async function getFiles(claim: Pick<ClaimItem, "claimId" | "members">): Promise<FileItem[]> {
  const items = await Promise.all(claim.members.map((m) => getFile(claim.claimId, m.fileName)));
  return items.filter((i): i is FileItem => i !== undefined);
}

/** The stored form of a new claim: open work until it is sent. */
function newClaimItem(claim: Omit<ClaimItem, "pk">, now: number): ClaimItem & Record<string, unknown> {
  return {
    ...claim,
    pk: claimPk(claim.claimId),
    expiresAt: expiresIn(CLAIM_TTL_DAYS, now),
    openKind: OPEN_CLAIM,
    openSince: claim.claimedAt,
  };
}

/** Creates the claim unless it exists; returns the stored claim either way. */
export async function createClaim(
  claim: Omit<ClaimItem, "pk">,
  now = Date.now(),
): Promise<{ created: boolean; claim: ClaimItem }> {
  const item = newClaimItem(claim, now);
  if (await putIfAbsent(item)) return { created: true, claim: item };
  const existing = await getClaim(claim.claimId);
  if (!existing) throw new Error(`claim ${claim.claimId} exists and vanished; retry`);
  return { created: false, claim: existing };
}

/** Makes `claimId` the owner of an object version unless another claim owns it; returns the owner. */
export async function claimObject(bucket: string, m: Member, claimId: string, now = Date.now()): Promise<string> {
  const pk = objectPk(bucket, m.key, m.identity);
  if (await putIfAbsent({ pk, claimId, expiresAt: expiresIn(CLAIM_TTL_DAYS, now) })) return claimId;
  return ((await getItem(pk))?.claimId as string | undefined) ?? claimId;
}

export async function ownerOf(bucket: string, key: string, identity: string): Promise<string | undefined> {
  const item = await getItem(objectPk(bucket, key, identity));
  return item?.claimId as string | undefined;
}

/** The stored form of a new file item (open work unless it starts final). */
function newFileItem(file: Omit<FileItem, "pk">, now: number): FileItem & Record<string, unknown> {
  const open = (FINAL_FILE_STATES as readonly string[]).includes(file.state)
    ? {}
    : { openKind: OPEN_FILE, openSince: new Date(now).toISOString() };
  return { ...file, ...open, pk: filePk(file.claimId, file.fileName), expiresAt: expiresIn(CLAIM_TTL_DAYS, now) };
}

export async function createFile(file: Omit<FileItem, "pk">, now = Date.now()): Promise<void> {
  await putIfAbsent(newFileItem(file, now));
}

export async function recordTransfer(
  transferId: string,
  claimId: string,
  fileNames: readonly string[],
  now = Date.now(),
): Promise<void> {
  await putIfAbsent({
    pk: transferPk(transferId),
    claimId,
    fileNames: [...fileNames],
    expiresAt: expiresIn(CLAIM_TTL_DAYS, now),
  });
}

export async function lookupTransfer(
  transferId: string,
): Promise<{ claimId: string; fileNames: string[] } | undefined> {
  const item = await getItem(transferPk(transferId));
  return item ? { claimId: item.claimId as string, fileNames: (item.fileNames as string[]) ?? [] } : undefined;
}

/**
 * Records that a batch directory will be re-checked at `dueAt`; false when a check at that time
 * or later is already scheduled (the duplicate events of one batch then schedule one check).
 */
export async function scheduleBatchCheck(
  bucket: string,
  prefix: string,
  dueAt: Date,
  now = Date.now(),
): Promise<boolean> {
  const pk = batchWaitPk(bucket, prefix);
  const due = dueAt.toISOString();
  // Creates the item when it is missing: the condition only compares due times.
  const r = await update(
    pk,
    {
      set: { dueAt: due, expiresAt: expiresIn(1, now) },
      condition: { expression: "attribute_not_exists(dueAt) OR dueAt < :d", values: { ":d": due } },
    },
    true,
  );
  return r !== undefined;
}

// ---- The send path's transitions. Each is one request, a transaction where several items change
// together; a message-index write for the same user-visible change (issue #15) joins the
// transaction of its transition without adding a request.

/** TransactWriteItems takes at most 100 actions (DynamoDB API reference, TransactWriteItems). */
const MAX_TRANSACTION_ITEMS = 100;

/** Index transitions a step carries (undefined members, and all of them without the API, are none). */
export type IndexChanges = readonly (IndexTransition | undefined)[];

/** The index actions of `changes`, one per message (a transaction names each item at most once). */
function indexActions(changes: IndexChanges): TransactWriteItem[] {
  const byId = new Map<string, TransactWriteItem>();
  for (const t of changes) {
    const a = indexTransitionElement(t);
    if (a && t) byId.set(t.id, a);
  }
  return [...byId.values()];
}

/**
 * The ledger's actions of one transition and the message index's, in one request. The index
 * actions go last and are conditional (forward only: index-transitions.ts). A cancellation that no
 * ledger action caused (each one's reason "None": API reference, TransactionCanceledException,
 * CancellationReasons; or no reasons given) is written again without the index, so that the
 * pipeline never stalls on it: the ledger's own conditions decide that second try. A refused index
 * condition means the index holds this transition or a later one; any other trouble of the index
 * gets one standalone try (index-hooks.indexTransition, logged, never thrown; `npm run gateway --
 * reindex` repairs what it misses).
 */
async function transactIndexed(ledger: readonly TransactWriteItem[], changes: IndexChanges = []): Promise<boolean> {
  const index = indexActions(changes);
  let reasons: (string | undefined)[] | undefined;
  if (index.length && ledger.length + index.length <= MAX_TRANSACTION_ITEMS) {
    try {
      const r = await transactOrReasons([...ledger, ...index]);
      if (r === true) return true;
      reasons = r;
    } catch (e) {
      logger.warn("transition with its index change failed; writing the ledger's part alone", {
        error: (e as Error).message,
      });
    }
    const refused = (c: string | undefined) => c !== undefined && c !== "None";
    if (reasons?.slice(0, ledger.length).some(refused)) return false;
  }
  const done = await transact(ledger);
  // Applied without the index: unless the index refused it as stale, the index is written apart.
  const stale = reasons?.slice(ledger.length).some((c) => c === "ConditionalCheckFailed");
  if (done && index.length && !stale) for (const t of changes) await indexTransition(t);
  return done;
}

/**
 * A conditional update of an existing item with its index transitions: one UpdateItem without
 * them, one transaction with them. False when the item's condition did not hold.
 */
export async function updateIndexed(pk: string, u: Update, changes: IndexChanges): Promise<boolean> {
  if (!indexActions(changes).length) return (await update(pk, u)) !== undefined;
  return transactIndexed([updateAction(pk, u)], changes);
}

function deleteAction(pk: string, ownerClaimId: string): TransactWriteItem {
  return {
    Delete: {
      TableName: tableName(),
      Key: { pk: { S: pk } },
      ConditionExpression: "claimId = :c",
      ExpressionAttributeValues: { ":c": { S: ownerClaimId } },
    },
  };
}

/**
 * Unversioned, an upload's identity is its ETag (see objectIdentity): ownership of it ends once the
 * upload has left AS2/send/, so that the same bytes uploaded again later are a new message.
 * Version ids are never reused: their ownership simply expires.
 */
export function releasedWhenMoved(m: Member): boolean {
  return m.identity.startsWith("e:");
}

/**
 * The claim and the ownership of each of its uploads, in one transaction: the claim that wins
 * owns every member. Undefined when not created (the claim exists, or another claim owns a member,
 * or it is too large for one transaction): the caller takes the step-by-step path.
 */
export async function openClaim(
  claim: Omit<ClaimItem, "pk">,
  now = Date.now(),
  changes: IndexChanges = [],
): Promise<ClaimItem | undefined> {
  if (claim.members.length + 1 > MAX_TRANSACTION_ITEMS) return undefined;
  const item = newClaimItem(claim, now);
  const owned = claim.members.map((m) =>
    putAction({
      pk: objectPk(claim.bucket, m.key, m.identity),
      claimId: claim.claimId,
      expiresAt: expiresIn(CLAIM_TTL_DAYS, now),
    }),
  );
  return (await transactIndexed([putAction(item), ...owned], changes)) ? item : undefined;
}

/**
 * Staged, and about to send its first chunk: the staged files, the claim's lease and the intent
 * for chunk 0 (written before StartFileTransfer may be called), and the release of uploads that
 * have left AS2/send/. False when the claim is no longer `claiming` or a file exists already
 * (another invocation got there first): the caller takes the step-by-step path.
 */
export async function recordStaged(
  claim: ClaimItem,
  files: readonly Omit<FileItem, "pk">[],
  lease: { leaseId: string; at: Date },
  released: readonly Member[],
): Promise<boolean> {
  if (files.length + released.length + 1 > MAX_TRANSACTION_ITEMS) return false;
  const now = lease.at.getTime();
  return transact([
    ...files.map((f) => putAction(newFileItem(f, now))),
    updateAction(claimPk(claim.claimId), {
      set: { state: "sending", sendingAt: lease.at.toISOString(), leaseId: lease.leaseId },
      add: { intents: new Set(["0"]) },
      condition: stateIn(["claiming"]),
    }),
    ...released.map((m) => deleteAction(objectPk(claim.bucket, m.key, m.identity), claim.claimId)),
  ]);
}

/** Ends the ownership of uploads that have left AS2/send/ (on the step-by-step paths). */
export async function releaseObjects(bucket: string, members: readonly Member[], claimId: string): Promise<void> {
  // One at a time: an item another claim owns (or none) stays as it is.
  for (const m of members.filter(releasedWhenMoved))
    await transact([deleteAction(objectPk(bucket, m.key, m.identity), claimId)]);
}

export interface Started {
  readonly claimId: string;
  readonly chunk: number;
  readonly transferId: string;
  readonly fileNames: readonly string[];
  /** The claim's last chunk: the claim is sent and leaves the open work. */
  readonly last: boolean;
  readonly at: Date;
}

/** The transfer's index item and its files `sent` (from `from`, the state its intent left them in). */
function startedActions(
  claimId: string,
  transferId: string,
  fileNames: readonly string[],
  from: FileState,
  attempts: number,
  at: Date,
): TransactWriteItem[] {
  return [
    putAction({
      pk: transferPk(transferId),
      claimId,
      fileNames: [...fileNames],
      expiresAt: expiresIn(CLAIM_TTL_DAYS, at.getTime()),
    }),
    ...fileNames.map((n) =>
      updateAction(filePk(claimId, n), {
        set: { state: "sent", transferId, attempts, lastAttemptTime: at.toISOString() },
        condition: stateIn([from]),
      }),
    ),
  ];
}

/**
 * StartFileTransfer answered with a transfer id: the transfer's index item, each file `sent`, the
 * chunk counted (and the claim sent after its last chunk). False when a file is no longer `staged`
 * (its result came first) or the claim is no longer `sending`: the caller writes step by step.
 */
export async function recordStarted(s: Started, changes: IndexChanges = []): Promise<boolean> {
  const chunk = { sentChunks: new Set([String(s.chunk)]) };
  return transactIndexed(
    [
      ...startedActions(s.claimId, s.transferId, s.fileNames, "staged", 1, s.at),
      updateAction(
        claimPk(s.claimId),
        s.last
          ? {
              set: { state: "sent" },
              add: chunk,
              remove: [...CLOSE_OPEN_WORK, "leaseId"],
              condition: stateIn(["sending"]),
            }
          : { add: chunk },
      ),
    ],
    changes,
  );
}

/** A retry's StartFileTransfer answered: the transfer's index item and the file `sent`, together. */
export async function recordRetryStarted(
  claimId: string,
  fileName: string,
  transferId: string,
  attempt: number,
  at: Date,
  changes: IndexChanges = [],
): Promise<boolean> {
  return transactIndexed(startedActions(claimId, transferId, [fileName], "sending", attempt, at), changes);
}

/**
 * The outcome of the only file of a claim, recorded after its domain event was published: the file
 * final and the claim reported (it leaves the open work), together. False when the file is no
 * longer in `from` (a concurrent attempt finished it): the caller reads and reports step by step.
 */
export async function recordSingleOutcome(
  claimId: string,
  fileName: string,
  from: FileState,
  done: Update["set"],
  changes: IndexChanges = [],
): Promise<boolean> {
  return transactIndexed(
    [
      updateAction(filePk(claimId, fileName), { set: done, remove: [...CLOSE_OPEN_WORK], condition: stateIn([from]) }),
      updateAction(claimPk(claimId), {
        set: { reported: true },
        add: { finals: new Set([fileName]) },
        remove: [...CLOSE_OPEN_WORK],
      }),
    ],
    changes,
  );
}
