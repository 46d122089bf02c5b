/**
 * The real send pipeline, from an upload under AS2/send/ to outbox/, driven as Lambda drives it:
 * the S3 "Object Created" event arrives on the send queue once the settle time has passed, the
 * settle handler claims, stages and calls StartFileTransfer; the bench then plays Transfer (writes
 * the MDN and JSON status beside the staged file, uncounted) and delivers its two events to the
 * result handler through the results queue. Messages the handlers enqueue are delivered as SQS
 * batches of 10 until the queue is empty. The handlers are loaded at run time, so the bench keeps
 * compiling whatever shape they take.
 */
import { existsSync } from "node:fs";
import { join, basename } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { customerWithPartners } from "../../test/helpers/customer-factory";
import { validateCustomer } from "../../model/load";
import { buildRoutingDocument, type RoutingDocument } from "../../model/routing";
import type { Customer } from "../../model/customer";
import { folderPrefix, inboundWorkPrefix, ROUTING_DOCUMENT_KEY, sendKey } from "../../model/layout";
import { headObject } from "../../handlers/shared/s3-object";
import { putPayload } from "./payload";
import type { MoveContext, Scenario } from "./scenario";
import type { StubCall } from "./aws-stub";

const ENTRIES = ["handlers/send/settle.ts", "handlers/send/result.ts", "handlers/send/context.ts"];
const ROUTE = { station: "ST-A", partner: "P0002", test: false };
const TABLE = "bench-state";
const SQS_BATCH = 10;
const MAX_ROUNDS = 30;

export type SqsHandler = (
  event: unknown,
  context: unknown,
) => Promise<{ batchItemFailures?: { itemIdentifier: string }[] }>;

interface Placed {
  readonly key: string;
  readonly fileName: string;
  /** The S3 "Object Created" event of the upload: S3's work, prepared before the clock starts. */
  readonly event: unknown;
}

let seq = 0;
export function sqsEvent(bodies: readonly unknown[]) {
  return {
    Records: bodies.map((b) => ({
      messageId: `bench-${++seq}`,
      receiptHandle: "rh",
      body: JSON.stringify(b),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "bench",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:bench",
      awsRegion: "eu-west-1",
    })),
  };
}

/** The EventBridge "Object Created" envelope the send rule puts on the queue (key URL-encoded, as S3 does). */
function objectCreated(bucket: string, key: string, size: number, etag: string, at: Date) {
  return {
    version: "0",
    id: `s3-${++seq}`,
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "111122223333",
    // When S3 finished the upload.
    time: at.toISOString(),
    region: "eu-west-1",
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: "0",
      bucket: { name: bucket },
      object: {
        key: key
          .split("/")
          .map((s) => encodeURIComponent(s).replace(/%20/g, "+"))
          .join("/"),
        size,
        etag: etag.replace(/"/g, ""),
        sequencer: "0",
      },
      reason: "PutObject",
    },
  };
}

/** Transfer's outbound event for one sent file (fields as in the fixtures). */
function transferEvent(
  detailType: string,
  bucket: string,
  connectorId: string,
  transferId: string,
  stagedKey: string,
  extra: Record<string, unknown>,
  s3: Record<string, string>,
) {
  return {
    version: "0",
    id: `tr-${++seq}`,
    "detail-type": detailType,
    source: "aws.transfer",
    account: "111122223333",
    time: new Date().toISOString(),
    region: "eu-west-1",
    resources: [`arn:aws:transfer:eu-west-1:111122223333:connector/${connectorId}`],
    detail: {
      "connector-id": connectorId,
      "transfer-id": transferId,
      "as2-from": ROUTE.station,
      "as2-to": ROUTE.partner,
      "as2-message-id": `${transferId}@bench`,
      "requester-file-name": basename(stagedKey),
      "status-code": "COMPLETED",
      "start-timestamp": new Date().toISOString(),
      "end-timestamp": new Date().toISOString(),
      "s3-attributes": { "file-bucket": bucket, "file-key": `/${stagedKey}`, ...s3 },
      ...extra,
    },
  };
}

/** `dir/name.ext` → `dir/processed/name.<tid>.<mid>.ext` (where Transfer writes status and MDN). */
function processedBase(stagedKey: string, transferId: string, messageId: string): string {
  const dir = stagedKey.slice(0, stagedKey.lastIndexOf("/") + 1);
  const name = stagedKey.slice(dir.length);
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  return `${dir}processed/${stem}.${transferId}.${messageId}${ext}`;
}

function sqsBodies(calls: readonly StubCall[]): unknown[] {
  return calls.flatMap((c) => {
    if (c.target.endsWith(".SendMessage")) return [JSON.parse(String(c.input.MessageBody))];
    if (c.target.endsWith(".SendMessageBatch"))
      return ((c.input.Entries as { MessageBody: string }[]) ?? []).map((e) => JSON.parse(e.MessageBody));
    return [];
  });
}

let deliveries = 0;
/** SQS records delivered to handlers since the last call (each one a Lambda invocation at batch size 1). */
export function takeDeliveries(): number {
  const n = deliveries;
  deliveries = 0;
  return n;
}

export async function inBatches(
  bodies: readonly unknown[],
  concurrency: number,
  handler: SqsHandler,
  what: string,
): Promise<void> {
  deliveries += bodies.length;
  const batches: unknown[][] = [];
  for (let i = 0; i < bodies.length; i += SQS_BATCH) batches.push(bodies.slice(i, i + SQS_BATCH));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, batches.length) }, async () => {
      while (next < batches.length) {
        const r = await handler(sqsEvent(batches[next++]!), {
          functionName: "bench",
          awsRequestId: `req-${++seq}`,
          getRemainingTimeInMillis: () => 60_000,
        });
        if (r?.batchItemFailures?.length)
          throw new Error(`${what} handler reported ${r.batchItemFailures.length} failed record(s)`);
      }
    }),
  );
}

/**
 * Once per run, for every gateway scenario: the state table, the routing document of a customer
 * with four partners, and the environment the handlers read. Safe to call again.
 */
let prepared: Promise<{ customer: Customer; doc: RoutingDocument }> | undefined;
export function prepareGateway(ctx: MoveContext): Promise<{ customer: Customer; doc: RoutingDocument }> {
  prepared ??= (async () => {
    const { servers, bucket } = ctx;
    await servers.ddb.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    const customer = validateCustomer(customerWithPartners(4, "bench"), "<bench>");
    const ids = customer.partners.map((p) => ({
      station: p.station,
      partner: p.as2Id,
      connectorId: `c-${p.as2Id.toLowerCase()}`,
      agreementId: `a-${p.as2Id.toLowerCase()}`,
    }));
    const doc = buildRoutingDocument(customer, bucket, ids, inboundWorkPrefix);
    await servers.direct.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: ROUTING_DOCUMENT_KEY,
        Body: JSON.stringify(doc),
        ContentType: "application/json",
      }),
    );
    Object.assign(process.env, {
      BUCKET: bucket,
      // On the stub's host: the SQS client sends to the QueueUrl's host when it differs from its endpoint.
      SEND_QUEUE_URL: `${servers.stub.endpoint.replace(/\/$/, "")}/111122223333/bench-send`,
      EVENT_BUS_NAME: "bench-bus",
      STATE_TABLE: TABLE,
      ROUTING_BUCKET: bucket,
      ROUTING_KEY: ROUTING_DOCUMENT_KEY,
      ROUTING_ETAG: "bench",
    });
    return { customer, doc };
  })();
  return prepared;
}

export function sendScenario(): Scenario {
  let settle: SqsHandler;
  let result: SqsHandler;
  return {
    id: "send",
    label: "send pipeline (real handlers)",
    kind: "gateway",
    fullSend: true,
    memoryMb: 256,
    unavailable: (root) => {
      const missing = ENTRIES.filter((e) => !existsSync(join(root, e)));
      return missing.length ? `${missing.join(", ")} not on main yet` : undefined;
    },
    async setup(ctx) {
      const { customer } = await prepareGateway(ctx);
      const context = (await import(join(ctx.root, "handlers/send/context.ts"))) as {
        setClock?: (f: () => Date) => void;
      };
      // The send queue delivers an upload once its settle time has passed: so does the bench's clock.
      const settleMs = (customer.settle.fileSeconds + 1) * 1000;
      context.setClock?.(() => new Date(Date.now() + settleMs));
      settle = ((await import(join(ctx.root, "handlers/send/settle.ts"))) as { handler: SqsHandler }).handler;
      result = ((await import(join(ctx.root, "handlers/send/result.ts"))) as { handler: SqsHandler }).handler;
    },
    async place(ctx, fileName, size) {
      const key = sendKey(ROUTE, fileName);
      await putPayload(ctx.servers.direct, ctx.bucket, key, size);
      // The event carries size and ETag; reading them is S3's work, not the handlers'.
      const o = await headObject(ctx.servers.direct, ctx.bucket, key);
      if (!o) throw new Error(`upload ${key} is missing`);
      const event = objectCreated(ctx.bucket, key, o.size, o.etag, o.lastModified ?? new Date());
      return { key, fileName, event } satisfies Placed;
    },
    async moveAll(ctx, placed, concurrency) {
      const { servers, bucket } = ctx;
      const events = (placed as Placed[]).map((p) => p.event);
      servers.stub.reset();
      let toSettle: unknown[] = events;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        if (toSettle.length) await inBatches(toSettle, concurrency, settle, "settle");
        const calls = servers.stub.reset();
        toSettle = sqsBodies(calls);
        const results: unknown[] = [];
        const written: Promise<unknown>[] = [];
        for (const c of calls.filter((x) => x.target.endsWith(".StartFileTransfer"))) {
          const transferId = String(c.output.TransferId);
          const connectorId = String(c.input.ConnectorId);
          for (const path of (c.input.SendFilePaths as string[]) ?? []) {
            const staged = path.slice(`/${bucket}/`.length);
            const base = processedBase(staged, transferId, `${transferId}@bench`);
            // Transfer writes the MDN and status of its transfers side by side, not one after the other.
            written.push(
              servers.direct.send(new PutObjectCommand({ Bucket: bucket, Key: `${base}.mdn`, Body: "MDN (bench)" })),
              servers.direct.send(
                new PutObjectCommand({
                  Bucket: bucket,
                  Key: `${base}.json`,
                  Body: JSON.stringify({ "status-code": "COMPLETED", "transfer-id": transferId }),
                }),
              ),
            );
            const s3 = {
              "json-bucket": bucket,
              "json-key": `/${base}.json`,
              "mdn-bucket": bucket,
              "mdn-key": `/${base}.mdn`,
            };
            results.push(transferEvent("AS2 Payload Send Completed", bucket, connectorId, transferId, staged, {}, s3));
            results.push(
              transferEvent(
                "AS2 MDN Receive Completed",
                bucket,
                connectorId,
                transferId,
                staged,
                {
                  disposition: "automatic-action/MDN-sent-automatically; processed",
                  "mdn-message-id": `<mdn-${transferId}@partner>`,
                },
                s3,
              ),
            );
          }
        }
        await Promise.all(written);
        if (results.length) {
          await inBatches(results, concurrency, result, "result");
          toSettle.push(...sqsBodies(servers.stub.reset()));
        }
        if (!toSettle.length && !results.length) return;
      }
      throw new Error(`the send queue did not drain in ${MAX_ROUNDS} rounds`);
    },
    async landedAt(ctx, placed) {
      const p = placed as Placed;
      const prefix = folderPrefix("mftgateway", ROUTE, "outbox");
      const r = await ctx.servers.direct.send(new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: prefix }));
      return (r.Contents ?? []).map((o) => o.Key!).find((k) => k.endsWith(`/${p.fileName}`));
    },
  };
}
