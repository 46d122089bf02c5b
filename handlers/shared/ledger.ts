/**
 * The gateway's state table (DynamoDB): claims that make each upload be sent once, and the message
 * index that makes each AS2 message be routed once. One table, items keyed by `pk`; conditional
 * writes are the only way an item comes into being, so concurrent handlers cannot both win.
 */
import { DynamoDBClient, ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { requireEnv } from "./env";

let doc: DynamoDBDocumentClient | undefined;

export function ledgerClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return doc;
}

export function resetLedgerClient(): void {
  doc = undefined;
}

export function tableName(): string {
  return requireEnv("STATE_TABLE");
}

export type LedgerItem = Record<string, unknown> & { pk: string };

/** Seconds since the epoch, `days` from now: DynamoDB TTL attribute `expiresAt`. */
export function expiresIn(days: number, now = Date.now()): number {
  return Math.floor(now / 1000) + days * 86400;
}

/** Creates the item unless one with the same pk exists. Returns true when this call created it. */
export async function putIfAbsent(item: LedgerItem, client = ledgerClient(), table = tableName()): Promise<boolean> {
  return conditionally(() =>
    client.send(new PutCommand({ TableName: table, Item: item, ConditionExpression: "attribute_not_exists(pk)" })),
  );
}

/** Runs a conditional write: true when it was applied, false when its condition did not hold. */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (e) {
    if (
      e instanceof ConditionalCheckFailedException ||
      (e as { name?: string }).name === "ConditionalCheckFailedException"
    )
      return false;
    throw e;
  }
}

export async function getItem<T extends LedgerItem = LedgerItem>(
  pk: string,
  client = ledgerClient(),
  table = tableName(),
): Promise<T | undefined> {
  const r = await client.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }));
  return r.Item as T | undefined;
}

/**
 * Sets fields on an existing item, optionally only when `field` currently equals `expected`
 * (a state transition). Returns false when the condition did not hold.
 */
export async function updateItem(
  pk: string,
  set: Record<string, unknown>,
  when?: { field: string; equals: unknown } | { field: string; notEquals: unknown },
  client = ledgerClient(),
  table = tableName(),
): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const parts = Object.entries(set).map(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:v${i}`] = v;
    return `#f${i} = :v${i}`;
  });
  let condition = "attribute_exists(pk)";
  if (when) {
    names["#w"] = when.field;
    if ("equals" in when) {
      values[":w"] = when.equals;
      condition += " AND #w = :w";
    } else {
      values[":w"] = when.notEquals;
      condition += " AND (attribute_not_exists(#w) OR #w <> :w)";
    }
  }
  return conditionally(() =>
    client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk },
        UpdateExpression: `SET ${parts.join(", ")}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}
