/**
 * The cost of moving a message: S3 requests per routed message and payload bytes passing through
 * the code (counted by a proxy in front of s3rver), at 1 KB, 10 MB and 200 MB, and messages per
 * second, for the real handlers beside a naive get-then-put mover, in the same run.
 */
import { join } from "node:path";
import { check, fmtBytes, fmtMs, type SectionResult, type TargetCheck, type Table } from "./lib/report";
import { startBenchServers } from "./move/servers";
import { BUCKET, type MoveContext, type Scenario } from "./move/scenario";
import type { StubCall } from "./move/aws-stub";
import { naiveScenario, safeMoveScenario } from "./move/baselines";
import { sendScenario, takeDeliveries } from "./move/send";
import { fmtUsd, messageCost, type MessageCost } from "./lib/cost";
import { PRICES, PRICES_AS_OF, PRICES_REGION } from "./lib/prices";
import { receiveScenario } from "./move/receive";
import { countByOperation, dataBytes, describeCounts, payloadBytes } from "./move/s3-requests";

export interface MoveOptions {
  readonly root: string;
  readonly tmp: string;
  readonly quick: boolean;
  readonly log: (s: string) => void;
}

const KB = 1024;
const MB = 1024 ** 2;
const SEND_REQUEST_LIMIT = 6;
const SEND_DYNAMO_LIMIT = 8;

interface SizeRun {
  readonly size: number;
  readonly requests: number;
  readonly byOperation: Record<string, number>;
  readonly dynamoByOperation: Record<string, number>;
  /** Items written by its DynamoDB transactions (billed two write units each). */
  readonly transactionItems: number;
  /** Every request the message took, in order per service (a regression shows as a new entry). */
  readonly sequence: { readonly s3: string[]; readonly dynamodb: string[]; readonly other: string[] };
  readonly otherCalls: Record<string, number>;
  readonly payloadBytes: number;
  readonly otherBytes: number;
  readonly wallMs: number;
  readonly landed: boolean;
  /** SQS records handlers were given for it (Lambda invocations at batch size 1). */
  readonly deliveries: number;
}

interface ScenarioResult {
  readonly id: string;
  readonly label: string;
  readonly kind: Scenario["kind"];
  readonly fullSend: boolean;
  /** A handler flow with a cost per message (it has the stack's Lambda memory). */
  readonly priced: boolean;
  readonly unavailable?: string;
  readonly error?: string;
  readonly sizes: SizeRun[];
  throughput?: {
    messages: number;
    concurrency: number;
    wallMs: number;
    perSecond: number;
    /** CPU per message of this process: handlers, SDK, and the counting proxies and stub (the same for every mover). */
    cpuMsPerMessage: number;
    /** CPU per message of s3rver and dynalite's own process (undefined when they share this one). */
    fakesCpuMsPerMessage?: number;
  };
  cost?: MessageCost;
}

/** "12.3 + 45.6" (this process + the fakes' process), or "12.3" when the fakes share this process. */
function fmtCpu(t: NonNullable<ScenarioResult["throughput"]>): string {
  const own = t.cpuMsPerMessage.toFixed(1);
  return t.fakesCpuMsPerMessage !== undefined
    ? `${own} + ${t.fakesCpuMsPerMessage.toFixed(1)} (s3rver, dynalite)`
    : own;
}

/** `AmazonSQS.SendMessage` ×2, `AWSEvents.PutEvents` ×1 → "SQS SendMessage ×2, EventBridge PutEvents ×1" */
function describeStubCalls(calls: readonly StubCall[]): Record<string, number> {
  const names: Record<string, string> = { AmazonSQS: "SQS", AWSEvents: "EventBridge", TransferService: "Transfer" };
  const out: Record<string, number> = {};
  for (const c of calls) {
    const [svc = "", op = ""] = c.target.split(".");
    const k = `${names[svc] ?? svc} ${op}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export async function benchMove(o: MoveOptions): Promise<SectionResult> {
  const started = Date.now();
  const sizes = o.quick ? [KB, 10 * MB] : [KB, 10 * MB, 200 * MB];
  const messages = o.quick ? 20 : 50;
  const concurrency = 10;
  const servers = await startBenchServers(join(o.tmp, "s3rver"));
  const ctx: MoveContext = { servers, bucket: BUCKET, root: o.root };
  const results: ScenarioResult[] = [];
  try {
    await servers.createBucket(BUCKET);
    const scenarios: Scenario[] = [sendScenario(), receiveScenario(), safeMoveScenario(), naiveScenario()];
    for (const sc of scenarios) {
      const r: ScenarioResult = {
        id: sc.id,
        label: sc.label,
        kind: sc.kind,
        fullSend: sc.fullSend ?? false,
        priced: sc.memoryMb !== undefined,
        sizes: [],
      };
      results.push(r);
      const why = sc.unavailable(o.root);
      if (why) {
        (r as { unavailable?: string }).unavailable = why;
        o.log(`  ${sc.id}: not measured: ${why}`);
        continue;
      }
      try {
        await sc.setup?.(ctx);
        // Warm up (client creation, connections, routing document, first-call code paths), as a warm Lambda would be.
        await sc.moveAll(ctx, [await sc.place(ctx, `warmup-${sc.id}.edi`, KB)], 1);
        for (const size of sizes) {
          const stem = `bench-${sc.id}-${size}`;
          const placed = await sc.place(ctx, `${stem}.edi`, size);
          servers.proxy.reset();
          servers.dynamoProxy.reset();
          servers.stub.reset();
          servers.stub.takeHistory();
          takeDeliveries();
          const t = process.hrtime.bigint();
          await sc.moveAll(ctx, [placed], 1);
          const deliveries = takeDeliveries();
          const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
          const reqs = servers.proxy.reset();
          const dynamoRequests = servers.dynamoProxy.reset();
          const dynamo = countByOperation(dynamoRequests);
          const stubCalls = servers.stub.takeHistory();
          const otherCalls = describeStubCalls(stubCalls);
          const isPayload = (k: string) => k.includes(stem) && !/\.(json|mdn)$/.test(k);
          const pb = payloadBytes(reqs, isPayload);
          const all = dataBytes(reqs);
          const landed = (await sc.landedAt(ctx, placed)) !== undefined;
          r.sizes.push({
            size,
            requests: reqs.length,
            byOperation: countByOperation(reqs),
            dynamoByOperation: dynamo,
            transactionItems: dynamoRequests.reduce((a, q) => a + (q.items ?? 0), 0),
            sequence: {
              s3: reqs.map((q) => q.op),
              dynamodb: dynamoRequests.map((q) => (q.items !== undefined ? `${q.op}(${q.items})` : q.op)),
              other: stubCalls.map((c) => Object.keys(describeStubCalls([c]))[0]!),
            },
            otherCalls,
            payloadBytes: pb,
            otherBytes: all - pb,
            wallMs,
            landed,
            deliveries,
          });
          o.log(
            `  ${sc.id} ${fmtBytes(size)}: ${reqs.length} S3 requests (${describeCounts(countByOperation(reqs))}), payload through code ${fmtBytes(pb)}, ${fmtMs(wallMs)} [${reqs.map((q) => `${q.op} ${q.ms.toFixed(0)}ms`).join(", ")}]${landed ? "" : ", NOT LANDED"}`,
          );
        }
        const placed: unknown[] = [];
        for (let i = 0; i < messages; i++) placed.push(await sc.place(ctx, `tp-${sc.id}-${i}.edi`, KB));
        servers.proxy.reset();
        // CPU time as well as wall time: on a shared machine wall time is mostly the neighbours'.
        const fakes0 = await servers.fakesCpuMs();
        const cpu0 = process.cpuUsage();
        const t = process.hrtime.bigint();
        await sc.moveAll(ctx, placed, concurrency);
        const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
        const cpu = process.cpuUsage(cpu0);
        const fakes1 = await servers.fakesCpuMs();
        servers.proxy.reset();
        servers.dynamoProxy.reset();
        servers.stub.reset();
        servers.stub.takeHistory();
        for (const p of [placed[0], placed[placed.length - 1]]) {
          if ((await sc.landedAt(ctx, p)) === undefined)
            throw new Error("a message of the throughput run did not land");
        }
        r.throughput = {
          messages,
          concurrency,
          wallMs,
          perSecond: messages / (wallMs / 1000),
          cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / messages,
          ...(fakes0 !== undefined && fakes1 !== undefined
            ? { fakesCpuMsPerMessage: (fakes1 - fakes0) / messages }
            : {}),
        };
        o.log(
          `  ${sc.id} throughput: ${r.throughput.perSecond.toFixed(0)} messages/s (${messages} × 1 KB, ${concurrency} at a time), CPU ${fmtCpu(r.throughput)} ms per message`,
        );
        const single = r.sizes.find((x) => x.size === KB);
        if (single && sc.kind === "gateway" && sc.memoryMb)
          r.cost = messageCost({
            s3: single.byOperation,
            dynamodb: single.dynamoByOperation,
            transactionItems: single.transactionItems,
            other: single.otherCalls,
            invocations: single.deliveries,
            lambdaMs: single.wallMs,
            memoryMb: sc.memoryMb,
            as2Messages: 1,
          });
      } catch (e) {
        (r as { error?: string }).error = (e as Error).message.split("\n")[0]!.slice(0, 300);
        o.log(`  ${sc.id} failed: ${(e as Error).stack}`);
      }
    }
  } finally {
    await servers.stop();
  }

  const targets: TargetCheck[] = [];
  for (const r of results.filter((x) => x.kind === "gateway")) {
    const single = r.sizes.find((s) => s.size === KB);
    if (r.fullSend) {
      targets.push({
        id: `move.requests.${r.id}`,
        section: "move",
        description: `${r.label}: S3 requests, single-file send from upload to outbox/`,
        target: `≤ ${SEND_REQUEST_LIMIT}`,
        measured: single ? `${single.requests}` : r.unavailable ? "not measured" : `error: ${r.error}`,
        verdict: check(single ? single.requests <= SEND_REQUEST_LIMIT && single.landed : undefined),
        ...(single ? { note: describeCounts(single.byOperation) } : r.unavailable ? { note: r.unavailable } : {}),
      });
    }
    if (r.fullSend) {
      const dynamo = single ? Object.values(single.dynamoByOperation).reduce((a, b) => a + b, 0) : undefined;
      targets.push({
        id: `move.dynamodb.${r.id}`,
        section: "move",
        description: `${r.label}: DynamoDB requests per sent message`,
        target: `≤ ${SEND_DYNAMO_LIMIT}`,
        measured: single ? `${dynamo}` : r.unavailable ? "not measured" : `error: ${r.error}`,
        verdict: check(dynamo !== undefined ? dynamo <= SEND_DYNAMO_LIMIT : undefined),
        ...(single ? { note: describeCounts(single.dynamoByOperation) } : {}),
      });
      const naive = results.find((x) => x.id === "naive")?.throughput;
      targets.push({
        id: `move.throughput.${r.id}`,
        section: "move",
        description: `${r.label}: messages/s (${messages} × 1 KB) against the naive get-then-put mover, same run`,
        target: naive ? `≥ ${naive.perSecond.toFixed(0)}` : "≥ the naive mover",
        measured: r.throughput
          ? r.throughput.perSecond.toFixed(1)
          : r.unavailable
            ? "not measured"
            : `error: ${r.error}`,
        verdict: check(r.throughput && naive ? r.throughput.perSecond >= naive.perSecond : undefined),
      });
    }
    const worst = r.sizes.reduce((a, s) => Math.max(a, s.payloadBytes), 0);
    targets.push({
      id: `move.bytes.${r.id}`,
      section: "move",
      description: `${r.label}: payload bytes through the code at ${sizes.map(fmtBytes).join(", ")}`,
      target: "0",
      measured: r.sizes.length
        ? r.sizes.map((s) => fmtBytes(s.payloadBytes)).join(", ")
        : r.unavailable
          ? "not measured"
          : `error: ${r.error}`,
      verdict: check(r.sizes.length === sizes.length ? worst === 0 && r.sizes.every((s) => s.landed) : undefined),
      ...(r.unavailable && !r.sizes.length ? { note: r.unavailable } : {}),
    });
  }

  const sizeCols = sizes.map(fmtBytes);
  const tables: Table[] = [
    {
      title: "Moving a message (S3 requests counted by a proxy in front of s3rver)",
      columns: [
        "mover",
        "S3 requests per message",
        "DynamoDB requests",
        "other API calls",
        ...sizeCols.map((c) => `payload through code, ${c}`),
        ...sizeCols.map((c) => `time, ${c}`),
        "messages/s (1 KB)",
        "CPU ms per message (movers' process + fakes')",
      ],
      rows: results.map((r) => {
        const single = r.sizes.find((s) => s.size === KB);
        const why = r.unavailable ? `not measured: ${r.unavailable}` : r.error ? `error: ${r.error}` : "";
        return [
          r.label,
          single ? `${single.requests} (${describeCounts(single.byOperation)})` : why,
          single
            ? `${Object.values(single.dynamoByOperation).reduce((a, b) => a + b, 0)}${Object.keys(single.dynamoByOperation).length ? ` (${describeCounts(single.dynamoByOperation)})` : ""}`
            : "–",
          single ? describeCounts(single.otherCalls) || "none" : "–",
          ...sizes.map((sz) => {
            const s = r.sizes.find((x) => x.size === sz);
            return s ? `${fmtBytes(s.payloadBytes)}${s.landed ? "" : " (did not land)"}` : "–";
          }),
          ...sizes.map((sz) => fmtMs(r.sizes.find((x) => x.size === sz)?.wallMs ?? NaN)),
          r.throughput ? r.throughput.perSecond.toFixed(0) : "–",
          r.throughput ? fmtCpu(r.throughput) : "–",
        ];
      }),
      notes: [
        `Throughput: ${messages} messages of 1 KB, ${concurrency} invocations at a time (SQS batches of 10 for the real handlers), against s3rver (disk-backed) and dynalite on loopback${servers.fakesOutOfProcess ? " in a process of their own" : " in the same process"}; relative figures, not Lambda's. CPU per message: the movers' process (handlers, AWS SDK, and the bench's counting proxies, AWS stub and Transfer stand-in, the same for every mover) + s3rver and dynalite's process; the fairer comparison on a shared machine, where wall time is mostly other processes'.`,
        "Requests are those of a warm function (the routing document is already cached). The send pipeline's count includes the settle and result handlers; what Transfer itself reads and writes is not counted.",
        "Payload through code: object data on the payload's keys that crossed the code (GetObject responses, PutObject/UploadPart bodies); the MDN and JSON record beside it are not payload. Times are for one warm message.",
      ],
    },
    {
      title: "Requests of one 1 KB message, in order (per service)",
      columns: ["mover", "S3", "DynamoDB", "other API calls"],
      rows: results
        .filter((r) => r.kind === "gateway")
        .map((r) => {
          const q = r.sizes.find((s) => s.size === KB)?.sequence;
          return q
            ? [r.label, q.s3.join(" → ") || "none", q.dynamodb.join(" → ") || "none", q.other.join(" → ") || "none"]
            : [r.label, "–", "–", "–"];
        }),
      notes: [
        "TransactWriteItems(n): one request writing n items together (two write units each). A request added to a flow shows here first.",
      ],
    },
    {
      title: `Cost per 1000 messages (AWS list prices, ${PRICES_REGION}, as of ${PRICES_AS_OF})`,
      columns: [
        "flow",
        "Lambda",
        "S3 requests",
        "DynamoDB",
        "SQS",
        "EventBridge",
        "gateway total",
        "Transfer AS2 fee (apart)",
      ],
      rows: results
        .filter((r) => r.priced)
        .map((r) =>
          r.cost
            ? [
                r.label,
                fmtUsd(r.cost.per1000.lambda),
                fmtUsd(r.cost.per1000.s3),
                fmtUsd(r.cost.per1000.dynamodb),
                fmtUsd(r.cost.per1000.sqs),
                fmtUsd(r.cost.per1000.eventbridge),
                fmtUsd(r.cost.per1000.gateway),
                fmtUsd(r.cost.per1000.transfer),
              ]
            : [r.label, ...Array<string>(6).fill("–"), r.unavailable ? "not measured" : `error: ${r.error ?? "–"}`],
        ),
      notes: [
        "From this run's counts for one 1 KB message (the rows above): S3 PUT/COPY/LIST at the write price, GET/HEAD at the read price, DELETE free; DynamoDB one write unit per PutItem/UpdateItem and two per item of a TransactWriteItems (items ≤ 1 KB), one read unit per GetItem (strongly consistent, an upper bound); SQS three requests (send, receive, delete) per record a handler was given; EventBridge per PutEvents entry on the customer's bus (S3 and Transfer events on the default bus are free); Lambda one invocation per record (batch size 1, an upper bound) for the measured wall time of the whole flow at the stack's memory (Arm), which overstates duration (local servers, one process).",
        `Transfer's fee is AWS's, whatever the gateway does: ${fmtUsd(PRICES.transfer.perAs2Message)} per AS2 message (first 100,000 a month, up to 50 MB each), plus ${fmtUsd(PRICES.transfer.as2EndpointPerHour)} an hour for the AS2 endpoint. No free tier counted.`,
        `Sources: ${[PRICES.lambda, PRICES.s3, PRICES.dynamodb, PRICES.sqs, PRICES.eventbridge, PRICES.transfer].map((x) => x.source).join("; ")} (bench/lib/prices.ts).`,
      ],
    },
  ];
  return {
    name: "move",
    durationMs: Date.now() - started,
    tables,
    targets,
    data: { sizes, messages, concurrency, scenarios: results },
  };
}
