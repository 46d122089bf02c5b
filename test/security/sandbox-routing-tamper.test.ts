/**
 * Routing integrity in the sandbox (issue 13, "Done when"): someone rewrites the routing document
 * under _gateway/ so that GLOBEX's uploads would go out on another partner's connector. The
 * synthesized functions refuse the document (its SHA-256 is not the one the stack wrote into their
 * environment): nothing is sent to anyone, the upload stays where it was, and the refusal is logged
 * with the mark the stack's metric filter counts into the routing-integrity alarm.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { Sandbox } from "../../sandbox/runner/sandbox";
import { synthesize } from "../../sandbox/runner/synthesize";
import { ROUTING_DOCUMENT_KEY } from "../../model/layout";
import { ROUTING_INTEGRITY_LOG_MARK } from "../../model/routing-integrity";

let sb: Sandbox;
let workDir: string;
let stackDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "sandbox-tamper-"));
  const synth = synthesize({
    customer: "example",
    workDir,
    overrides: { settle: { fileSeconds: 1, directorySeconds: 2 } },
  });
  stackDir = synth.stackDir;
  sb = new Sandbox({ stackDir, workDir, log: () => undefined });
  await sb.start();
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

function functionLogs(): string {
  const dir = join(workDir, "logs");
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

describe("a tampered routing document in the sandbox", () => {
  it("routes nothing and logs the refusal the routing-integrity alarm counts", async () => {
    const bucket = sb.buckets[0]!;
    const original = await sb.s3.send(new GetObjectCommand({ Bucket: bucket, Key: ROUTING_DOCUMENT_KEY }));
    const doc = JSON.parse(await original.Body!.transformToString()) as {
      partners: { partner: string; connectorId: string }[];
    };
    const globex = doc.partners.find((p) => p.partner === "GLOBEX")!;
    const initech = doc.partners.find((p) => p.partner === "INITECH")!;
    // The attack: GLOBEX's files leave on INITECH's connector (to another company).
    globex.connectorId = initech.connectorId;
    await sb.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: ROUTING_DOCUMENT_KEY, Body: JSON.stringify(doc, null, 2) }),
    );

    const upload = "AS2/send/ACME-AS2/GLOBEX/tampered-4711.edi";
    await sb.s3.send(new PutObjectCommand({ Bucket: bucket, Key: upload, Body: "UNB+UNOA:2+ACME-AS2+GLOBEX'\r\n" }));

    expect(await until(() => functionLogs().includes(ROUTING_INTEGRITY_LOG_MARK), 60_000)).toBe(true);
    await sb.settle(5_000);

    // Nothing left for any partner: no stand-in received a message, no transfer was started.
    for (const p of sb.partners.values()) expect(p.received).toEqual([]);
    expect(sb.counters.transfers).toBe(0);
    const keys = (await sb.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents!.map((c) => c.Key!);
    expect(keys.filter((k) => k.includes("/outbox/"))).toEqual([]);
    // The upload still waits where the user put it: a fixed routing document (a deploy) sends it.
    expect(keys).toContain(upload);

    // The logged refusal is what the stack's metric filters count (term pattern on the mark).
    const tf = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
      resource: { aws_cloudwatch_log_metric_filter: Record<string, { pattern: string }> };
    };
    const patterns = Object.values(tf.resource.aws_cloudwatch_log_metric_filter).map((f) => f.pattern);
    expect(patterns).toContain(`"${ROUTING_INTEGRITY_LOG_MARK}"`);
  }, 120_000);
});
