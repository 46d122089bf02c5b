/**
 * The sandbox's Step Functions (sandbox/runner/stepfunctions.ts) through the AWS SDK: execution
 * names taken once as StartExecution documents them, the transaction definition with enrichment
 * run against dynalite and a local HTTP endpoint, failures named as Step Functions names them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { CreateTableCommand, PutItemCommand, ScanCommand, type PutItemCommandInput } from "@aws-sdk/client-dynamodb";
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { formatTransaction } from "../../handlers/pipeline/format-handler";
import { splitX12 } from "../../handlers/pipeline/split/x12";
import { transactionMessage, type TransactionMessage } from "../../handlers/pipeline/transaction-message";
import { LocalStepFunctions, localHttpTask, taskError } from "../../sandbox/runner/stepfunctions";
import { transactionDefinition, TRANSACTION_FAILED } from "../../stacks/pipelines/transactions-definition";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { fixture } from "../pipeline/split-helpers";

const TABLE = "as2-acme-transactions";
const SM = "arn:aws:states:eu-west-1:123456789012:stateMachine:as2-acme-transactions";
const ENRICH_URL = "https://erp.acme.example/enrich";

let aws: LocalAws;
let stub: Server;
let stubStatus = 200;
const stubBodies: unknown[] = [];
let sfnLocal: LocalStepFunctions;
let sfn: SFNClient;
const events: { DetailType: string; Detail: Record<string, unknown> }[] = [];
/** Holds every format invocation until released (to observe an open execution). */
let gate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    }),
  );
  stub = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { document: object };
      stubBodies.push(body);
      res.writeHead(stubStatus, { "Content-Type": "application/json" });
      res.end(JSON.stringify(stubStatus === 200 ? { ...body.document, customerNumber: "C-42" } : { busy: true }));
    });
  });
  await new Promise<void>((r) => stub.listen(0, "127.0.0.1", () => r()));
  const definition = transactionDefinition({
    formatFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:as2-acme-transactions-format",
    eventBusName: "as2-acme",
    eventSource: "as2-transfer-gateway",
    metricsNamespace: "as2-transfer-gateway/acme",
    enrich: [
      {
        partnerKey: "ACME-AS2/GLOBEX",
        url: ENRICH_URL,
        connectionArn: "arn:aws:events:eu-west-1:123456789012:connection/c/1",
      },
    ],
  });
  sfnLocal = new LocalStepFunctions(
    [{ name: "as2-acme-transactions", arn: SM, definition }],
    {
      invokeLambda: async (_name, payload) => {
        await gate;
        try {
          return formatTransaction(payload as TransactionMessage);
        } catch (e) {
          throw taskError((e as Error).name, (e as Error).message);
        }
      },
      putItem: async (input) => {
        await aws.ddb.send(new PutItemCommand(input as unknown as PutItemCommandInput));
      },
      putEvents: async (entries) => {
        for (const e of entries)
          events.push({ DetailType: String(e["DetailType"]), Detail: JSON.parse(String(e["Detail"])) as never });
        return entries.map((_, i) => `e-${events.length}-${i}`);
      },
      httpInvoke: localHttpTask({ [ENRICH_URL]: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/` }),
    },
    // Retry intervals of seconds become milliseconds.
    { account: "123456789012", region: "eu-west-1", timeScale: 1000 },
  );
  const endpoint = await sfnLocal.start();
  sfn = new SFNClient({ region: "eu-west-1", endpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
});

afterAll(async () => {
  sfn?.destroy();
  await sfnLocal?.stop();
  await new Promise((r) => stub?.close(r));
  await aws?.stop();
});

async function messages(etag: string): Promise<TransactionMessage[]> {
  const ctx = {
    customer: "acme",
    station: "ACME-AS2",
    partner: "GLOBEX",
    test: false,
    format: "x12",
    table: TABLE,
    source: { bucket: "b", key: "AS2/files/ACME-AS2/GLOBEX/inbox/x/three-pos.edi", etag },
    receivedAt: "2026-12-01T12:00:00.000Z",
  };
  const out: TransactionMessage[] = [];
  for await (const tx of splitX12(Readable.from([fixture("x12-850-three-pos.edi")])))
    out.push(transactionMessage(ctx, tx));
  return out;
}

const start = (name: string, input: string) =>
  sfn.send(new StartExecutionCommand({ stateMachineArn: SM, name, input }));

describe("the sandbox's Step Functions", () => {
  it("an open execution's name with the same input is the same execution; any other reuse is ExecutionAlreadyExists", async () => {
    const [m] = await messages("etag-names");
    const input = JSON.stringify(m);
    let release!: () => void;
    gate = new Promise<void>((r) => (release = r));
    const first = await start(m!.id, input);
    const again = await start(m!.id, input);
    expect(again.executionArn).toBe(first.executionArn);
    await expect(start(m!.id, JSON.stringify({ ...m, body: "other" }))).rejects.toMatchObject({
      name: "ExecutionAlreadyExists",
    });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).status).toBe("RUNNING");
    release();
    await sfnLocal.idle();
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).status).toBe(
      "SUCCEEDED",
    );
    await expect(start(m!.id, input)).rejects.toMatchObject({ name: "ExecutionAlreadyExists" });
    await expect(start("has space", input)).rejects.toMatchObject({ name: "InvalidName" });
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${SM}-x`, name: "a", input })),
    ).rejects.toMatchObject({ name: "StateMachineDoesNotExist" });
  });

  it("runs enrichment against the local endpoint and stores its answer", async () => {
    const [m] = await messages("etag-enrich");
    await start(m!.id, JSON.stringify(m));
    await sfnLocal.idle();
    expect(stubBodies.at(-1)).toMatchObject({ id: m!.id, type: "850" });
    const row = ((await aws.ddb.send(new ScanCommand({ TableName: TABLE }))).Items ?? []).find(
      (r) => r["id"]?.S === m!.id,
    );
    expect(row?.["status"]?.S).toBe("PROCESSED");
    expect(JSON.parse(row!["document"]!.S!)).toMatchObject({ customerNumber: "C-42" });
  });

  it("an endpoint that keeps answering 503 is retried, then the failure is recorded and published", async () => {
    stubStatus = 503;
    const calls = stubBodies.length;
    const [m] = await messages("etag-busy");
    const { executionArn } = await start(m!.id, JSON.stringify(m));
    await sfnLocal.idle();
    stubStatus = 200;
    // One call and MaxAttempts (5) retries of HTTP_RETRY.
    expect(stubBodies.length - calls).toBe(6);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(d).toMatchObject({ status: "FAILED", error: "States.Http.StatusCode.503" });
    const row = ((await aws.ddb.send(new ScanCommand({ TableName: TABLE }))).Items ?? []).find(
      (r) => r["id"]?.S === m!.id,
    );
    expect([row?.["status"]?.S, row?.["failedStep"]?.S]).toEqual(["FAILED", "enrich"]);
    expect(events.filter((e) => e.DetailType === TRANSACTION_FAILED).at(-1)?.Detail).toMatchObject({
      transactionId: m!.id,
      failedStep: "enrich",
      failureCode: "States.Http.StatusCode.503",
    });
  });
});
