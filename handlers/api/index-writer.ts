/**
 * Writes of the message index (model/api/index-model.ts): the pipeline's transitions and the
 * user's acts. Every write is conditional or monotonic, so an event delivered twice, late or
 * concurrently with another never moves a message back.
 *
 * A transition is offered in two forms: a standalone UpdateItem (`writeTransition`) and an element
 * for the caller's own TransactWriteItems (`transitionElement`), so a send-path step can record its
 * claim update and the index change in one request instead of two.
 */
import { UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { conditionally, ledgerClient } from "../shared/ledger";
import { requireEnv } from "../shared/env";
import {
  INDEX_TABLE_ENV,
  INDEX_TABLE_KEY,
  STATE_RANK,
  routeKeyOf,
  sortAtOf,
  stateKeyOf,
  type IndexTransition,
  type IndexedMdn,
} from "../../model/api/index-model";

export { INDEX_TABLE_ENV };

export function indexTableName(): string {
  return requireEnv(INDEX_TABLE_ENV);
}

export interface IndexTarget {
  readonly client?: DynamoDBDocumentClient;
  readonly table?: string;
}

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];
type UpdateParts = {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
};

/** Facts a transition may carry; absent ones are left as they are. */
const FACTS = [
  "as2MessageId",
  "subject",
  "files",
  "mdn",
  "recordKey",
  "failureCode",
  "failureReason",
  "attempts",
  "uploadKey",
  "resendOf",
] as const;

function updateParts(t: IndexTransition, now: string): UpdateParts {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const set = (attr: string, value: unknown, ifAbsent = false) => {
    const n = `#${attr}`;
    names[n] = attr;
    values[`:${attr}`] = value;
    sets.push(ifAbsent ? `${n} = if_not_exists(${n}, :${attr})` : `${n} = :${attr}`);
  };
  set("state", t.state);
  set("rank", STATE_RANK[t.state]);
  set("stateAt", t.at);
  set("updatedAt", now);
  set("direction", t.direction);
  set("station", t.station);
  set("partner", t.partner);
  set("test", t.test);
  set("routeKey", routeKeyOf(t.direction, t.station, t.partner));
  set("stateKey", stateKeyOf(t.direction, t.state));
  set("dirKey", t.direction);
  // The first event seen fixes the creation time: lists stay in place while the state changes.
  set("createdAt", t.at, true);
  set("sortAt", sortAtOf(t.at, t.id), true);
  for (const f of FACTS) if (t[f] !== undefined) set(f, t[f]);
  const removes: string[] = [];
  // A success clears the failure a retry left behind.
  if (t.state !== "failed" && t.state !== "retrying") {
    for (const f of ["failureCode", "failureReason"] as const) {
      if (t[f] === undefined) {
        names[`#${f}`] = f;
        removes.push(`#${f}`);
      }
    }
  }
  return {
    UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Newer than what the item holds: a higher rank, or the same rank and a later event. */
const FORWARD = "attribute_not_exists(#pk) OR #rank < :rank OR (#rank = :rank AND #stateAt < :stateAt)";

/**
 * Records a transition unless the index already holds the same or a later one. Returns whether it
 * was applied (false for a duplicate or late event: not an error).
 */
export async function writeTransition(
  t: IndexTransition,
  target: IndexTarget = {},
  now = new Date(),
): Promise<boolean> {
  const parts = updateParts(t, now.toISOString());
  return conditionally(() =>
    (target.client ?? ledgerClient()).send(
      new UpdateCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: t.id },
        ...parts,
        ConditionExpression: FORWARD,
        ExpressionAttributeNames: { ...parts.ExpressionAttributeNames, "#pk": INDEX_TABLE_KEY },
      }),
    ),
  );
}

/**
 * The same transition as an element of the caller's TransactWriteItems. It carries no condition of
 * its own: a condition that failed would cancel the caller's whole transaction. The caller's own
 * conditional update in the same transaction (a claim or file state change) is what orders the
 * transitions of one message, so the element is only ever written in order.
 */
export function transitionElement(t: IndexTransition, table = indexTableName(), now = new Date()): TransactItem {
  return { Update: { TableName: table, Key: { [INDEX_TABLE_KEY]: t.id }, ...updateParts(t, now.toISOString()) } };
}

/**
 * Adds facts that arrive apart from a state change (an MDN event after the payload's) to an
 * existing item, whatever its state.
 */
export async function addFacts(
  id: string,
  facts: { readonly mdn?: IndexedMdn; readonly subject?: string; readonly as2MessageId?: string },
  target: IndexTarget = {},
): Promise<boolean> {
  const entries = Object.entries(facts).filter(([, v]) => v !== undefined);
  if (!entries.length) return true;
  return conditionally(() =>
    (target.client ?? ledgerClient()).send(
      new UpdateCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: id },
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :f${i}`).join(", ")}`,
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: {
          "#pk": INDEX_TABLE_KEY,
          ...Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        },
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:f${i}`, v])),
      }),
    ),
  );
}

// ---------------------------------------------------------------- the user's acts (API only)

/** Read/unread: only a received, not deleted, inbound message. False when it is not one. */
export async function setRead(id: string, read: boolean, target: IndexTarget = {}, now = new Date()): Promise<boolean> {
  return conditionally(() =>
    (target.client ?? ledgerClient()).send(
      new UpdateCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: id },
        UpdateExpression: "SET #read = :read, #updatedAt = :now",
        ConditionExpression: "attribute_exists(#pk) AND #state = :received AND attribute_not_exists(#deletedAt)",
        ExpressionAttributeNames: {
          "#pk": INDEX_TABLE_KEY,
          "#read": "read",
          "#updatedAt": "updatedAt",
          "#state": "state",
          "#deletedAt": "deletedAt",
        },
        ExpressionAttributeValues: { ":read": read, ":now": now.toISOString(), ":received": "received" },
      }),
    ),
  );
}

/** Marks a message deleted once (the first deletion time stays). False when it is unknown. */
export async function markDeleted(id: string, target: IndexTarget = {}, now = new Date()): Promise<boolean> {
  return conditionally(() =>
    (target.client ?? ledgerClient()).send(
      new UpdateCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: id },
        UpdateExpression: "SET #deletedAt = if_not_exists(#deletedAt, :now), #updatedAt = :now",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": INDEX_TABLE_KEY, "#deletedAt": "deletedAt", "#updatedAt": "updatedAt" },
        ExpressionAttributeValues: { ":now": now.toISOString() },
      }),
    ),
  );
}

/** Links a failed message to its resend; the first resend stays the one shown. */
export async function linkResend(oldId: string, newId: string, target: IndexTarget = {}): Promise<boolean> {
  return conditionally(() =>
    (target.client ?? ledgerClient()).send(
      new UpdateCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: oldId },
        UpdateExpression: "SET #resentAs = if_not_exists(#resentAs, :id)",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": INDEX_TABLE_KEY, "#resentAs": "resentAs" },
        ExpressionAttributeValues: { ":id": newId },
      }),
    ),
  );
}
