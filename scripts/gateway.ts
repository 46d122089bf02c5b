/**
 * The operator's command for a deployed customer (AWS SDK, the standard credential chain) or the
 * sandbox (the AWS_ENDPOINT_URL_* variables redirect every client):
 *
 *   npm run gateway -- status  <customer>                open work by state and age, DLQ depths, last reconciler runs
 *   npm run gateway -- redrive <customer>                every dead-letter queue back into its own source queue
 *   npm run gateway -- unstick <customer>                work the reconcilers reported stuck handed back to them
 *   npm run gateway -- resend  <customer> <failed key>   a failed send back into AS2/send/ as a new message
 *   npm run gateway -- reindex <customer> [--table <name>]  the REST API's message index rebuilt from the bucket's records
 *
 * Resource names follow the stack's naming (`as2-<customer>-...`); `--bucket <name>` overrides the
 * bucket, which otherwise comes from the reconciler's last run.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { OPEN_WORK_INDEX } from "../model/open-work";
import { MAX_REQUEUES, REQUEUE_FIELDS } from "../handlers/shared/open-work";
import { ListStateMachinesCommand, SFNClient } from "@aws-sdk/client-sfn";
import { parsePipelineDocument } from "../model/pipeline-document";
import { retryTransaction } from "../handlers/pipeline/retry";
import {
  PIPELINE_DOCUMENT_KEY,
  ROUTING_DOCUMENT_KEY,
  parseSendKey,
  recordKey,
  type LayoutPreset,
} from "../model/layout";
import { physicalName } from "../stacks/events/event-names";
import { getJson } from "../handlers/shared/s3-object";
import { placeInSendFolder, RESEND_OF_META } from "../handlers/api/send-folder";
import { reindex } from "../handlers/api/reindex";
import { messageIndexTableName } from "../model/api/index-model";

const OPEN_KINDS = ["send-claim", "send-file", "receive-message"] as const;
const LAST_RUN_PK = "reconciler#lastRun";

/** Each dead-letter queue of a customer and the queue its messages came from (undefined: a schedule's). */
export function deadLetterQueues(customer: string): { dlq: string; source?: string }[] {
  const send = (s: string) => `as2-${customer}-send-${s}`;
  return [
    { dlq: send("uploads-dlq"), source: send("uploads") },
    { dlq: send("results-dlq"), source: send("results") },
    { dlq: send("sweep-dlq") },
    {
      dlq: physicalName(["as2", customer, "receive", "dlq"], 80),
      source: physicalName(["as2", customer, "receive"], 80),
    },
    { dlq: `as2-${customer}-reconciler-dlq` },
  ];
}

function age(since: string | undefined, now: Date): string {
  if (!since) return "-";
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch {
    return undefined;
  }
}

async function status(customer: string, out: (line: string) => void): Promise<void> {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const table = `as2-${customer}-state`;
  const now = new Date();
  out(`open work of ${customer} (table ${table})`);
  for (const kind of OPEN_KINDS) {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await ddb.send(
        new QueryCommand({
          TableName: table,
          IndexName: OPEN_WORK_INDEX.name,
          KeyConditionExpression: "#k = :k",
          ExpressionAttributeNames: { "#k": OPEN_WORK_INDEX.partitionKey },
          ExpressionAttributeValues: { ":k": kind },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((r.Items ?? []) as Record<string, unknown>[]));
      start = r.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start && items.length < 10_000);
    const byState = new Map<string, Record<string, unknown>[]>();
    for (const i of items) byState.set(String(i.state), [...(byState.get(String(i.state)) ?? []), i]);
    if (!items.length) out(`  ${kind}: none`);
    for (const [state, list] of byState) {
      const oldest = list.map((i) => String(i[OPEN_WORK_INDEX.sortKey])).sort()[0];
      // The reconciler's verdict (handlers/shared/open-work.ts): queued again MAX_REQUEUES times without
      // progress, now waiting for an operator. Listed first: they are the ones to look at.
      const stuck = list.filter((i) => typeof i.stuckAt === "string");
      out(
        `  ${kind} ${state}: ${list.length}, oldest ${age(oldest, now)}${stuck.length ? `, ${stuck.length} stuck` : ""}`,
      );
      for (const i of [...stuck, ...list.filter((x) => !stuck.includes(x))].slice(0, 5))
        out(
          `    ${String(i.claimId ?? i.as2MessageId ?? "")}${i.fileName ? ` ${String(i.fileName)}` : ""} since ${String(i[OPEN_WORK_INDEX.sortKey])}${typeof i.stuckAt === "string" ? `, stuck since ${i.stuckAt} (queued again ${MAX_REQUEUES} times without progress)` : ""}`,
        );
    }
  }
  const sqs = new SQSClient({});
  out("dead-letter queues");
  for (const q of deadLetterQueues(customer)) {
    const url = await queueUrl(sqs, q.dlq);
    if (!url) continue;
    const a = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    out(`  ${q.dlq}: ${a.Attributes?.ApproximateNumberOfMessages ?? "?"}`);
  }
  // The send and receive reconcilers record their runs side by side in one item (handlers/shared/open-work.ts).
  const last = (await ddb.send(new GetCommand({ TableName: table, Key: { pk: LAST_RUN_PK } }))).Item;
  const runs = (["send", "receive"] as const).map((direction) => {
    const run = last?.[direction] as { at?: unknown; stuck?: unknown; heldStuck?: unknown } | undefined;
    const at = run?.at;
    const stuck =
      (typeof run?.stuck === "number" ? run.stuck : 0) + (typeof run?.heldStuck === "number" ? run.heldStuck : 0);
    return typeof at === "string"
      ? `${direction} ${at} (${age(at, now)} ago${stuck ? `, ${stuck} stuck` : ""})`
      : `${direction} never`;
  });
  out(`last reconciler runs: ${runs.join(", ")}`);
}

/**
 * Once the cause is fixed: the reconcilers hold work they reported stuck until it makes progress
 * (handlers/shared/open-work.ts), and its last queued copy may have left the dead-letter queue
 * (14 days). Clearing the re-queue fields gives each item MAX_REQUEUES new tries from the next run.
 * One scan of the state table: stuck received payloads are items of their own (`requeue#<key>`),
 * not in the open-work index. Conditional on `stuckAt`, so work that ended meanwhile is not touched.
 */
async function unstick(customer: string, out: (line: string) => void): Promise<void> {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const table = `as2-${customer}-state`;
  let start: Record<string, unknown> | undefined;
  let n = 0;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: "attribute_exists(#stuck)",
        ProjectionExpression: "pk, #stuck",
        ExpressionAttributeNames: { "#stuck": "stuckAt" },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const names = Object.fromEntries(REQUEUE_FIELDS.map((f, i) => [`#f${i}`, f]));
      try {
        await ddb.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: item.pk as string },
            UpdateExpression: `REMOVE ${Object.keys(names).join(", ")}`,
            ConditionExpression: "attribute_exists(stuckAt)",
            ExpressionAttributeNames: names,
          }),
        );
      } catch (e) {
        if ((e as Error).name !== "ConditionalCheckFailedException") throw e;
        continue; // it made progress or ended since the scan read it
      }
      n++;
      out(`  ${String(item.pk)} (stuck since ${String(item.stuckAt)})`);
    }
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  out(`${n} stuck item(s) handed back to the reconcilers: each is queued again on their next run`);
}

async function redrive(customer: string, out: (line: string) => void): Promise<void> {
  const sqs = new SQSClient({});
  for (const q of deadLetterQueues(customer)) {
    const from = await queueUrl(sqs, q.dlq);
    if (!from) continue;
    if (!q.source) {
      out(`${q.dlq}: holds failed schedule or EventBridge deliveries; inspect it (no source queue to redrive to)`);
      continue;
    }
    const to = await queueUrl(sqs, q.source);
    if (!to) throw new Error(`source queue ${q.source} of ${q.dlq} not found`);
    let moved = 0;
    for (;;) {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: from,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 60,
        }),
      );
      const msgs = r.Messages ?? [];
      if (!msgs.length) break;
      // Sent before deleted: a stop in between leaves a duplicate, which the handlers absorb.
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: to,
          Entries: msgs.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? "" })),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: from,
          Entries: msgs.flatMap((m, i) =>
            ok.has(String(i)) ? [{ Id: String(i), ReceiptHandle: m.ReceiptHandle! }] : [],
          ),
        }),
      );
      moved += ok.size;
      out(`${q.dlq} → ${q.source}: ${moved} moved`);
    }
  }
}

/** The customer's bucket: as given, or as the reconciler last recorded it. */
async function customerBucket(customer: string, bucketArg: string | undefined): Promise<string> {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const bucket =
    bucketArg ??
    ((await ddb.send(new GetCommand({ TableName: `as2-${customer}-state`, Key: { pk: LAST_RUN_PK } }))).Item?.bucket as
      string | undefined);
  if (!bucket) throw new Error("bucket unknown: pass --bucket <name>");
  return bucket;
}

async function resend(customer: string, failedKey: string, bucketArg: string | undefined, out: (l: string) => void) {
  const bucket = await customerBucket(customer, bucketArg);
  const s3 = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === "true" });
  const record = (await getJson(s3, bucket, recordKey(failedKey))) as { uploadedKey?: string } | undefined;
  const parsed = record?.uploadedKey ? parseSendKey(record.uploadedKey) : undefined;
  if (!parsed?.ok) throw new Error(`${failedKey} has no record naming the partner folder it was uploaded to`);
  const p = parsed.value;
  // The same placement as the REST API's resend: a free name, written with If-None-Match: *.
  const placed = await placeInSendFolder(
    s3,
    bucket,
    p,
    p.fileName,
    { copyFrom: failedKey },
    { [RESEND_OF_META]: encodeURIComponent(failedKey) },
    undefined,
    p.batch,
  );
  out(`resent as s3://${bucket}/${placed.key} (a new message; ${failedKey} and its record stay in failed/)`);
}

/** Rebuilds the message index of the REST API from the records in the bucket (issue 15). */
async function reindexCustomer(
  customer: string,
  bucketArg: string | undefined,
  tableArg: string | undefined,
  out: (l: string) => void,
) {
  const bucket = await customerBucket(customer, bucketArg);
  const s3 = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === "true" });
  const routing = (await getJson(s3, bucket, ROUTING_DOCUMENT_KEY)) as { layout?: LayoutPreset } | undefined;
  const table = tableArg ?? messageIndexTableName(customer);
  const r = await reindex(s3, bucket, routing?.layout ?? "mftgateway", { client: new DynamoDBClient({}), table }, out);
  for (const s of r.skipped.slice(0, 20)) out(`  skipped ${s}`);
  out(
    `index ${table} rebuilt from s3://${bucket}: ${r.records} records, ${r.written} transitions written, ${r.skipped.length} skipped`,
  );
}

/** A FAILED transaction read again from its source file and run under a new execution name. */
async function retryFailedTransaction(
  customer: string,
  table: string,
  id: string,
  bucketArg: string | undefined,
  out: (l: string) => void,
) {
  const bucket = await customerBucket(customer, bucketArg);
  const s3 = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === "true" });
  const doc = parsePipelineDocument(await getJson(s3, bucket, PIPELINE_DOCUMENT_KEY));
  const sfn = new SFNClient({});
  const smName = physicalName(["as2", customer, "transactions"]);
  let stateMachineArn: string | undefined;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    stateMachineArn = page.stateMachines?.find((m) => m.name === smName)?.stateMachineArn;
    nextToken = page.nextToken;
  } while (!stateMachineArn && nextToken);
  if (!stateMachineArn) throw new Error(`no state machine ${smName}: is the pipeline enabled for ${customer}?`);
  const execution = await retryTransaction(
    { s3, ddb: new DynamoDBClient({}), sfn, doc, bucket, stateMachineArn },
    table,
    id,
  );
  out(`transaction ${id} started again as execution ${execution}`);
}

export async function main(argv: string[], out: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const option = (name: string, from: string[]) => {
    const at = from.indexOf(name);
    return at >= 0
      ? { value: from[at + 1], rest: from.filter((_, i) => i !== at && i !== at + 1) }
      : { value: undefined, rest: from };
  };
  const b = option("--bucket", argv);
  const t = option("--table", b.rest);
  const bucket = b.value;
  const args = t.rest;
  const [verb, customer, path, id] = args;
  const complete =
    !!customer &&
    ["status", "redrive", "unstick", "resend", "retry-transaction", "reindex"].includes(verb ?? "") &&
    (verb !== "resend" || !!path) &&
    (verb !== "retry-transaction" || (!!path && !!id));
  if (!complete) {
    out(
      "usage: npm run gateway -- <status|redrive|unstick|reindex> <customer> | resend <customer> <failed key> | retry-transaction <customer> <table> <transaction id>  [--bucket <name>] [--table <name>]",
    );
    return 2;
  }
  if (verb === "status") await status(customer, out);
  else if (verb === "redrive") await redrive(customer, out);
  else if (verb === "unstick") await unstick(customer, out);
  else if (verb === "resend") await resend(customer, path!, bucket, out);
  else if (verb === "reindex") await reindexCustomer(customer, bucket, t.value, out);
  else await retryFailedTransaction(customer, path!, id!, bucket, out);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error((e as Error).message);
      process.exit(1);
    },
  );
}
