/**
 * Open work as both reconcilers (send and receive) read it: the table's sparse `open-work` index,
 * by kind and age, oldest first (a query, never a table scan), the age of the oldest item
 * published as a metric, and the record of each run that `npm run gateway -- status` shows.
 */
import { QueryCommand, UpdateItemCommand, type QueryCommandOutput } from "@aws-sdk/client-dynamodb";
import { OLDEST_OPEN_WORK_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import { OPEN_WORK_INDEX } from "../../model/open-work";
import { fromAttributes, toAttributes } from "./attribute-values";
import { conditionally, tableClient, tableName, type LedgerItem } from "./ledger";

/** Work younger than this is left to its own continuation and events. */
export const RESULT_GRACE_SECONDS = 15 * 60;
/** Items looked at per kind and run (the schedule runs every few minutes). */
export const RECONCILE_MAX_ITEMS = 200;
/** One item for both reconcilers: `at` is the latest run of either, `send`/`receive` each one's own. */
export const LAST_RUN_PK = "reconciler#lastRun";

export type Direction = "send" | "receive";

/** Pages of open work one run reads past items left as stuck, so that they cannot hide newer work. */
export const RECONCILE_MAX_PAGES = 10;

async function openWorkPage(
  kind: string,
  before: string | undefined,
  limit: number,
  start?: QueryCommandOutput["LastEvaluatedKey"],
): Promise<QueryCommandOutput> {
  return tableClient().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: OPEN_WORK_INDEX.name,
      KeyConditionExpression: before ? "#k = :k AND #s < :before" : "#k = :k",
      ExpressionAttributeNames: {
        "#k": OPEN_WORK_INDEX.partitionKey,
        ...(before ? { "#s": OPEN_WORK_INDEX.sortKey } : {}),
      },
      ExpressionAttributeValues: toAttributes({ ":k": kind, ...(before ? { ":before": before } : {}) }),
      ScanIndexForward: true,
      Limit: limit,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }),
  );
}

/** Open items of one kind, oldest first, opened before `before` (undefined: all). */
export async function openWork(kind: string, before?: string, limit = RECONCILE_MAX_ITEMS): Promise<LedgerItem[]> {
  const r = await openWorkPage(kind, before, limit);
  return (r.Items ?? []).map((i) => fromAttributes(i) as LedgerItem);
}

/**
 * The open items of one kind a run works on: up to `limit`, oldest first, leaving out those `held`
 * (work already reported stuck, which stays open and oldest): counted, not returned.
 */
export async function openWorkToReconcile(
  kind: string,
  before: string,
  held: (item: LedgerItem) => boolean,
  limit = RECONCILE_MAX_ITEMS,
): Promise<{ items: LedgerItem[]; held: number }> {
  const items: LedgerItem[] = [];
  let heldCount = 0;
  let start: QueryCommandOutput["LastEvaluatedKey"];
  for (let page = 0; page < RECONCILE_MAX_PAGES && items.length < limit; page++) {
    const r = await openWorkPage(kind, before, limit, start);
    for (const raw of r.Items ?? []) {
      const item = fromAttributes(raw) as LedgerItem;
      if (held(item)) heldCount++;
      else if (items.length < limit) items.push(item);
    }
    start = r.LastEvaluatedKey;
    if (!start) break;
  }
  return { items, held: heldCount };
}

/**
 * Bounded re-queuing. A reconciler that queues the same open work again on every run fills the
 * owner's dead-letter queue with copies of it; instead each piece of work is queued again at most
 * once per REQUEUE_WINDOW_SECONDS, and after MAX_REQUEUES without progress it is left open (the
 * oldest-open-work metric and alarm keep showing it) and reported stuck once. The turn is a
 * conditional write on the work's own ledger item, so concurrent runs queue it once. Progress (a
 * new `mark`: the owner moved the work on) starts the count again.
 */
/**
 * Longer than a queued message's retries take to end, in success or in the dead-letter queue
 * (maxReceiveCount × visibility timeout: send and results queues 5 × 360 s, receive queue
 * 5 × 720 s, stacks/pipelines; SQS moves a message to the dead-letter queue once it has been
 * received maxReceiveCount times: SQS developer guide, "Using dead-letter queues in Amazon SQS"):
 * a second copy is never queued while the first is still being tried.
 */
export const REQUEUE_WINDOW_SECONDS = 3600;
/** Times one piece of work is queued again without progress before it is left as stuck. */
export const MAX_REQUEUES = 3;
/** Written by the reconcilers only; closing open work removes them with it (claims.CLOSE_OPEN_WORK). */
export const REQUEUE_FIELDS = ["requeuedAt", "requeues", "requeueMark", "stuckAt"] as const;

/**
 * The reconciler's own item for work that has none in the table (a received payload whose event was
 * lost): its re-queues, by the payload's key, kept as long as a payload may wait in a base directory.
 */
export const requeuePk = (key: string) => `requeue#${key}`;
export const REQUEUE_ITEM_DAYS = 90;

export interface RequeueState {
  readonly requeuedAt?: string;
  readonly requeues?: number;
  readonly requeueMark?: string;
  readonly stuckAt?: string;
}

/**
 * `requeue`: this run queues the work again; `stuck`: this run reports it stuck (once); `held`:
 * reported stuck before; `wait`: its window is not over, or another run took the turn.
 */
export type RequeueTurn = "requeue" | "stuck" | "held" | "wait";

/** The requeue fields of a ledger item as read (any other attribute ignored). */
export function requeueStateOf(item: object | undefined): RequeueState {
  const i = (item ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    requeuedAt: str(i.requeuedAt),
    requeues: typeof i.requeues === "number" ? i.requeues : undefined,
    requeueMark: str(i.requeueMark),
    stuckAt: str(i.stuckAt),
  };
}

/** Left as stuck, no progress since: nothing to do for it but count it. */
export function heldStuck(item: object, mark: string): boolean {
  const r = requeueStateOf(item);
  return r.stuckAt !== undefined && r.requeueMark === mark;
}

/**
 * Takes this run's turn for the work of ledger item `pk`, as last seen (`item`, undefined: no item).
 * `kind.open`: the item is open work that must still be open (a closed item gets no requeue fields);
 * otherwise the item is the reconciler's own, created with `expiresAt`.
 */
export async function takeRequeueTurn(
  pk: string,
  item: object | undefined,
  mark: string,
  now: Date,
  kind: { open: true } | { open: false; expiresAt: number },
): Promise<RequeueTurn> {
  const seen = item && requeueStateOf(item);
  const at = now.toISOString();
  const values: Record<string, unknown> = { ":mark": mark, ":now": at };
  const conditions = kind.open ? ["attribute_exists(#open)"] : [];
  let update: string;
  let turn: RequeueTurn;
  if (seen?.requeueMark !== mark || seen.requeues === undefined || seen.requeuedAt === undefined) {
    update = "SET #at = :now, #n = :one, #mark = :mark REMOVE #stuck";
    values[":one"] = 1;
    conditions.push("(attribute_not_exists(#mark) OR #mark <> :mark)");
    turn = "requeue";
  } else if (heldStuck(seen, mark)) {
    return "held";
  } else if (Date.parse(seen.requeuedAt) > now.getTime() - REQUEUE_WINDOW_SECONDS * 1000) {
    return "wait";
  } else {
    // Unchanged since seen (same mark, count and time): no other run took this turn.
    conditions.push("#mark = :mark", "#n = :seen", "#at = :seenAt");
    Object.assign(values, { ":seen": seen.requeues, ":seenAt": seen.requeuedAt });
    if (seen.requeues < MAX_REQUEUES) {
      update = "SET #at = :now, #n = :next";
      values[":next"] = seen.requeues + 1;
      turn = "requeue";
    } else {
      update = "SET #stuck = :now";
      conditions.push("attribute_not_exists(#stuck)");
      turn = "stuck";
    }
  }
  if (!kind.open) {
    update = update.replace("SET ", "SET #exp = :exp, ");
    values[":exp"] = kind.expiresAt;
  }
  const names: Record<string, string> = {
    "#at": "requeuedAt",
    "#n": "requeues",
    "#mark": "requeueMark",
    "#stuck": "stuckAt",
    ...(kind.open ? { "#open": OPEN_WORK_INDEX.partitionKey } : { "#exp": "expiresAt" }),
  };
  const applied = await conditionally(() =>
    tableClient().send(
      new UpdateItemCommand({
        TableName: tableName(),
        Key: toAttributes({ pk }),
        UpdateExpression: update,
        ConditionExpression: conditions.join(" AND "),
        ExpressionAttributeNames: Object.fromEntries(
          Object.entries(names).filter(([k]) => update.includes(k) || conditions.some((c) => c.includes(k))),
        ),
        ExpressionAttributeValues: toAttributes(values),
      }),
    ),
  );
  return applied ? turn : "wait";
}

/** Seconds since the oldest open item of `kind` was opened (0 when none). */
export async function oldestOpenSeconds(kind: string, now: Date): Promise<number> {
  const [oldest] = await openWork(kind, undefined, 1);
  const since = oldest?.[OPEN_WORK_INDEX.sortKey];
  return typeof since === "string" ? Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000)) : 0;
}

/** CloudWatch embedded metric format: one line on stdout becomes a metric, no API call. */
export function publishOldestOpenWork(customer: string, direction: Direction, seconds: number, at: Date): void {
  process.stdout.write(
    `${JSON.stringify({
      _aws: {
        Timestamp: at.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: gatewayMetricNamespace(customer),
            Dimensions: [["Customer", "Direction"]],
            Metrics: [{ Name: OLDEST_OPEN_WORK_METRIC, Unit: "Seconds" }],
          },
        ],
      },
      Customer: customer,
      Direction: direction,
      [OLDEST_OPEN_WORK_METRIC]: seconds,
    })}\n`,
  );
}

/**
 * Records a run. An update of this direction's attributes only, so the two reconcilers never
 * overwrite each other's record whatever their order.
 */
export async function recordRun(direction: Direction, at: Date, bucket: string, result: object): Promise<void> {
  await tableClient().send(
    new UpdateItemCommand({
      TableName: tableName(),
      Key: toAttributes({ pk: LAST_RUN_PK }),
      UpdateExpression: "SET #at = :at, #bucket = :bucket, #dir = :run",
      ExpressionAttributeNames: { "#at": "at", "#bucket": "bucket", "#dir": direction },
      ExpressionAttributeValues: toAttributes({
        ":at": at.toISOString(),
        ":bucket": bucket,
        ":run": { at: at.toISOString(), ...result },
      }),
    }),
  );
}
