/**
 * Open work as both reconcilers (send and receive) read it: the table's sparse `open-work` index,
 * by kind and age, oldest first (a query, never a table scan), the age of the oldest item
 * published as a metric, and the record of each run that `npm run gateway -- status` shows.
 */
import { QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { OLDEST_OPEN_WORK_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import { OPEN_WORK_INDEX } from "../../model/open-work";
import { fromAttributes, toAttributes } from "./attribute-values";
import { tableClient, tableName, type LedgerItem } from "./ledger";

/** Work younger than this is left to its own continuation and events. */
export const RESULT_GRACE_SECONDS = 15 * 60;
/** Items looked at per kind and run (the schedule runs every few minutes). */
export const RECONCILE_MAX_ITEMS = 200;
/** One item for both reconcilers: `at` is the latest run of either, `send`/`receive` each one's own. */
export const LAST_RUN_PK = "reconciler#lastRun";

export type Direction = "send" | "receive";

/** Open items of one kind, oldest first, opened before `before` (undefined: all). */
export async function openWork(kind: string, before?: string, limit = RECONCILE_MAX_ITEMS): Promise<LedgerItem[]> {
  const r = await tableClient().send(
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
    }),
  );
  return (r.Items ?? []).map((i) => fromAttributes(i) as LedgerItem);
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
