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

// ---------------------------------------------------------------- the user's acts (API only)

/** Read/unread: only a received, not deleted, inbound message. False when it is not one. */
export async function setRead(id: string, read: boolean, target: IndexTarget = {}, now = new Date()): Promise<boolean> {
  return conditionally(() =>
    (target.client ?? tableClient()).send(
      new UpdateItemCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: { S: id } },
        UpdateExpression: "SET #read = :read, #updatedAt = :now",
        ConditionExpression: "attribute_exists(#pk) AND #state = :received AND attribute_not_exists(#deletedAt)",
        ExpressionAttributeNames: {
          "#pk": INDEX_TABLE_KEY,
          "#read": "read",
          "#updatedAt": "updatedAt",
          "#state": "state",
          "#deletedAt": "deletedAt",
        },
        ExpressionAttributeValues: toAttributes({ ":read": read, ":now": now.toISOString(), ":received": "received" }),
      }),
    ),
  );
}

/** Marks a message deleted once (the first deletion time stays). False when it is unknown. */
export async function markDeleted(id: string, target: IndexTarget = {}, now = new Date()): Promise<boolean> {
  return conditionally(() =>
    (target.client ?? tableClient()).send(
      new UpdateItemCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: { S: id } },
        UpdateExpression: "SET #deletedAt = if_not_exists(#deletedAt, :now), #updatedAt = :now",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": INDEX_TABLE_KEY, "#deletedAt": "deletedAt", "#updatedAt": "updatedAt" },
        ExpressionAttributeValues: toAttributes({ ":now": now.toISOString() }),
      }),
    ),
  );
}

/** Links a failed message to its resend; the first resend stays the one shown. */
export async function linkResend(oldId: string, newId: string, target: IndexTarget = {}): Promise<boolean> {
  return conditionally(() =>
    (target.client ?? tableClient()).send(
      new UpdateItemCommand({
        TableName: target.table ?? indexTableName(),
        Key: { [INDEX_TABLE_KEY]: { S: oldId } },
        UpdateExpression: "SET #resentAs = if_not_exists(#resentAs, :id)",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#pk": INDEX_TABLE_KEY, "#resentAs": "resentAs" },
        ExpressionAttributeValues: toAttributes({ ":id": newId }),
      }),
    ),
  );
}
