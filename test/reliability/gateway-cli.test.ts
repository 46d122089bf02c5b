/**
 * `npm run gateway -- status|resend <customer>` against local servers (the endpoint variables),
 * as an operator would use it against the sandbox.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueUrlCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { main, deadLetterQueues } from "../../scripts/gateway";
import { isSidecarKey, PIPELINE_DOCUMENT_KEY } from "../../model/layout";
import { PIPELINE_DOCUMENT_VERSION } from "../../model/pipeline-document";
import { ListStateMachinesCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { SendHarness, BUCKET, TABLE } from "../send/harness";
import { GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { recordRun } from "../../handlers/shared/open-work";

let h: SendHarness;
beforeAll(async () => {
  h = await SendHarness.start();
});
afterAll(() => h.stop());
beforeEach(() => h.reset());

async function run(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (l) => lines.push(l));
  return { code, lines };
}

it("status lists open work by kind, state and age, the dead-letter queues' depths and each reconciler's last run", async () => {
  h.sqs.on(GetQueueUrlCommand).callsFake((i: { QueueName: string }) => ({ QueueUrl: `https://q/${i.QueueName}` }));
  h.sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "2" } });
  const o = await h.upload("AS2/send/ACME/PARTNER/waiting.xml", "waiting");
  h.at(o.lastModified!, 16);
  await h.settle(h.s3Event(o));
  await recordRun("send", h.clock(), BUCKET, { reconciled: 0 });
  const { code, lines } = await run("status", "acme");
  expect(code).toBe(0);
  expect(lines.some((l) => /^ {2}send-file sent: 1, oldest \d+s$/.test(l))).toBe(true);
  expect(lines.some((l) => /waiting\.xml since /.test(l))).toBe(true);
  for (const q of deadLetterQueues("acme")) expect(lines).toContain(`  ${q.dlq}: 2`);
  expect(lines.at(-1)).toMatch(/^last reconciler runs: send \S+ \(\d+[smh] ago\), receive never$/);
});

it("status shows what the reconciler reported stuck: first in its list, with since when, and in the run's line", async () => {
  h.sqs.on(GetQueueUrlCommand).rejects(new Error("no such queue"));
  const o = await h.upload("AS2/send/ACME/PARTNER/stuck.xml", "stuck");
  h.at(o.lastModified!, 16);
  await h.settle(h.s3Event(o));
  const items = (await h.aws.ddb.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
  const file = items.find((i) => /^file#.*#stuck\.xml$/.test(i.pk?.S ?? ""));
  expect(file).toBeDefined();
  await h.aws.ddb.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { pk: file!.pk! },
      UpdateExpression: "SET stuckAt = :s",
      ExpressionAttributeValues: { ":s": { S: "2026-12-01T00:00:00.000Z" } },
    }),
  );
  await recordRun("send", h.clock(), BUCKET, { reconciled: 0, stuck: 1, heldStuck: 0 });
  const { code, lines } = await run("status", "acme");
  expect(code).toBe(0);
  // Other tests' open files may be listed too: the stuck one comes first under its state's line.
  const header = lines.findIndex((l) => /^ {2}send-file sent: \d+, oldest \S+, 1 stuck$/.test(l));
  expect(header).toBeGreaterThan(-1);
  expect(lines[header + 1]).toMatch(
    /stuck\.xml since \S+, stuck since 2026-12-01T00:00:00\.000Z \(queued again \d+ times without progress\)$/,
  );
  expect(lines.at(-1)).toMatch(/^last reconciler runs: send \S+ \(\d+[smh] ago, 1 stuck\), receive never$/);
});

it("unstick hands stuck work back to the reconcilers: its re-queue fields go, other work keeps its count", async () => {
  const put = (pk: string, extra: Record<string, { S: string } | { N: string }>) =>
    h.aws.ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: pk },
          requeues: { N: "3" },
          requeuedAt: { S: "2026-12-01T00:00:00.000Z" },
          requeueMark: { S: "m" },
          ...extra,
        },
      }),
    );
  await put("requeue#_gateway/inbound/x/processed/a.edi", { stuckAt: { S: "2026-12-01T01:00:00.000Z" } });
  await put("file#c1#waiting.edi", {});
  const { code, lines } = await run("unstick", "acme");
  expect(code).toBe(0);
  expect(lines).toContain("  requeue#_gateway/inbound/x/processed/a.edi (stuck since 2026-12-01T01:00:00.000Z)");
  expect(lines.at(-1)).toMatch(/^[1-9]\d* stuck item\(s\) handed back/); // with other tests' stuck work
  const get = async (pk: string) =>
    (await h.aws.ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
  const freed = await get("requeue#_gateway/inbound/x/processed/a.edi");
  expect(freed).toBeDefined();
  for (const f of ["stuckAt", "requeues", "requeuedAt", "requeueMark"]) expect(freed).not.toHaveProperty(f);
  expect((await get("file#c1#waiting.edi"))?.requeues).toEqual({ N: "3" });
});

it("resend puts a failed send back under AS2/send/ as a new message, next to (never over) a file of that name", async () => {
  h.sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  const o = await h.upload("AS2/send/ACME/NOBODY/again.edi", "try me again");
  h.at(o.lastModified!, 16);
  await h.settle(h.s3Event(o));
  const failed = (await h.keys("AS2/files/ACME/NOBODY/failed/")).find(
    (k) => k.endsWith("again.edi") && !isSidecarKey(k),
  )!;
  await h.aws.s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: "AS2/send/ACME/NOBODY/again.edi", Body: "a newer upload" }),
  );
  const { code, lines } = await run("resend", "acme", failed, "--bucket", BUCKET);
  expect(code).toBe(0);
  expect(lines[0]).toMatch(/resent as .*again \(1\)\.edi/);
  expect(await h.text("AS2/send/ACME/NOBODY/again (1).edi")).toBe("try me again");
  expect(await h.text("AS2/send/ACME/NOBODY/again.edi")).toBe("a newer upload");
  expect(await h.text(failed)).toBe("try me again");
});

it("prints its usage and exits 2 without a verb and a customer", async () => {
  expect((await run("status")).code).toBe(2);
});

describe("retry-transaction", () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

  it("needs the transaction table and id", async () => {
    const { code, lines } = await run("retry-transaction", "acme", "transactions");
    expect(code).toBe(2);
    expect(lines.join("\n")).toContain("retry-transaction <customer> <table> <transaction id>");
  });

  it("finds the customer's state machine by name before retrying, and says so when there is none", async () => {
    await h.aws.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: PIPELINE_DOCUMENT_KEY,
        Body: JSON.stringify({
          version: PIPELINE_DOCUMENT_VERSION,
          customer: "acme",
          layout: "mftgateway",
          partners: [],
        }),
      }),
    );
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    await expect(run("retry-transaction", "acme", "transactions", "tx-1", "--bucket", BUCKET)).rejects.toThrow(
      "no state machine as2-acme-transactions: is the pipeline enabled for acme?",
    );
    expect(sfn.commandCalls(ListStateMachinesCommand)).toHaveLength(1);
  });
});
