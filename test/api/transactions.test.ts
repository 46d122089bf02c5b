/**
 * Contract test of POST /v1/transactions: the API Lambda on s3rver (routing and pipeline documents)
 * and dynalite, answers validated against templates/openapi.json (harness.ts). SQS has no local
 * server here: aws-sdk-client-mock records what would be enqueued.
 */
import { createHash } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { ApiHarness, BUCKET, FULL, type Auth } from "./harness";
import { PIPELINE_DOCUMENT_KEY } from "../../model/layout";
import {
  PIPELINE_DOCUMENT_VERSION,
  pipelineDocumentText,
  sha256Hex,
  type PipelineDocument,
} from "../../model/pipeline-document";
import { forgetPipelineDocument } from "../../handlers/pipeline/config";
import type { TransactionMessage } from "../../handlers/pipeline/transaction-message";
import { MAX_POSTED_MESSAGE_BYTES, postedEnvelope } from "../../handlers/api/transactions";
import { MAX_MESSAGE_BYTES } from "../../handlers/pipeline/split-file";
import { messageContext } from "../../handlers/pipeline/transaction-message";

const QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/as2-acme-transactions";
const sqs = mockClient(SQSClient);
let h: ApiHarness;

// GLOBEX (station ACME) and UMBRELLA (station ACME-EU) have a pipeline; INITECH (ACME) has none.
const doc: PipelineDocument = {
  version: PIPELINE_DOCUMENT_VERSION,
  customer: "acme",
  layout: "mftgateway",
  partners: [
    { station: "ACME", partner: "GLOBEX", test: false, format: "x12", table: "as2-acme-transactions" },
    {
      station: "ACME-EU",
      partner: "UMBRELLA",
      test: false,
      format: "xml",
      xmlElement: "Transaction",
      table: "as2-acme-transactions",
    },
  ],
};

beforeAll(async () => {
  h = await ApiHarness.start();
  const text = pipelineDocumentText(doc);
  await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: PIPELINE_DOCUMENT_KEY, Body: text }));
  Object.assign(process.env, {
    PIPELINE_BUCKET: BUCKET,
    PIPELINE_KEY: PIPELINE_DOCUMENT_KEY,
    PIPELINE_SHA256: sha256Hex(text),
    TRANSACTION_QUEUE_URL: QUEUE,
  });
  forgetPipelineDocument();
});
afterAll(async () => {
  for (const k of ["PIPELINE_BUCKET", "PIPELINE_KEY", "PIPELINE_SHA256", "TRANSACTION_QUEUE_URL"])
    delete process.env[k];
  forgetPipelineDocument();
  sqs.restore();
  await h.stop();
});
beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: "m" });
});

const sent = (): { queue: string | undefined; message: TransactionMessage }[] =>
  sqs
    .commandCalls(SendMessageCommand)
    .map((c) => ({ queue: c.args[0].input.QueueUrl, message: JSON.parse(c.args[0].input.MessageBody!) }));

/** The id the pipeline would give: transactionId() with `rest:<transactionId>` for the ETag, position 0. */
const expectedId = (station: string, partner: string, txId: string) =>
  `${createHash("sha256").update(`${station}\n${partner}\nrest:${txId}`).digest("hex").slice(0, 32)}-0`;

const X12_ST = "ST*850*0001~BEG*00*SA*PO-12**20261201~SE*3*0001~";

const form = (fields: Record<string, string>, query?: Record<string, string>, auth?: Auth) =>
  h.call({
    method: "POST",
    path: "/v1/transactions",
    rawBody: new URLSearchParams(fields).toString(),
    contentType: "application/x-www-form-urlencoded",
    ...(query ? { query } : {}),
    ...(auth ? { auth } : {}),
  });

describe("POST /v1/transactions", () => {
  it("form-encoded, AWS's sample shape: one message on the transaction queue, 202 with the transaction id", async () => {
    const r = await form({ transactionId: "12", transactionMessage: X12_ST }, { station: "ACME", partner: "GLOBEX" });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({
      id: expectedId("ACME", "GLOBEX", "12"),
      station: "ACME",
      partner: "GLOBEX",
      transactionId: "12",
      state: "accepted",
    });
    const [one, ...more] = sent();
    expect(more).toEqual([]);
    expect(one!.queue).toBe(QUEUE);
    expect(one!.message).toMatchObject({
      id: r.body.id,
      customer: "acme",
      station: "ACME",
      partner: "GLOBEX",
      partnerKey: "ACME/GLOBEX",
      format: "x12",
      table: "as2-acme-transactions",
      position: 0,
      body: X12_ST,
      envelope: { transactionId: "12", transactionSetId: "850", transactionControlNumber: "0001" },
      source: { bucket: BUCKET, key: "rest:/v1/transactions/12", etag: "rest:12" },
    });
    expect(Number.isNaN(Date.parse(one!.message.receivedAt))).toBe(false);
    // The same context a split transaction of Globex would carry.
    const { source, receivedAt, ...ctx } = messageContext(doc, doc.partners[0]!, one!.message.source, "t");
    expect([source, receivedAt]).toEqual([one!.message.source, "t"]);
    expect(one!.message).toMatchObject(ctx);
  });

  it("holds posted transactions to the split transactions' message limit", () => {
    expect(MAX_POSTED_MESSAGE_BYTES).toBe(MAX_MESSAGE_BYTES);
  });

  it("JSON with station and partner in the body; '+' and '&' in a form survive decoding", async () => {
    const r = await h.call({
      method: "POST",
      path: "/v1/transactions",
      body: { station: "ACME", partner: "GLOBEX", transactionId: "A-1", transactionMessage: X12_ST },
    });
    expect(r.status).toBe(202);
    expect(r.body.id).toBe(expectedId("ACME", "GLOBEX", "A-1"));
    const f = await form(
      { transactionId: "A+2", transactionMessage: "a+b&c=d" },
      { station: "ACME", partner: "GLOBEX" },
    );
    expect(f.status).toBe(202);
    expect(sent().map((s) => s.message.body)).toEqual([X12_ST, "a+b&c=d"]);
    expect(f.body.id).toBe(expectedId("ACME", "GLOBEX", "A+2"));
  });

  it("a retried POST, and duplicates sent concurrently, carry the same transaction id", async () => {
    const post = () =>
      form({ transactionId: "77", transactionMessage: X12_ST }, { station: "ACME", partner: "GLOBEX" });
    const answers = [await post(), ...(await Promise.all([post(), post()]))];
    expect(new Set(answers.map((a) => a.body.id))).toEqual(new Set([expectedId("ACME", "GLOBEX", "77")]));
    expect(new Set(sent().map((s) => s.message.id))).toEqual(new Set([answers[0]!.body.id]));
    // Another partner, or another transactionId: another transaction.
    const other = await form(
      { transactionId: "78", transactionMessage: X12_ST },
      { station: "ACME", partner: "GLOBEX" },
    );
    expect(other.body.id).not.toBe(answers[0]!.body.id);
  });

  it("infers station and partner when only one is open to the caller", async () => {
    const euOnly: Auth = { kind: "jwt", clientId: "eu-only", scopes: ["as2-gateway/send"] };
    const r = await form({ transactionId: "9", transactionMessage: "<Transaction/>" }, undefined, euOnly);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ station: "ACME-EU", partner: "UMBRELLA" });
    // A caller of both stations must say which.
    const ambiguous = await form({ transactionId: "9", transactionMessage: "<Transaction/>" });
    expect(ambiguous).toMatchObject({ status: 400, body: { code: "STATION_REQUIRED" } });
    expect(String(ambiguous.body.detail)).toContain("'ACME'");
  });

  it("refuses an unknown partner, a partner without a pipeline, another station's partner and a foreign station", async () => {
    const post = (station: string, partner: string, auth: Auth = FULL) =>
      form({ transactionId: "1", transactionMessage: X12_ST }, { station, partner }, auth);
    expect(await post("ACME", "NOBODY")).toMatchObject({ status: 422, body: { code: "UNKNOWN_PARTNER" } });
    const none = await post("ACME", "INITECH");
    expect(none).toMatchObject({ status: 409, body: { code: "NO_PIPELINE" } });
    expect(String(none.body.detail)).toContain("pipeline: { format }");
    expect(await post("ACME", "UMBRELLA")).toMatchObject({ status: 422, body: { code: "UNKNOWN_PARTNER" } });
    expect(await post("NOWHERE", "GLOBEX")).toMatchObject({ status: 422, body: { code: "UNKNOWN_STATION" } });
    const euOnly: Auth = { kind: "jwt", clientId: "eu-only", scopes: ["as2-gateway/send"] };
    expect(await post("ACME", "GLOBEX", euOnly)).toMatchObject({ status: 403, body: { code: "STATION_NOT_ALLOWED" } });
    expect(sent()).toEqual([]);
  });

  it("answers 409 when the stack deployed no pipeline at all (no queue in the environment)", async () => {
    const saved = process.env.TRANSACTION_QUEUE_URL;
    delete process.env.TRANSACTION_QUEUE_URL;
    try {
      const r = await form({ transactionId: "1", transactionMessage: X12_ST }, { station: "ACME", partner: "GLOBEX" });
      expect(r).toMatchObject({ status: 409, body: { code: "NO_PIPELINE" } });
    } finally {
      process.env.TRANSACTION_QUEUE_URL = saved;
    }
    expect(sent()).toEqual([]);
  });

  it("refuses a caller without the send scope, and an unauthenticated call", async () => {
    const reader: Auth = { kind: "jwt", clientId: "reader", scopes: ["as2-gateway/read"] };
    const r = await form(
      { transactionId: "1", transactionMessage: X12_ST },
      { station: "ACME", partner: "GLOBEX" },
      reader,
    );
    expect(r).toMatchObject({ status: 403, body: { code: "MISSING_SCOPE" } });
    const anon = await form({ transactionId: "1", transactionMessage: X12_ST }, undefined, { kind: "none" });
    expect(anon.status).toBe(401);
    expect(sent()).toEqual([]);
  });

  it("refuses malformed bodies with problem+json", async () => {
    const q = { station: "ACME", partner: "GLOBEX" };
    expect(await form({ transactionId: "1" }, q)).toMatchObject({ status: 400, body: { code: "INVALID_BODY" } });
    expect(await form({ transactionId: "1", transactionMessage: "x", extra: "y" }, q)).toMatchObject({
      status: 400,
      body: { code: "INVALID_BODY" },
    });
    expect(await form({ transactionId: "has space", transactionMessage: "x" }, q)).toMatchObject({ status: 400 });
    const twice = await h.call({
      method: "POST",
      path: "/v1/transactions",
      rawBody: "transactionId=1&transactionId=2&transactionMessage=x",
      contentType: "application/x-www-form-urlencoded",
      query: q,
    });
    expect(twice).toMatchObject({ status: 400, body: { code: "DUPLICATE_FIELD" } });
    const badJson = await h.call({ method: "POST", path: "/v1/transactions", rawBody: "{", query: q });
    expect(badJson).toMatchObject({ status: 400, body: { code: "MALFORMED_JSON" } });
    const numeric = await h.call({
      method: "POST",
      path: "/v1/transactions",
      body: { ...q, transactionId: 12, transactionMessage: "x" },
    });
    expect(numeric).toMatchObject({ status: 400, body: { code: "INVALID_BODY" } });
    const text = await h.call({
      method: "POST",
      path: "/v1/transactions",
      rawBody: "hello",
      contentType: "text/plain",
      query: q,
    });
    expect(text).toMatchObject({ status: 415, body: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    const get = await h.call({ method: "GET", path: "/v1/transactions" });
    expect(get).toMatchObject({ status: 405, body: { code: "METHOD_NOT_ALLOWED" } });
    expect(sent()).toEqual([]);
  });

  it("keeps the envelope facts the transaction carries, as a splitter would", () => {
    expect(postedEnvelope("x12", "1", X12_ST)).toEqual({
      transactionId: "1",
      transactionSetId: "850",
      transactionControlNumber: "0001",
    });
    expect(postedEnvelope("edifact", "2", "UNH+1+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+1'")).toEqual({
      transactionId: "2",
      messageType: "ORDERS",
    });
    expect(postedEnvelope("xml", "3", '<?xml version="1.0"?>\n<Transaction TransactionID="3"/>')).toEqual({
      transactionId: "3",
      element: "Transaction",
    });
    expect(postedEnvelope("x12", "4", "not x12")).toEqual({ transactionId: "4" });
  });

  it("refuses a transaction too large for one pipeline message with 413, before enqueuing", async () => {
    const r = await h.call({
      method: "POST",
      path: "/v1/transactions",
      body: { station: "ACME", partner: "GLOBEX", transactionId: "big", transactionMessage: "é".repeat(200_000) },
    });
    expect(r).toMatchObject({ status: 413, body: { code: "TRANSACTION_TOO_LARGE" } });
    expect(sent()).toEqual([]);
  });

  it("answers 500 (and the client retries) when SQS refuses: nothing is claimed accepted", async () => {
    sqs.on(SendMessageCommand).rejects(new Error("throttled"));
    const r = await form({ transactionId: "5", transactionMessage: X12_ST }, { station: "ACME", partner: "GLOBEX" });
    expect(r).toMatchObject({ status: 500, body: { code: "INTERNAL" } });
  });
});
