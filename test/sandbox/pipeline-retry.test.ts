/**
 * A failing enrichment endpoint in the sandbox, then `npm run gateway -- retry-transaction` through
 * the AWS_ENDPOINT_URL_* variables: the workflow records FAILED rows with the step and publishes
 * TRANSACTION.FAILED; once the endpoint answers, a retry turns the row PROCESSED with the
 * endpoint's answer as the stored document.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { dropPrefix } from "../../model/layout";
import { Sandbox } from "../../sandbox/runner/sandbox";
import { runScenario, type Scenario } from "../../sandbox/runner/scenario";
import { synthesize } from "../../sandbox/runner/synthesize";
import { main as gateway } from "../../scripts/gateway";
import { FAST_TIMES } from "../helpers/example-sandbox";

const ROOT = join(__dirname, "..", "..");
const X12 = readFileSync(join(ROOT, "test/pipeline/fixtures/x12-850-three-pos.edi"), "utf8");
const ENRICH_URL = "https://erp.acme.example/enrich";
const TABLE = "as2-example-transactions";

let sb: Sandbox;
let stub: Server;
let answer = 400;
const lines: string[] = [];

beforeAll(async () => {
  stub = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { document: object };
      res.writeHead(answer, { "Content-Type": "application/json" });
      res.end(JSON.stringify(answer === 200 ? { ...body.document, erpOrder: "E-1" } : { message: "unknown buyer" }));
    });
  });
  await new Promise<void>((r) => stub.listen(0, "127.0.0.1", () => r()));
  const example = JSON.parse(readFileSync(join(ROOT, "customers/example.json"), "utf8")) as {
    partners: Array<Record<string, unknown>>;
  };
  const workDir = mkdtempSync(join(tmpdir(), "sandbox-pipeline-retry-"));
  const synth = synthesize({
    customer: "example",
    workDir,
    overrides: {
      ...FAST_TIMES,
      partners: example.partners.map((p) =>
        p["as2Id"] === "GLOBEX" ? { ...p, pipeline: { format: "x12", enrich: { url: ENRICH_URL } } } : p,
      ),
    },
  });
  sb = new Sandbox({
    stackDir: synth.stackDir,
    workDir,
    log: (l) => void lines.push(l),
    httpEndpoints: { [ENRICH_URL]: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/` },
  });
  await sb.start();
  Object.assign(process.env, sb.clientEnv);
}, 120_000);

afterAll(async () => {
  await sb?.stop();
  await new Promise((r) => stub?.close(r));
});

async function expectSteps(steps: Scenario["steps"]): Promise<void> {
  const r = await runScenario(sb, { customer: "example", timeoutSeconds: 30, steps }, (l) => void lines.push(l));
  if (!r.ok) throw new Error(`${r.failures.join("\n")}\n--- sandbox log ---\n${lines.join("\n")}`);
}

describe("a failed transaction in the sandbox", () => {
  it("is recorded FAILED at the enrich step, then retried with npm run gateway -- retry-transaction", async () => {
    const key = `${dropPrefix({ station: "ACME-AS2", partner: "GLOBEX", test: false })}po-3.x12`;
    await sb.s3.send(new PutObjectCommand({ Bucket: sb.buckets[0]!, Key: key, Body: X12 }));
    await expectSteps([
      { expect: { transactions: { station: "ACME-AS2", partner: "GLOBEX", count: 3, status: "FAILED" } } },
      { expect: { domainEvent: "TRANSACTION.FAILED", count: 3 } },
    ]);
    const failed = sb.stepFunctions.executions().find((e) => e.status === "FAILED")!;
    expect(failed.error).toBe("States.Http.StatusCode.400");
    const ddb = new DynamoDBClient({});
    try {
      const before = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: failed.name } } }));
      expect(before.Item?.["failedStep"]?.S).toBe("enrich");

      answer = 200;
      const out: string[] = [];
      expect(
        await gateway(["retry-transaction", "example", TABLE, failed.name, "--bucket", sb.buckets[0]!], (l) =>
          out.push(l),
        ),
      ).toBe(0);
      expect(out.join("\n")).toMatch(
        new RegExp(`transaction ${failed.name} started again as execution ${failed.name}-r`),
      );
      expect(await sb.settle(30_000)).toBe(true);
      await expectSteps([
        { expect: { transactions: { station: "ACME-AS2", partner: "GLOBEX", count: 1, status: "PROCESSED" } } },
        { expect: { transactions: { station: "ACME-AS2", partner: "GLOBEX", count: 2, status: "FAILED" } } },
      ]);
      const after = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: failed.name } } }));
      expect(after.Item?.["status"]?.S).toBe("PROCESSED");
      expect(JSON.parse(after.Item!["document"]!.S!)).toMatchObject({ erpOrder: "E-1" });
    } finally {
      ddb.destroy();
    }
  }, 120_000);
});
