/**
 * The gateway's state table (DynamoDB): claims that make each upload be sent once, and the message
 * index that makes each AS2 message be routed once. One table, items keyed by `pk`; conditional
 * writes are the only way an item comes into being, so concurrent handlers cannot both win.
 *
 * Talks to the plain DynamoDB client with attribute-values.ts: the document client
 * (`@aws-sdk/lib-dynamodb`) would cost every bundle 16 KB.
 */
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  TransactWriteItemsCommand,
  type TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { requireEnv } from "./env";
import { fromAttributes, toAttributes } from "./attribute-values";

let raw: DynamoDBClient | undefined;

/** One client per container, configured the SDK's standard way (AWS_ENDPOINT_URL_DYNAMODB redirects it). */
export function tableClient(): DynamoDBClient {
  raw ??= new DynamoDBClient({});
  return raw;
}

export function resetLedgerClient(): void {
  raw = undefined;
}

export function tableName(): string {
  return requireEnv("STATE_TABLE");
}

export type LedgerItem = Record<string, unknown> & { pk: string };

/** Seconds since the epoch, `days` from now: DynamoDB TTL attribute `expiresAt`. */
export function expiresIn(days: number, now = Date.now()): number {
  return Math.floor(now / 1000) + days * 86400;
}

export function isConditionFailure(e: unknown): boolean {
  return (e as { name?: string })?.name === "ConditionalCheckFailedException";
}

/** Creates the item unless one with the same pk exists. Returns true when this call created it. */
export async function putIfAbsent(item: LedgerItem, client = tableClient(), table = tableName()): Promise<boolean> {
  return conditionally(() =>
    client.send(
      new PutItemCommand({
        TableName: table,
        Item: toAttributes(item),
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    ),
  );
}

/** Runs a conditional write: true when it was applied, false when its condition did not hold. */
export async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (e) {
    if (isConditionFailure(e)) return false;
    throw e;
  }
}

export async function getItem<T extends LedgerItem = LedgerItem>(
  pk: string,
  client = tableClient(),
  table = tableName(),
): Promise<T | undefined> {
  const r = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
  return r.Item ? (fromAttributes(r.Item) as T) : undefined;
}

/**
 * Sets fields on an existing item, optionally only when `field` currently equals `equals`
 * (a state transition). Returns false when the condition did not hold.
 */
export async function updateItem(
  pk: string,
  set: Record<string, unknown>,
  when?: { field: string; equals: unknown },
  client = tableClient(),
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
    values[":w"] = when.equals;
    condition += " AND #w = :w";
  }
  return conditionally(() =>
    client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: pk } },
        UpdateExpression: `SET ${parts.join(", ")}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: toAttributes(values),
      }),
    ),
  );
}

/**
 * Writes that belong to one transition, all or none (TransactWriteItems: up to 100 actions on
 * distinct items, "DynamoDB cancels a TransactWriteItems request [when] a condition in one of the
 * condition expressions is not met": API reference, TransactionCanceledException). Returns true
 * when applied, false when cancelled; other errors are thrown.
 */
export async function transact(items: readonly TransactWriteItem[], client = tableClient()): Promise<boolean> {
  return (await transactOrReasons(items, client)) === true;
}

/**
 * The same, answering a cancellation with its reason codes, one per action in request order
 * ("None" for an action that was not the cause: API reference, TransactionCanceledException,
 * CancellationReasons).
 */
export async function transactOrReasons(
  items: readonly TransactWriteItem[],
  client = tableClient(),
): Promise<true | (string | undefined)[]> {
  try {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [...items] }));
    return true;
  } catch (e) {
    // A condition that did not hold, or a conflict with another transaction in flight: the
    // caller's step-by-step path sorts it out (and meets any other reason as a plain error).
    const err = e as { name?: string; CancellationReasons?: { Code?: string }[] };
    if (err?.name === "TransactionCanceledException") return (err.CancellationReasons ?? []).map((r) => r.Code);
    throw e;
  }
}
