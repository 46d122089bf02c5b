import { CreateTableCommand, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { Readable } from "node:stream";
import { splitX12 } from "../../handlers/pipeline/split/x12";
import { transactionMessage, type TransactionMessage } from "../../handlers/pipeline/transaction-message";
import { TRANSACTION_TABLE_KEY } from "../../model/pipeline-document";
import {
  transactionDefinition,
  TRANSACTION_FAILED,
  TRANSACTION_PROCESSED,
} from "../../stacks/pipelines/transactions-definition";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { localWorkflow } from "./local-workflow";
import { fixture } from "./split-helpers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { all, synthCustomer } from "../stacks/helpers";
import { EXAMPLE_DIR } from "../helpers/customer-factory";
import type { CustomerInput } from "../../model/customer";

// asl-validator 4 is CommonJS with a default export function
const aslValidator = require("asl-validator") as (def: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

const TABLE = "as2-acme-transactions";
const definition = transactionDefinition({
  formatFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:as2-acme-pipeline-format",
  eventBusName: "as2-acme",
  eventSource: "as2-transfer-gateway",
  metricsNamespace: "as2-transfer-gateway/acme",
});

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
  const k = TRANSACTION_TABLE_KEY;
  await aws.ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: k.partitionKey, AttributeType: "S" },
        { AttributeName: k.partnerKey, AttributeType: "S" },
        { AttributeName: k.timeKey, AttributeType: "S" },
      ],
      KeySchema: [{ AttributeName: k.partitionKey, KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: k.byPartnerIndex,
          KeySchema: [
            { AttributeName: k.partnerKey, KeyType: "HASH" },
            { AttributeName: k.timeKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
});
afterAll(async () => aws.stop());

async function messages(etag: string): Promise<TransactionMessage[]> {
  const out: TransactionMessage[] = [];
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
  for await (const tx of splitX12(Readable.from([fixture("x12-850-three-pos.edi")])))
    out.push(transactionMessage(ctx, tx));
  return out;
}

const rows = async () => (await aws.ddb.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];

describe("transaction workflow (ASL)", () => {
  it("is valid Amazon States Language (asl-validator), with and without enrichment", () => {
    const withEnrich = transactionDefinition({
      formatFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:f",
      eventBusName: "bus",
      eventSource: "as2-transfer-gateway",
      metricsNamespace: "as2-transfer-gateway/acme",
      enrich: [
        {
          partnerKey: "ACME-AS2/GLOBEX",
          url: "https://enrich.example/v1",
          connectionArn: "arn:aws:events:eu-west-1:123456789012:connection/c/1",
        },
      ],
    });
    for (const d of [definition, withEnrich]) {
      const r = aslValidator(d);
      expect(r.errorsText("\n")).toBe("");
      expect(r.isValid).toBe(true);
    }
  });

  it("retries every task with exponential backoff and catches every task", () => {
    const states = definition.States as Record<
      string,
      { Type: string; Retry?: { BackoffRate: number }[]; Catch?: unknown[] }
    >;
    for (const [name, s] of Object.entries(states).filter(([, s]) => s.Type === "Task")) {
      expect([name, s.Retry?.[0]?.BackoffRate]).toEqual([name, 2]);
      expect([name, (s.Catch ?? []).length > 0]).toEqual([name, true]);
    }
  });

  it("an X12 interchange with 3 POs: 3 rows, 3 TRANSACTION.PROCESSED; run again: no new row, no new event", async () => {
    const wf = localWorkflow(definition, aws.ddb);
    const input = await messages("etag-1");
    for (const m of input) expect(await wf.run(m)).toEqual({ status: "SUCCEEDED" });
    expect(wf.events.map((e) => e.DetailType)).toEqual([
      TRANSACTION_PROCESSED,
      TRANSACTION_PROCESSED,
      TRANSACTION_PROCESSED,
    ]);
    expect(wf.events[1]!.Detail).toMatchObject({
      transactionId: input[1]!.id,
      stationId: "ACME-AS2",
      partnerId: "GLOBEX",
      envelope: { transactionSetId: "850", transactionControlNumber: "0002", interchangeControlNumber: "000000101" },
    });
    const stored = await rows();
    expect(stored).toHaveLength(3);
    const row = stored.find((r) => r.id!.S === input[0]!.id)!;
    expect(row.status!.S).toBe("PROCESSED");
    expect(row.type!.S).toBe("850");
    expect(JSON.parse(row.document!.S!).segments[1]).toEqual(["BEG", "00", "SA", "PO-1", "", "20261201"]);

    // A redelivered message or a repeated source event runs the same transactions again.
    for (const m of await messages("etag-1")) expect(await wf.run(m)).toEqual({ status: "SUCCEEDED" });
    expect(await rows()).toHaveLength(3);
    expect(wf.events).toHaveLength(3);
    expect(wf.counts).toHaveLength(3);

    // Queryable by partner and time.
    const q = await aws.ddb.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: TRANSACTION_TABLE_KEY.byPartnerIndex,
        KeyConditionExpression: "partnerKey = :p AND receivedAt >= :t",
        ExpressionAttributeValues: { ":p": { S: "ACME-AS2/GLOBEX" }, ":t": { S: "2026-12-01" } },
      }),
    );
    expect(q.Items).toHaveLength(3);
  });

  it("a transaction that cannot be formatted: a FAILED row with the step, TRANSACTION.FAILED, execution failed; a later success replaces it", async () => {
    const wf = localWorkflow(definition, aws.ddb);
    const [first] = await messages("etag-bad");
    const broken = { ...first!, format: "nonsense" };
    expect(await wf.run(broken)).toEqual({ status: "FAILED", error: "InvalidTransaction" });
    expect(wf.events.map((e) => [e.DetailType, e.Detail.failedStep, e.Detail.failureCode])).toEqual([
      [TRANSACTION_FAILED, "format", "InvalidTransaction"],
    ]);
    expect(wf.counts).toEqual([["TransactionsFailed", "GLOBEX"]]);
    const failed = (await rows()).find((r) => r.id!.S === first!.id)!;
    expect([failed.status!.S, failed.failedStep!.S, failed.cause!.S]).toEqual([
      "FAILED",
      "format",
      "unknown format 'nonsense'",
    ]);

    // retry-transaction runs it again (new execution name): the FAILED row becomes PROCESSED.
    expect(await wf.run(first!)).toEqual({ status: "SUCCEEDED" });
    expect((await rows()).find((r) => r.id!.S === first!.id)!.status!.S).toBe("PROCESSED");
  });

  it("a DynamoDB outage after retries: TRANSACTION.FAILED with step store", async () => {
    const unavailable = async () => {
      const e = new Error("service unavailable");
      e.name = "DynamoDB.InternalServerErrorException";
      throw e;
    };
    const wf = localWorkflow(definition, aws.ddb, { Store: unavailable });
    const [m] = await messages("etag-outage");
    expect((await wf.run(m!)).status).toBe("FAILED");
    expect(wf.events.map((e) => [e.DetailType, e.Detail.failedStep, e.Detail.failureCode])).toEqual([
      [TRANSACTION_FAILED, "store", "DynamoDB.InternalServerErrorException"],
    ]);
  });

  it("the definition synthesized for the example customer runs the same way (3 POs → 3 rows, once)", async () => {
    const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as CustomerInput;
    const [sm] = all(synthCustomer(example).tf, "aws_sfn_state_machine");
    const wf = localWorkflow(JSON.parse(sm.definition), aws.ddb);
    const before = (await rows()).length;
    const input = await messages("etag-synthesized");
    for (const m of [...input, ...input]) expect(await wf.run(m)).toEqual({ status: "SUCCEEDED" });
    expect((await rows()).length).toBe(before + 3);
    expect(wf.events.map((e) => e.DetailType)).toEqual([
      TRANSACTION_PROCESSED,
      TRANSACTION_PROCESSED,
      TRANSACTION_PROCESSED,
    ]);
  });
});
