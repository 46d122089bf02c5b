/**
 * The message index: one ledger item per received AS2 message (`MSG#<agreement>#<as2MessageId>`).
 * It makes each message land in inbox/ once, remembers where it went (for the MDN events, which
 * may come before or after the payload event) and what the record says. Items change only through
 * conditional writes, so two invocations can never both route the same message.
 *
 * `routing` is held under a lease (like a send claim's, handlers/send/transmit.ts): an invocation
 * that dies there (a timeout, its event then waiting in the dead-letter queue) blocks the message
 * only until the lease runs out. Whoever comes next (a redelivery, the partner's resend, an MDN
 * event, the reconciler) takes the lease over and first finishes that delivery from what the item
 * recorded. Routing items are open work (`openKind`/`openSince`, the sparse `open-work` index), so
 * the reconciler finds them even when nothing is left in the agreement base directory.
 */
import { randomUUID } from "node:crypto";
import { UpdateItemCommand, type TransactWriteItem, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import {
  conditionally,
  expiresIn,
  getItem,
  putIfAbsent,
  tableClient,
  tableName,
  transactOrReasons,
  type LedgerItem,
} from "../shared/ledger";
import { fromAttributes, toAttributes } from "../shared/attribute-values";
import { RESERVATION_LEASE_MS, destinationPk } from "../shared/destination";

/** Long enough to recognise a partner's resend of an old message. */
export const MESSAGE_INDEX_DAYS = 400;

/**
 * How long one invocation holds `routing`: longer than any holder can run (receive function 120 s,
 * reconciler 300 s, stacks/pipelines), shorter than the receive queue's visibility timeout (720 s),
 * so the first retry of a delivery that found the message held can take it over.
 */
export const RECEIVE_LEASE_SECONDS = 600;

/** `openKind` of a message being routed (model/open-work.ts). */
export const OPEN_RECEIVE = "receive-message";

export interface Lease {
  readonly id: string;
  /** ISO time the lease runs out (ISO strings of one format compare as times). */
  readonly until: string;
}

export function newLease(now: Date): Lease {
  return { id: randomUUID(), until: new Date(now.getTime() + RECEIVE_LEASE_SECONDS * 1000).toISOString() };
}

/** Whether another invocation may still be routing the message (no lease recorded: nobody holds it). */
export function leaseHeld(item: Pick<MessageItem, "leaseId" | "leaseUntil">, now: Date): boolean {
  return item.leaseId !== undefined && item.leaseUntil !== undefined && item.leaseUntil > now.toISOString();
}

export type MessageState =
  /** Only MDN information has arrived so far. */
  | "pending"
  /** An invocation is moving the payload (occurrence says which delivery). */
  | "routing"
  | "received"
  | "failed";

export interface MdnInfo {
  readonly status: "sent" | "failed";
  readonly type?: string;
  readonly messageId?: string;
  readonly subject?: string;
  readonly disposition?: string;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly at?: string;
  /** Where Transfer wrote the MDN (agreement base directory). */
  readonly sourceKey?: string;
}

/** What the index knows about one message; the JSON record beside the payload is rendered from it. */
export interface MessageItem extends LedgerItem {
  readonly pk: string;
  readonly state: MessageState;
  readonly agreementId: string;
  readonly as2MessageId: string;
  /** Which delivery of the message the state refers to (a partner may resend the same id). */
  readonly occurrence?: string;
  /** Where `routing` takes the payload: inbox/ (Payload Receive Completed) or failed/. */
  readonly routingTo?: "inbox" | "failed";
  /** When Transfer received this delivery (ISO): names timestamp folders, so a takeover must not guess it. */
  readonly at?: string;
  /** The routing invocation's lease (state `routing` only). */
  readonly leaseId?: string;
  readonly leaseUntil?: string;
  readonly openKind?: string;
  readonly openSince?: string;
  readonly station?: string;
  readonly partner?: string;
  readonly test?: boolean;
  readonly serverId?: string;
  readonly as2From?: string;
  readonly as2To?: string;
  readonly subject?: string;
  readonly clientIp?: string;
  readonly requesterFileName?: string;
  readonly fileName?: string;
  readonly startTimestamp?: string;
  readonly endTimestamp?: string;
  readonly statusCode?: string;
  readonly disposition?: string;
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly bytes?: number;
  readonly sourceKey?: string;
  /** The exact version of this delivery's payload (versioned buckets): a resend may reuse its key. */
  readonly sourceVersionId?: string;
  readonly sourceEtag?: string;
  readonly sourceChecksum?: string;
  readonly sourceSse?: string;
  /** Transfer's status file of this delivery. */
  readonly statusKey?: string;
  readonly size?: number;
  /** Payload key in inbox/ or failed/ once chosen. */
  readonly dest?: string;
  readonly mdn?: MdnInfo;
  /** Key of the MDN beside the payload, once moved there. */
  readonly mdnDest?: string;
  readonly duplicateReported?: boolean;
  readonly expiresAt?: number;
}

export function messagePk(agreementId: string, as2MessageId: string): string {
  return `MSG#${agreementId}#${as2MessageId}`;
}

export async function getMessage(pk: string): Promise<MessageItem | undefined> {
  return getItem<MessageItem>(pk);
}

export async function createMessage(item: Omit<MessageItem, "expiresAt">): Promise<boolean> {
  return putIfAbsent({ ...(stripUndefined(item) as LedgerItem), expiresAt: expiresIn(MESSAGE_INDEX_DAYS) });
}

/**
 * Sets fields when every condition holds (`field = value`, or `field` absent for `undefined`).
 * Returns false when a condition did not hold: someone else changed the item first.
 */
export async function updateMessage(
  pk: string,
  set: Partial<MessageItem>,
  when: Record<string, unknown>,
): Promise<boolean> {
  return writeMessage(pk, set, when);
}

// ---- the state transitions of routing (each a conditional write; false: someone else was first)

const CLOSED: Partial<MessageItem> = {
  openKind: undefined,
  openSince: undefined,
  leaseId: undefined,
  leaseUntil: undefined,
};

function holding(lease: Lease, now: Date): Partial<MessageItem> {
  return { leaseId: lease.id, leaseUntil: lease.until, openKind: OPEN_RECEIVE, openSince: now.toISOString() };
}

/**
 * This delivery starts routing the message: a new item, or one that only knew the MDN (`pending`),
 * or one whose earlier delivery failed (`failed`, then `fields` also clears what that one left).
 */
export async function startRouting(
  pk: string,
  fields: Partial<MessageItem>,
  from: { readonly state: "absent" | "pending" | "failed"; readonly occurrence?: string },
  lease: Lease,
  now: Date,
): Promise<boolean> {
  const set = { ...fields, ...holding(lease, now), state: "routing" as const };
  if (from.state === "absent") return createMessage({ pk, ...(set as Omit<MessageItem, "pk">) });
  return writeMessage(pk, set, startCondition(from));
}

/** The first candidate name of a delivery's destination, reserved together with the start of its routing. */
export interface FirstReservation {
  readonly key: string;
  /** The reservation's owner (routingWork's `owner`: the same for every invocation finishing this delivery). */
  readonly owner: string;
}

/**
 * startRouting and the reservation of the destination's first candidate name `first` (none: plain startRouting) (`DEST#<key>`, the
 * ledger item handlers/shared/destination.ts reserves) in one TransactWriteItems: one request where
 * the step-by-step way took three (create, re-read, reserve: GetItem + PutItem). The item then
 * records `dest` before anything is copied, as recordRouting would. Unlike reserveKey, no HeadObject
 * asks whether the name already holds an object: the copy there is conditional (`If-None-Match: *`)
 * and its 412 says so, and the router then reserves the next candidate step by step.
 * `reserved`: whether `dest` = `first.key` (else the name is someone else's: the router reserves
 * one step by step); `written`: the new item (a new message), else re-read it; false: someone else
 * changed the item first.
 */
export async function startRoutingReserved(
  pk: string,
  fields: Partial<MessageItem>,
  from: { readonly state: "absent" | "pending" | "failed"; readonly occurrence?: string },
  lease: Lease,
  now: Date,
  first: FirstReservation | undefined,
): Promise<false | { readonly reserved: boolean; readonly written?: MessageItem }> {
  // A new item is exactly what was written: no need to read it back.
  const written = (s: Partial<MessageItem>) =>
    from.state === "absent" ? stripUndefined({ ...s, pk } as MessageItem) : undefined;
  const without = { ...fields, dest: undefined };
  const plain = async () =>
    (await startRouting(pk, without, from, lease, now))
      ? { reserved: false, written: written({ ...without, ...holding(lease, now), state: "routing" }) }
      : false;
  if (!first) return plain();
  const set = { ...fields, dest: first.key, ...holding(lease, now), state: "routing" as const };
  const start: TransactWriteItem =
    from.state === "absent"
      ? {
          Put: {
            TableName: tableName(),
            Item: toAttributes({ pk, ...stripUndefined(set), expiresAt: expiresIn(MESSAGE_INDEX_DAYS) }),
            ConditionExpression: "attribute_not_exists(pk)",
          },
        }
      : { Update: updateInput(pk, set, startCondition(from)) };
  // Reservation items are judged by the wall clock, as reserveKey judges them.
  const at = Date.now();
  const reserve: TransactWriteItem = {
    Put: {
      TableName: tableName(),
      Item: toAttributes({
        pk: destinationPk(first.key),
        owner: first.owner,
        reservedAt: at,
        expiresAt: expiresIn(2, at),
      }),
      // Free, this delivery's own, or a reservation whose lease ran out (reserveKey's rules).
      ConditionExpression: "attribute_not_exists(pk) OR #o = :o OR #r <= :cutoff",
      ExpressionAttributeNames: { "#o": "owner", "#r": "reservedAt" },
      ExpressionAttributeValues: toAttributes({ ":o": first.owner, ":cutoff": at - RESERVATION_LEASE_MS }),
    },
  };
  const done = await transactOrReasons([start, reserve]);
  if (done === true) return { reserved: true, written: written(set) };
  // The message changed (or a concurrent transaction touched it): the caller re-reads it.
  if (done[0] !== undefined && done[0] !== "None") return false;
  // Only the name was taken: routing starts without it.
  return plain();
}

/** The condition of starting from an existing item (`pending`, or `failed` with its occurrence). */
function startCondition(from: { readonly state: string; readonly occurrence?: string }) {
  return { state: from.state, ...(from.state === "failed" ? { occurrence: from.occurrence } : {}) };
}

/** An MDN event came before the payload's: the message is known, `pending` until its payload event. */
export async function rememberEarlyMdn(
  pk: string,
  ids: Pick<MessageItem, "agreementId" | "as2MessageId">,
  mdn: MdnInfo,
): Promise<boolean> {
  return createMessage({ pk, state: "pending", ...ids, mdn });
}

/** Another MDN event while the message is still `pending`. */
export async function updateEarlyMdn(pk: string, mdn: MdnInfo): Promise<boolean> {
  return writeMessage(pk, { mdn }, { state: "pending" });
}

/**
 * The MDN status of a message already routed (`received` or `failed`), for the delivery `item`
 * recorded: the item as written (UpdateItem `ReturnValues: ALL_NEW` returns "all of the attributes
 * of the item, as they appear after the UpdateItem operation": DynamoDB API reference), or
 * undefined when the item changed first.
 */
export async function recordMdn(
  item: MessageItem,
  mdn: MdnInfo,
  mdnDest: string | undefined,
): Promise<MessageItem | undefined> {
  const input = updateInput(item.pk, stripUndefined({ mdn, mdnDest }), {
    state: item.state,
    occurrence: item.occurrence,
  });
  let written: MessageItem | undefined;
  const done = await conditionally(async () => {
    const r = await tableClient().send(new UpdateItemCommand({ ...input, ReturnValues: "ALL_NEW" }));
    written = r.Attributes ? (fromAttributes(r.Attributes) as MessageItem) : undefined;
  });
  return done ? (written ?? (await getMessage(item.pk))) : undefined;
}

/** Takes over the routing `item` recorded once its holder's lease ran out (or was released). */
export async function takeOverRouting(item: MessageItem, lease: Lease, now: Date): Promise<boolean> {
  return writeMessage(
    item.pk,
    {
      leaseId: lease.id,
      leaseUntil: lease.until,
      openKind: OPEN_RECEIVE,
      openSince: item.openSince ?? now.toISOString(),
    },
    { state: "routing", occurrence: item.occurrence, leaseId: item.leaseId },
    item.leaseId !== undefined ? { field: "leaseUntil", before: now.toISOString() } : undefined,
  );
}

/**
 * The delivery `item` recorded can never be finished (its payload is gone and no copy of it was
 * routed): the delivery holding the lease now becomes the one that counts.
 */
export async function handOverRouting(
  item: MessageItem,
  lease: Lease,
  fields: Partial<MessageItem>,
  now: Date,
): Promise<boolean> {
  // Its holder released it (the error that found the payload gone): nobody else took it since.
  return writeMessage(
    item.pk,
    { ...fields, ...holding(lease, now), openSince: item.openSince ?? now.toISOString(), state: "routing" },
    { state: "routing", occurrence: item.occurrence, leaseId: undefined },
  );
}

/** Records progress (the reserved destination, sidecar keys, what the status file said) under the lease. */
export async function recordRouting(item: MessageItem, lease: Lease, set: Partial<MessageItem>): Promise<boolean> {
  // leaseUntil is rewritten unchanged: the write then always has something to set.
  return writeMessage(
    item.pk,
    { ...set, leaseUntil: lease.until },
    { state: "routing", occurrence: item.occurrence, leaseId: lease.id },
  );
}

/** The holder stops (an error it reports): the next delivery need not wait for the lease to run out. */
export async function releaseRouting(item: MessageItem, lease: Lease): Promise<boolean> {
  return writeMessage(item.pk, { leaseId: undefined, leaseUntil: undefined }, { state: "routing", leaseId: lease.id });
}

/** Routing ended in inbox/: no longer open work; `set`: what was learned on the way (the MDN's key). */
export async function markReceived(item: MessageItem, lease: Lease, set: Partial<MessageItem> = {}): Promise<boolean> {
  return writeMessage(
    item.pk,
    { ...set, ...CLOSED, state: "received" },
    { state: "routing", occurrence: item.occurrence, leaseId: lease.id },
  );
}

/** Routing ended in failed/: no longer open work. */
export async function markFailed(item: MessageItem, lease: Lease): Promise<boolean> {
  return writeMessage(
    item.pk,
    { ...CLOSED, state: "failed" },
    { state: "routing", occurrence: item.occurrence, leaseId: lease.id },
  );
}

async function writeMessage(
  pk: string,
  set: Partial<MessageItem>,
  when: Record<string, unknown>,
  expired?: { readonly field: string; readonly before: string },
): Promise<boolean> {
  return conditionally(() => tableClient().send(new UpdateItemCommand(updateInput(pk, set, when, expired))));
}

/** The conditional update of writeMessage, also an element of a TransactWriteItems (same fields). */
function updateInput(
  pk: string,
  set: Partial<MessageItem>,
  when: Record<string, unknown>,
  expired?: { readonly field: string; readonly before: string },
): UpdateItemCommandInput & { UpdateExpression: string } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(set).forEach(([k, v], i) => {
    names[`#s${i}`] = k;
    if (v === undefined) removes.push(`#s${i}`);
    else {
      values[`:s${i}`] = v;
      sets.push(`#s${i} = :s${i}`);
    }
  });
  const conditions = ["attribute_exists(pk)"];
  Object.entries(when).forEach(([k, v], i) => {
    names[`#c${i}`] = k;
    if (v === undefined) conditions.push(`attribute_not_exists(#c${i})`);
    else {
      values[`:c${i}`] = v;
      conditions.push(`#c${i} = :c${i}`);
    }
  });
  if (expired) {
    names["#exp"] = expired.field;
    values[":exp"] = expired.before;
    conditions.push("#exp < :exp");
  }
  const expression = [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""]
    .filter(Boolean)
    .join(" ");
  return {
    TableName: tableName(),
    Key: { pk: { S: pk } },
    UpdateExpression: expression,
    ConditionExpression: conditions.join(" AND "),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: toAttributes(values) } : {}),
  };
}

export function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
