/**
 * Reads of the message index: one message, and newest-first pages of a direction's messages with
 * filters, through the GSI that fits the filters best. Cursors are opaque to clients and bound to
 * the query they came from (a cursor of another query is refused, not misread).
 */
import { GetItemCommand, QueryCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createHash } from "node:crypto";
import { tableClient } from "../shared/ledger";
import { fromAttributes, toAttributes } from "../shared/attribute-values";
import { indexTableName } from "./index-writer";
import {
  INDEX_GSIS,
  INDEX_TABLE_KEY,
  routeKeyOf,
  stateKeyOf,
  type Direction,
  type IndexItem,
  type MessageState,
} from "../../model/api/index-model";

export interface ListQuery {
  readonly direction: Direction;
  readonly station?: string;
  readonly partner?: string;
  readonly state?: MessageState;
  readonly unread?: boolean;
  /** ISO times, inclusive, on the creation time. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  readonly cursor?: string;
  /** The client's stations (undefined: all). */
  readonly stations?: readonly string[];
}

export interface Page {
  readonly items: IndexItem[];
  readonly nextCursor?: string;
}

export class CursorError extends Error {
  override readonly name = "CursorError";
}

/** A filtered page may need several queries; past this many the page is returned short, with a cursor. */
const MAX_QUERIES_PER_PAGE = 25;

export async function getIndexItem(
  id: string,
  client: DynamoDBClient = tableClient(),
  table = indexTableName(),
): Promise<IndexItem | undefined> {
  const r = await client.send(
    new GetItemCommand({ TableName: table, Key: { [INDEX_TABLE_KEY]: { S: id } }, ConsistentRead: true }),
  );
  return r.Item ? (fromAttributes(r.Item) as unknown as IndexItem) : undefined;
}

function queryHash(q: ListQuery): string {
  const { cursor: _c, limit: _l, ...rest } = q;
  void _c;
  void _l;
  return createHash("sha256").update(JSON.stringify(rest)).digest("base64url").slice(0, 16);
}

export function encodeCursor(q: ListQuery, key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ q: queryHash(q), k: key }), "utf8").toString("base64url");
}

const FOREIGN_CURSOR = "the cursor is not one this API returned; start again without it";

function decodeCursor(q: ListQuery): Record<string, string> | undefined {
  if (q.cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(q.cursor, "base64url").toString("utf8"));
  } catch {
    throw new CursorError(FOREIGN_CURSOR);
  }
  const c = parsed as { q?: unknown; k?: unknown };
  // Every key attribute of the table and its GSIs is a string (stacks/api/index-table.ts).
  if (
    typeof c !== "object" ||
    c === null ||
    typeof c.k !== "object" ||
    c.k === null ||
    !Object.values(c.k).every((v) => typeof v === "string")
  )
    throw new CursorError(FOREIGN_CURSOR);
  if (c.q !== queryHash(q))
    throw new CursorError("the cursor belongs to a list with other filters; repeat that list's filters or start again");
  return c.k as Record<string, string>;
}

interface Plan {
  index: string;
  key: string;
  keyValue: string;
  filters: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
}

function plan(q: ListQuery): Plan {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const filters: string[] = [];
  const eq = (attr: string, value: unknown) => {
    names[`#${attr}`] = attr;
    values[`:${attr}`] = value;
    filters.push(`#${attr} = :${attr}`);
  };
  const pipelineState =
    q.state === "read" || q.unread ? "received" : q.state === "deleted" || q.state === undefined ? undefined : q.state;
  let p: Pick<Plan, "index" | "key" | "keyValue">;
  if (q.station !== undefined && q.partner !== undefined) {
    const g = INDEX_GSIS.byRoute;
    p = { index: g.name, key: g.partitionKey, keyValue: routeKeyOf(q.direction, q.station, q.partner) };
    if (pipelineState) eq("state", pipelineState);
  } else if (pipelineState) {
    const g = INDEX_GSIS.byState;
    p = { index: g.name, key: g.partitionKey, keyValue: stateKeyOf(q.direction, pipelineState) };
    if (q.station !== undefined) eq("station", q.station);
    if (q.partner !== undefined) eq("partner", q.partner);
  } else {
    const g = INDEX_GSIS.byDirection;
    p = { index: g.name, key: g.partitionKey, keyValue: q.direction };
    if (q.station !== undefined) eq("station", q.station);
    if (q.partner !== undefined) eq("partner", q.partner);
  }
  names["#deletedAt"] = "deletedAt";
  filters.push(q.state === "deleted" ? "attribute_exists(#deletedAt)" : "attribute_not_exists(#deletedAt)");
  if (q.state === "read" || q.unread) {
    names["#read"] = "read";
    values[":true"] = true;
    filters.push(q.unread ? "(attribute_not_exists(#read) OR #read <> :true)" : "#read = :true");
  }
  if (q.stations !== undefined) {
    names["#stationAllowed"] = "station";
    const refs = q.stations.map((s, i) => {
      values[`:allowed${i}`] = s;
      return `:allowed${i}`;
    });
    filters.push(refs.length ? `#stationAllowed IN (${refs.join(", ")})` : "attribute_not_exists(#stationAllowed)");
  }
  return { ...p, filters, names, values };
}

export async function listMessages(
  q: ListQuery,
  client: DynamoDBClient = tableClient(),
  table = indexTableName(),
): Promise<Page> {
  let start = decodeCursor(q);
  const p = plan(q);
  const sortKey = INDEX_GSIS.byRoute.sortKey;
  const keyNames: Record<string, string> = { "#pk": p.key };
  const keyValues: Record<string, unknown> = { ":pk": p.keyValue };
  let keyCondition = "#pk = :pk";
  if (q.from !== undefined || q.to !== undefined) keyNames["#sk"] = sortKey;
  // sortAt is `<createdAt>#<id>`: '#' sorts before every digit, '~' after every id character.
  if (q.from !== undefined && q.to !== undefined) {
    keyCondition += " AND #sk BETWEEN :from AND :to";
    Object.assign(keyValues, { ":from": q.from, ":to": `${q.to}#~` });
  } else if (q.from !== undefined) {
    keyCondition += " AND #sk >= :from";
    keyValues[":from"] = q.from;
  } else if (q.to !== undefined) {
    keyCondition += " AND #sk <= :to";
    keyValues[":to"] = `${q.to}#~`;
  }
  const items: IndexItem[] = [];
  for (let n = 0; n < MAX_QUERIES_PER_PAGE; n++) {
    // Limit counts items read before the filter: asking for exactly what is missing makes the
    // last key read the last item returned whenever the page fills up, so the cursor skips nothing.
    const r = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: p.index,
        KeyConditionExpression: keyCondition,
        FilterExpression: p.filters.join(" AND "),
        ExpressionAttributeNames: { ...keyNames, ...p.names },
        ExpressionAttributeValues: toAttributes({ ...keyValues, ...p.values }),
        ScanIndexForward: false,
        Limit: q.limit - items.length,
        ...(start ? { ExclusiveStartKey: toAttributes(start) } : {}),
      }),
    );
    items.push(...(r.Items ?? []).map((i) => fromAttributes(i) as unknown as IndexItem));
    // Cursors hold the key as plain values: the same cursor text whichever client wrote it.
    start = r.LastEvaluatedKey ? (fromAttributes(r.LastEvaluatedKey) as Record<string, string>) : undefined;
    if (!start || items.length >= q.limit) break;
  }
  return { items, nextCursor: start && encodeCursor(q, start) };
}
