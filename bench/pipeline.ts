/**
 * The transaction pipeline (issue 16):
 * - transactions per second through split → transaction queue → Step Functions execution, in the
 *   sandbox (the example customer's synthesized stack, its deployed bundles, the local Step
 *   Functions): an X12 interchange dropped in Globex's SFTP drop folder, timed until every
 *   execution has succeeded;
 * - the X12 splitter's peak memory on a generated 1 GB interchange (100 MB with --quick), streamed
 *   from a generator into the splitter in a child process of its own, RSS sampled: a streamed
 *   splitter stays flat whatever the size.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { check, fmtBytes, fmtMs, type SectionResult, type TargetCheck } from "./lib/report";

export interface PipelineBenchOptions {
  readonly root: string;
  readonly tmp: string;
  readonly quick: boolean;
  readonly log: (s: string) => void;
}

const MB = 1024 ** 2;
const GB = 1024 ** 3;
const SPLITTER_RSS_LIMIT = 200 * MB;
const MIN_TRANSACTIONS_PER_SECOND = 10;
const SETS_PER_GROUP = 1000;

const ISA =
  "ISA*00*          *00*          *ZZ*GLOBEX         *ZZ*ACME-AS2       *261201*1200*U*00401*000000101*0*P*>~";

function purchaseOrder(n: number): string {
  const id = String(n).padStart(9, "0");
  return `ST*850*${id}~BEG*00*SA*PO-${n}**20261201~REF*DP*038~PO1*1*${n % 97}*EA*9.25**VP*WIDGET-${n}~CTT*1~SE*6*${id}~`;
}

/** An X12 interchange of `bytes` (at least), one 850 per transaction set, in groups of 1000 sets. */
export async function* generatedInterchange(bytes: number): AsyncGenerator<Buffer> {
  let written = 0;
  let n = 0;
  let group = 0;
  yield Buffer.from(ISA);
  while (written < bytes) {
    group += 1;
    const parts = [`GS*PO*GLOBEX*ACME-AS2*20261201*1200*${group}*X*004010~`];
    for (let i = 0; i < SETS_PER_GROUP; i++) parts.push(purchaseOrder(++n));
    parts.push(`GE*${SETS_PER_GROUP}*${group}~`);
    const chunk = Buffer.from(parts.join(""));
    written += chunk.length;
    yield chunk;
  }
  yield Buffer.from(`IEA*${group}*000000101~`);
}

/** An interchange of exactly `sets` purchase orders in one group, as text. */
export function interchangeOf(sets: number): string {
  const body = Array.from({ length: sets }, (_, i) => purchaseOrder(i + 1)).join("");
  return `${ISA}GS*PO*GLOBEX*ACME-AS2*20261201*1200*1*X*004010~${body}GE*${sets}*1~IEA*1*000000101~`;
}

interface SplitterRun {
  readonly bytes: number;
  readonly transactions: number;
  readonly wallMs: number;
  readonly peakRss: number;
  readonly baselineRss: number;
}

/** Child mode: split a generated interchange, sample RSS, print one JSON line. */
async function splitterChild(bytes: number): Promise<void> {
  const { splitX12 } = await import("../handlers/pipeline/split/x12");
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const t = Date.now();
  let transactions = 0;
  for await (const _tx of splitX12(generatedInterchange(bytes))) {
    transactions += 1;
    if (transactions % 50_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  clearInterval(timer);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const run: SplitterRun = { bytes, transactions, wallMs: Date.now() - t, peakRss, baselineRss };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

function runSplitterChild(root: string, bytes: number): Promise<SplitterRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(root, "node_modules", ".bin", "tsx"),
      [join(root, "bench", "pipeline.ts"), "--splitter-child", String(bytes)],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`splitter child exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as SplitterRun);
    });
  });
}

interface ThroughputRun {
  readonly transactions: number;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly splitMs: number;
}

async function throughput(o: PipelineBenchOptions, sets: number): Promise<ThroughputRun> {
  // Imported here: the splitter child needs none of the sandbox.
  const { synthesize } = await import("../sandbox/runner/synthesize");
  const { Sandbox } = await import("../sandbox/runner/sandbox");
  const { dropPrefix } = await import("../model/layout");
  mkdirSync(o.tmp, { recursive: true });
  const workDir = mkdtempSync(join(o.tmp, "sandbox-"));
  const synth = synthesize({
    customer: "example",
    workDir,
    overrides: { settle: { fileSeconds: 1, directorySeconds: 2 } },
  });
  const sb = new Sandbox({ stackDir: synth.stackDir, workDir, log: () => undefined });
  await sb.start();
  try {
    const key = `${dropPrefix({ station: "ACME-AS2", partner: "GLOBEX", test: false })}bench-${sets}.x12`;
    const t = Date.now();
    await sb.s3.send(new PutObjectCommand({ Bucket: sb.buckets[0]!, Key: key, Body: interchangeOf(sets) }));
    const deadline = t + 10 * 60_000;
    let firstStart = 0;
    let lastStart = 0;
    for (;;) {
      const runs = sb.stepFunctions.executions();
      if (runs.length && !firstStart) firstStart = Date.now();
      if (runs.length === sets) lastStart ||= Date.now();
      if (runs.length === sets && runs.every((r) => r.status !== "RUNNING")) break;
      if (Date.now() > deadline) throw new Error(`${runs.length}/${sets} executions after 10 minutes`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const wallMs = Date.now() - t;
    const failed = sb.stepFunctions.executions().filter((r) => r.status !== "SUCCEEDED");
    if (failed.length) throw new Error(`${failed.length} execution(s) failed: ${failed[0]!.error} ${failed[0]!.cause}`);
    return { transactions: sets, wallMs, perSecond: (sets * 1000) / wallMs, splitMs: lastStart - t };
  } finally {
    await sb.stop();
  }
}

export async function benchPipeline(o: PipelineBenchOptions): Promise<SectionResult> {
  const started = Date.now();
  const sets = o.quick ? 100 : 1000;
  o.log(`  pipeline: ${sets} transactions through the sandbox...`);
  const tp = await throughput(o, sets);
  const bytes = o.quick ? 100 * MB : GB;
  o.log(`  pipeline: splitting a generated ${fmtBytes(bytes)} X12 interchange...`);
  const split = await runSplitterChild(o.root, bytes);
  const targets: TargetCheck[] = [
    {
      id: "pipeline-splitter-rss",
      section: "pipeline",
      description: `X12 splitter peak RSS on a generated ${fmtBytes(split.bytes)} interchange (streamed)`,
      target: `< ${fmtBytes(SPLITTER_RSS_LIMIT)}`,
      measured: fmtBytes(split.peakRss),
      verdict: check(split.peakRss < SPLITTER_RSS_LIMIT),
      ...(o.quick ? { note: "--quick: 100 MB, not 1 GB" } : {}),
    },
    {
      id: "pipeline-transactions-per-second",
      section: "pipeline",
      description: "transactions per second, drop → split → queue → execution succeeded (sandbox)",
      target: `≥ ${MIN_TRANSACTIONS_PER_SECOND}/s`,
      measured: `${tp.perSecond.toFixed(1)}/s`,
      verdict: check(tp.perSecond >= MIN_TRANSACTIONS_PER_SECOND),
      note: "one machine, functions in child processes, the start function polled as Lambda would (batch 10, 2 at a time)",
    },
  ];
  return {
    name: "pipeline",
    durationMs: Date.now() - started,
    tables: [
      {
        title: "Transaction pipeline",
        columns: ["measure", "value"],
        rows: [
          ["transactions (one X12 interchange, Globex's drop folder)", String(tp.transactions)],
          ["drop → last execution started", fmtMs(tp.splitMs)],
          ["drop → every execution succeeded", fmtMs(tp.wallMs)],
          ["transactions per second", tp.perSecond.toFixed(1)],
          [`splitter: generated interchange`, fmtBytes(split.bytes)],
          ["splitter: transaction sets", String(split.transactions)],
          ["splitter: MB/s", (((split.bytes / MB) * 1000) / Math.max(1, split.wallMs)).toFixed(1)],
          ["splitter: RSS at start → peak", `${fmtBytes(split.baselineRss)} → ${fmtBytes(split.peakRss)}`],
        ],
      },
    ],
    targets,
    data: { throughput: tp, splitter: split },
  };
}

if (process.argv[2] === "--splitter-child") {
  splitterChild(Number(process.argv[3])).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
