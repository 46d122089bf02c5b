import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { pipelineSource, type PipelineSource } from "../../handlers/pipeline/source";
import { splitFile } from "../../handlers/pipeline/split-file";
import { startTransaction } from "../../handlers/pipeline/start-handler";
import type { TransactionMessage } from "../../handlers/pipeline/transaction-message";
import { validateCustomer } from "../../model/load";
import { recordKey } from "../../model/layout";
import { buildPipelineDocument, parsePipelineDocument } from "../../model/pipeline-document";
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { fixture } from "./split-helpers";

const BUCKET = "acme-gateway";
const customer = validateCustomer(
  customerInput({
    stations: [{ as2Id: "ACME", signing: { generate: true } }],
    partners: [
      {
        as2Id: "GLOBEX",
        station: "ACME",
        url: "https://globex.example/as2",
        certificates: { signing: { pem: SAMPLE_CERT_PEM } },
        pipeline: { format: "x12" },
      },
      {
        as2Id: "AWSB2B",
        station: "ACME",
        url: "https://b2b.example/as2",
        certificates: { signing: { pem: SAMPLE_CERT_PEM } },
        pipeline: { format: "xml", xmlElement: "Transaction" },
      },
      {
        as2Id: "PLAIN",
        station: "ACME",
        url: "https://plain.example/as2",
        certificates: { signing: { pem: SAMPLE_CERT_PEM } },
      },
    ],
  }),
  "acme.json",
);
const doc = parsePipelineDocument(JSON.parse(JSON.stringify(buildPipelineDocument(customer))));

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createBucket(BUCKET);
});
afterAll(async () => aws.stop());

function received(key: string, partner = "GLOBEX"): string {
  return JSON.stringify({
    source: "as2-transfer-gateway",
    "detail-type": "MESSAGE.RECEIVED.SUCCESS",
    detail: {
      stationId: "ACME",
      partnerId: partner,
      test: false,
      attachments: [{ bucket: BUCKET, key, fileName: key.split("/").pop() }],
    },
  });
}
function dropped(key: string): string {
  return JSON.stringify({
    source: "aws.s3",
    "detail-type": "Object Created",
    detail: { bucket: { name: BUCKET }, object: { key } },
  });
}

async function split(body: string) {
  const sent: TransactionMessage[] = [];
  const source = pipelineSource(body) as PipelineSource;
  const outcome = await splitFile(source, { s3: aws.s3, doc, enqueue: async (m) => void sent.push(...m) });
  return { outcome, sent };
}

describe("pipeline document", () => {
  it("lists opted-in partners only, with their physical table", () => {
    expect(doc.partners.map((p) => [p.partner, p.format, p.table])).toEqual([
      ["GLOBEX", "x12", "as2-acme-transactions"],
      ["AWSB2B", "xml", "as2-acme-transactions"],
    ]);
    expect(() => parsePipelineDocument({ ...doc, partners: [{ ...doc.partners[0], format: "x13" }] })).toThrow(
      "format 'x13'",
    );
  });
});

describe("split file → transaction messages", () => {
  it("an X12 interchange received over AS2: 3 messages with stable ids; the same file again gives the same ids", async () => {
    const keyA = "AS2/files/ACME/GLOBEX/inbox/20261201T120000000Z-aaaa/pos.edi";
    const keyB = "AS2/files/ACME/GLOBEX/inbox/20261201T120500000Z-bbbb/pos.edi";
    for (const Key of [keyA, keyB])
      await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: fixture("x12-850-three-pos.edi") }));
    const a = await split(received(keyA));
    expect(a.outcome).toMatchObject({ status: "split", transactions: 3 });
    expect(a.sent.map((m) => [m.position, m.envelope.transactionControlNumber, m.partnerKey, m.table])).toEqual([
      [0, "0001", "ACME/GLOBEX", "as2-acme-transactions"],
      [1, "0002", "ACME/GLOBEX", "as2-acme-transactions"],
      [2, "0003", "ACME/GLOBEX", "as2-acme-transactions"],
    ]);
    expect(a.sent.every((m) => /^[0-9a-f]{32}-\d+$/.test(m.id) && m.id.length <= 80)).toBe(true);
    expect(new Set(a.sent.map((m) => m.id)).size).toBe(3);
    const b = await split(received(keyB));
    expect(b.sent.map((m) => m.id)).toEqual(a.sent.map((m) => m.id));
    const again = await split(received(keyA));
    expect(again.sent.map((m) => m.id)).toEqual(a.sent.map((m) => m.id));
  });

  it("AWS's sample XML dropped over SFTP (a name with a space, URL-encoded in the event): 11 messages", async () => {
    const key = "AS2/drop/ACME/AWSB2B/batch 1.xml";
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: fixture("aws-b2b-transactions.xml") }));
    const { outcome, sent } = await split(dropped("AS2/drop/ACME/AWSB2B/batch+1.xml"));
    expect(outcome).toMatchObject({ status: "split", transactions: 11, source: { key } });
    expect(sent.map((m) => m.envelope.TransactionID)).toEqual([
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
      "10",
      "11",
    ]);
  });

  it("an envelope error: nothing is enqueued, the file and a record with the reason go to failed/", async () => {
    const key = "AS2/files/ACME/GLOBEX/inbox/20261201T130000000Z-cccc/bad.edi";
    const bad = fixture("x12-850-three-pos.edi").toString().replace("IEA*1*000000101", "IEA*1*000000999");
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bad }));
    const { outcome, sent } = await split(received(key));
    expect(sent).toEqual([]);
    expect(outcome).toMatchObject({
      status: "failed",
      reason: expect.stringContaining("IEA02 '000000999' does not match ISA13"),
    });
    const to = (outcome as { failedKey: string }).failedKey;
    expect(to).toMatch(/^AS2\/files\/ACME\/GLOBEX\/failed\/\d{8}T\d{9}Z\/bad\.edi$/);
    const record = JSON.parse(
      await (await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: recordKey(to) }))).Body!.transformToString(),
    );
    expect(record).toMatchObject({ status: "FAILED", stage: "split", source: { key, via: "as2" } });
    expect(record.reason).toContain("IEA02");
    const copy = await (await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: to }))).Body!.transformToString();
    expect(copy).toBe(bad);
  });

  it("skips partners without a pipeline, foreign events and keys outside drop folders", async () => {
    expect((await split(received("AS2/files/ACME/PLAIN/inbox/x/y.edi", "PLAIN"))).outcome).toEqual({
      status: "skipped",
      reason: "the partner has no pipeline",
    });
    expect(pipelineSource(dropped("AS2/send/ACME/GLOBEX/x.edi"))).toEqual({
      ignored: "not a drop-folder file: AS2/send/ACME/GLOBEX/x.edi",
    });
    expect(pipelineSource(dropped("AS2/drop/ACME/GLOBEX/sub/dir/x.edi"))).toHaveProperty("ignored");
    expect(pipelineSource("{")).toEqual({ ignored: "the message is not JSON" });
    expect(pipelineSource(JSON.stringify({ source: "aws.s3", "detail-type": "Object Deleted" }))).toHaveProperty(
      "ignored",
    );
  });
});

describe("starter", () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());
  const body = JSON.stringify({ id: "0123456789abcdef0123456789abcdef-0" });

  it("names the execution by the transaction id", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn" });
    expect(await startTransaction(new SFNClient({}), "arn:sm", body)).toBe("started");
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: "arn:sm",
      name: "0123456789abcdef0123456789abcdef-0",
      input: body,
    });
  });

  it("treats ExecutionAlreadyExists (a redelivered message) as done, and other errors as failures", async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: "exists", $metadata: {} }));
    expect(await startTransaction(new SFNClient({}), "arn:sm", body)).toBe("already");
    sfn.on(StartExecutionCommand).rejects(new Error("throttled"));
    await expect(startTransaction(new SFNClient({}), "arn:sm", body)).rejects.toThrow("throttled");
  });
});
