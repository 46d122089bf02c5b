/**
 * The send pipeline's state in the gateway's table. Three kinds of items:
 * - `claim#<claimId>`: one upload (a file, or a batch directory) and how far its sending got;
 * - `obj#<bucket>#<key>#<identity>`: which claim owns one object version (so no two claims send it);
 * - `file#<claimId>#<fileName>`: one staged file's delivery (attempts, transfer id, outcome).
 * Every change is a conditional write, so duplicate or concurrent deliveries change nothing twice.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { UpdateCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import { ledgerClient, tableName, putIfAbsent, getItem, expiresIn } from "../shared/ledger";

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

export interface FileItem {
  readonly pk: string;
  readonly claimId: string;
  readonly fileName: string;
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
  readonly mdnMessageId?: string;
  readonly subject?: string;
}

/**
 * Open work carries `openKind` and `openSince`: the keys of the table's sparse index
 * (`OPEN_WORK_INDEX`), which holds only unfinished claims and files, so the reconciler finds
 * them by kind and age without scanning the table. Finishing removes both attributes.
 */
export const OPEN_CLAIM = "send-claim";
export const OPEN_FILE = "send-file";
export const CLOSE_OPEN_WORK = ["openKind", "openSince"] as const;

export const claimPk = (claimId: string) => `claim#${claimId}`;
export const objectPk = (bucket: string, key: string, identity: string) => `obj#${bucket}#${key}#${identity}`;
export const filePk = (claimId: string, fileName: string) => `file#${claimId}#${fileName}`;
export const transferPk = (transferId: string) => `transfer#${transferId}`;
/** Debounce of batch re-checks: the due time of the latest scheduled check of a directory. */
export const batchWaitPk = (bucket: string, prefix: string) => `batchwait#${bucket}#${prefix}`;

function isConditionFailure(e: unknown): boolean {
  return (
    e instanceof ConditionalCheckFailedException || (e as { name?: string }).name === "ConditionalCheckFailedException"
  );
}

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

/** Conditional update. Returns the new item, or undefined when the condition did not hold. */
export async function update<T>(pk: string, u: Update): Promise<T | undefined> {
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
  const condition = u.condition ? `attribute_exists(pk) AND (${u.condition.expression})` : "attribute_exists(pk)";
  try {
    const r = await ledgerClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk },
        UpdateExpression: clauses.join(" "),
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        ReturnValues: "ALL_NEW",
      }),
    );
    return r.Attributes as T;
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

/** Creates the claim unless it exists; returns the stored claim either way. */
export async function createClaim(
  claim: Omit<ClaimItem, "pk">,
  now = Date.now(),
): Promise<{ created: boolean; claim: ClaimItem }> {
  const item = {
    ...claim,
    pk: claimPk(claim.claimId),
    expiresAt: expiresIn(CLAIM_TTL_DAYS, now),
    openKind: OPEN_CLAIM,
    openSince: claim.claimedAt,
  };
  if (await putIfAbsent(item)) return { created: true, claim: item };
  const existing = await getClaim(claim.claimId);
  if (!existing) throw new Error(`claim ${claim.claimId} exists and vanished; retry`);
  return { created: false, claim: existing };
}

/** Makes `claimId` the owner of an object version unless another claim owns it; returns the owner. */
export async function claimObject(bucket: string, m: Member, claimId: string, now = Date.now()): Promise<string> {
  const pk = objectPk(bucket, m.key, m.identity);
  if (await putIfAbsent({ pk, claimId, expiresAt: expiresIn(CLAIM_TTL_DAYS, now) })) return claimId;
  const r = await ledgerClient().send(new GetCommand({ TableName: tableName(), Key: { pk }, ConsistentRead: true }));
  return (r.Item?.claimId as string | undefined) ?? claimId;
}

export async function ownerOf(bucket: string, key: string, identity: string): Promise<string | undefined> {
  const item = await getItem(objectPk(bucket, key, identity));
  return item?.claimId as string | undefined;
}

export async function createFile(file: Omit<FileItem, "pk">, now = Date.now()): Promise<void> {
  const open = (FINAL_FILE_STATES as readonly string[]).includes(file.state)
    ? {}
    : { openKind: OPEN_FILE, openSince: new Date(now).toISOString() };
  await putIfAbsent({
    ...file,
    ...open,
    pk: filePk(file.claimId, file.fileName),
    expiresAt: expiresIn(CLAIM_TTL_DAYS, now),
  });
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
  try {
    await ledgerClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk },
        UpdateExpression: "SET dueAt = :d, expiresAt = :e",
        ConditionExpression: "attribute_not_exists(dueAt) OR dueAt < :d",
        ExpressionAttributeValues: { ":d": due, ":e": expiresIn(1, now) },
      }),
    );
    return true;
  } catch (e) {
    if (isConditionFailure(e)) return false;
    throw e;
  }
}
