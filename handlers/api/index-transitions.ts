/**
 * The pipeline's writes of the message index (model/api/index-model.ts): a transition, forward
 * only, so an event delivered twice, late or concurrently with another never moves a message back.
 * Offered in two forms: a standalone UpdateItem (`writeTransition`) and an action for the caller's
 * own TransactWriteItems (`transitionElement`), so a send-path step records its claim update and
 * the index change in one request instead of two.
 *
 * Plain `@aws-sdk/client-dynamodb` (no document client): the send and receive functions import
 * this module, and their bundles stay free of `@aws-sdk/lib-dynamodb` (issue #17).
 */
import {
  DynamoDBClient,
  UpdateItemCommand,
  type AttributeValue,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { requireEnv } from "../shared/env";
import { conditionally } from "../shared/ledger";
import { toAttribute as attr } from "../shared/attribute-values";
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

let client: DynamoDBClient | undefined;
function indexClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}
/** For tests: forget the client after changing the environment. */
export function resetIndexClient(): void {
  client = undefined;
}

export interface TransitionTarget {
  readonly client?: DynamoDBClient;
  readonly table?: string;
}

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

interface UpdateParts {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
}

function updateParts(t: IndexTransition, now: string): UpdateParts {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets: string[] = [];
  const set = (name: string, value: unknown, ifAbsent = false) => {
    const n = `#${name}`;
    names[n] = name;
    values[`:${name}`] = attr(value);
    sets.push(ifAbsent ? `${n} = if_not_exists(${n}, :${name})` : `${n} = :${name}`);
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
 * The same, or a transition of the same rank written no later: in a transaction the caller's own
 * conditional ledger update orders the transitions of one message, so an equal time (a frozen or
 * coarse clock) is its successor, not a duplicate.
 */
const FORWARD_OR_SAME = FORWARD.replace("#stateAt < ", "#stateAt <= ");

function conditionalUpdate(t: IndexTransition, table: string, now: Date, condition: string) {
  const parts = updateParts(t, now.toISOString());
  return {
    TableName: table,
    Key: { [INDEX_TABLE_KEY]: { S: t.id } },
    ...parts,
    ConditionExpression: condition,
    ExpressionAttributeNames: { ...parts.ExpressionAttributeNames, "#pk": INDEX_TABLE_KEY },
  };
}

/**
 * Records a transition unless the index already holds the same or a later one. Returns whether it
 * was applied (false for a duplicate or late event: not an error).
 */
export async function writeTransition(
  t: IndexTransition,
  target: TransitionTarget = {},
  now = new Date(),
): Promise<boolean> {
  const input = conditionalUpdate(t, target.table ?? indexTableName(), now, FORWARD);
  return conditionally(() => (target.client ?? indexClient()).send(new UpdateItemCommand(input)));
}

/**
 * The same transition as an action of the caller's TransactWriteItems, conditional like
 * `writeTransition` so that a transition never moves the index back even when it comes from a
 * writer the ledger does not order (the API's own `queued`, a reindex). A refused condition
 * cancels the whole transaction (API reference, TransactionCanceledException): the caller puts
 * these actions last and, when they alone were refused, writes its transition again without them
 * (claims.ts transactIndexed), so the pipeline never waits on the index.
 */
export function transitionElement(t: IndexTransition, table = indexTableName(), now = new Date()): TransactWriteItem {
  return { Update: conditionalUpdate(t, table, now, FORWARD_OR_SAME) };
}

/**
 * Adds facts that arrive apart from a state change (an MDN event after the payload's) to an
 * existing item, whatever its state.
 */
export async function addFacts(
  id: string,
  facts: { readonly mdn?: IndexedMdn; readonly subject?: string; readonly as2MessageId?: string },
  target: TransitionTarget = {},
): Promise<boolean> {
  const entries = Object.entries(facts).filter(([, v]) => v !== undefined);
  if (!entries.length) return true;
  return conditionally(() =>
    (target.client ?? indexClient()).send(
      new UpdateItemCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: { S: id } },
        UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :f${i}`).join(", ")}`,
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: {
          "#pk": INDEX_TABLE_KEY,
          ...Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
        },
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:f${i}`, attr(v)])),
      }),
    ),
  );
}
