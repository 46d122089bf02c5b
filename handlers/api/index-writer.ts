/**
 * The user's acts on the message index (read/unread, delete, resend link): written by the API only,
 * apart from the pipeline's state (index-transitions.ts), so neither ever overwrites the other.
 */
import { UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { conditionally, tableClient } from "../shared/ledger";
import { toAttributes } from "../shared/attribute-values";
import { INDEX_TABLE_KEY } from "../../model/api/index-model";
import { indexTableName } from "./index-transitions";

export { INDEX_TABLE_ENV, indexTableName, writeTransition, transitionElement, addFacts } from "./index-transitions";

export interface IndexTarget {
  readonly client?: DynamoDBClient;
  readonly table?: string;
}

/** One conditional update of a message's item; false when the condition does not hold. */
function act(
  id: string,
  target: IndexTarget,
  update: string,
  condition: string,
  names: readonly string[],
  values: Record<string, unknown>,
): Promise<boolean> {
  return conditionally(() =>
    (target.client ?? tableClient()).send(
      new UpdateItemCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: { S: id } },
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: Object.fromEntries([INDEX_TABLE_KEY, ...names].map((n) => [`#${n}`, n])),
        ExpressionAttributeValues: toAttributes(values),
      }),
    ),
  );
}

/** Read/unread: only a received, not deleted, inbound message. False when it is not one. */
export function setRead(id: string, read: boolean, target: IndexTarget = {}, now = new Date()): Promise<boolean> {
  return act(
    id,
    target,
    "SET #read = :read, #updatedAt = :now",
    "attribute_exists(#pk) AND #state = :received AND attribute_not_exists(#deletedAt)",
    ["read", "updatedAt", "state", "deletedAt"],
    { ":read": read, ":now": now.toISOString(), ":received": "received" },
  );
}

/** Marks a message deleted once (the first deletion time stays). False when it is unknown. */
export function markDeleted(id: string, target: IndexTarget = {}, now = new Date()): Promise<boolean> {
  return act(
    id,
    target,
    "SET #deletedAt = if_not_exists(#deletedAt, :now), #updatedAt = :now",
    "attribute_exists(#pk)",
    ["deletedAt", "updatedAt"],
    { ":now": now.toISOString() },
  );
}

/** Links a failed message to its resend; the first resend stays the one shown. */
export function linkResend(oldId: string, newId: string, target: IndexTarget = {}): Promise<boolean> {
  return act(oldId, target, "SET #resentAs = if_not_exists(#resentAs, :id)", "attribute_exists(#pk)", ["resentAs"], {
    ":id": newId,
  });
}
