/**
 * The send path with the REST API declared (MESSAGE_INDEX_TABLE set): each transition writes the
 * message index in the same request as the ledger (no extra DynamoDB request per message), a
 * transient failure shows `retrying` with its code, and an index that already holds a later state
 * neither moves back nor stops the pipeline.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createIndexTable } from "../api/index-table";
import { writeTransition } from "../../handlers/api/index-transitions";
import * as ledger from "../../handlers/shared/ledger";
import { outboundMessageId } from "../../model/api/ids";
import type { IndexItem } from "../../model/api/index-model";
import { SendHarness, BUCKET, transferMdnKey } from "./harness";

const INDEX = "as2-acme-messages";
const DISPOSITION = "automatic-action/MDN-sent-automatically; processed";
let h: SendHarness;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  h = await SendHarness.start();
  doc = await createIndexTable(h.aws.ddb, INDEX);
  process.env.MESSAGE_INDEX_TABLE = INDEX;
});
afterAll(async () => {
  delete process.env.MESSAGE_INDEX_TABLE;
  await h.stop();
});
beforeEach(() => h.reset());

async function indexItems(): Promise<IndexItem[]> {
  const r = await doc.send(new ScanCommand({ TableName: INDEX, ConsistentRead: true }));
  return (r.Items ?? []) as IndexItem[];
}
async function indexItem(id: string): Promise<IndexItem | undefined> {
  return (await indexItems()).find((i) => i.pk === id);
}

/** DynamoDB requests the handlers make while `fn` runs, by operation (the ledger's and the index's clients). */
async function dynamoRequests(fn: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(DynamoDBClient.prototype, "send");
  try {
    await fn();
    return spy.mock.calls.map((c) => (c[0] as object).constructor.name.replace(/Command$/, ""));
  } finally {
    spy.mockRestore();
  }
}

function stagedKey(call = h.transfers.length - 1): string {
  return h.transfers[call]!.SendFilePaths![0]!.slice(`/${BUCKET}/`.length);
}

async function mdnReceived(staged: string, tid: string) {
  const mdn = transferMdnKey(staged, tid);
  await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: mdn, Body: "MDN" }));
  const r = await h.result(
    h.transferEvent(
      "AS2 MDN Receive Completed",
      staged,
      tid,
      { disposition: DISPOSITION },
      { "mdn-bucket": BUCKET, "mdn-key": `/${mdn}` },
    ),
  );
  expect(r.batchItemFailures).toEqual([]);
}

it("queued, sending and sent ride on the ledger's own transactions: at most 8 DynamoDB requests per sent message", async () => {
  const key = "AS2/send/ACME/PARTNER/indexed.edi";
  const o = await h.upload(key, "indexed");
  const id = outboundMessageId(BUCKET, key, `e:${o.etag.replace(/"/g, "")}`);
  h.at(o.lastModified!, 16);
  const requests = await dynamoRequests(async () => {
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    expect(await indexItem(id)).toMatchObject({ state: "sending", attempts: 1, uploadKey: key });
    const staged = stagedKey();
    await h.result(h.transferEvent("AS2 Payload Send Completed", staged, h.transferIds[0]!));
    await mdnReceived(staged, h.transferIds[0]!);
  });
  // The test's own two scans of the index are not the pipeline's.
  const pipeline = requests.filter((r) => r !== "Scan");
  // As without the API (bench, move.dynamodb): the index adds no request of its own.
  expect(pipeline.length).toBeLessThanOrEqual(8);
  const item = await indexItem(id);
  expect(item).toMatchObject({ state: "sent", mdn: { disposition: DISPOSITION } });
  expect(item?.files?.[0]?.key).toMatch(/^AS2\/files\/ACME\/PARTNER\/outbox\//);
  expect(item?.recordKey).toBe(`${item?.files?.[0]?.key?.replace(/\/([^/]+)$/, "/_as2/$1")}.json`);
});

it("a transient failure shows retrying with its code, then sending and sent; late events never move it back", async () => {
  const key = "AS2/send/ACME/PARTNER/flaky.edi";
  const o = await h.upload(key, "flaky");
  const id = outboundMessageId(BUCKET, key, `e:${o.etag.replace(/"/g, "")}`);
  h.at(o.lastModified!, 16);
  await h.settle(h.s3Event(o));
  const staged = stagedKey();
  const failure = {
    "failure-code": "HTTP_ERROR_RESPONSE_FROM_PARTNER",
    "failure-message": "http://p.example returned status 503",
  };
  await h.result(h.transferEvent("AS2 Payload Send Failed", staged, h.transferIds[0]!, failure));
  expect(await indexItem(id)).toMatchObject({
    state: "retrying",
    failureCode: "HTTP_ERROR_RESPONSE_FROM_PARTNER",
    failureReason: "http://p.example returned status 503",
    attempts: 1,
  });
  await h.deliver(h.takeQueued());
  const sending = await indexItem(id);
  expect(sending).toMatchObject({ state: "sending", attempts: 2 });
  expect(sending?.failureCode).toBeUndefined();
  // The first attempt's failure again, late: the ledger refuses it, so does the index.
  await h.result(h.transferEvent("AS2 Payload Send Failed", staged, h.transferIds[0]!, failure));
  expect((await indexItem(id))?.state).toBe("sending");
  await mdnReceived(staged, h.transferIds[1]!);
  expect(await indexItem(id)).toMatchObject({ state: "sent", attempts: 2 });
  expect((await indexItems()).filter((i) => i.pk === id)).toHaveLength(1);
});

it("an index already ahead (a reindex, the API) refuses the pipeline's earlier states without stopping the send", async () => {
  const key = "AS2/send/ACME/QUICK/ahead.edi";
  const o = await h.upload(key, "ahead");
  const id = outboundMessageId(BUCKET, key, `e:${o.etag.replace(/"/g, "")}`);
  const later = new Date(o.lastModified!.getTime() + 3600_000).toISOString();
  await writeTransition(
    { id, direction: "outbound", station: "ACME", partner: "QUICK", test: false, state: "failed", at: later },
    { table: INDEX },
  );
  h.at(o.lastModified!, 16);
  expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  // Claimed, staged and sent although the index refused `queued` and `sending`.
  expect(h.transfers).toHaveLength(1);
  expect((await indexItem(id))?.state).toBe("failed");
  await h.result(h.transferEvent("AS2 Payload Send Completed", stagedKey(), h.transferIds[0]!));
  expect(await h.keys("AS2/files/ACME/QUICK/outbox/")).toHaveLength(2); // payload and record
  // `sent` ranks with `failed`, and its time is earlier: the index keeps what it had.
  expect((await indexItem(id))?.state).toBe("failed");
});

it("a refused upload is indexed as failed with the reason", async () => {
  const key = "AS2/send/ACME/NOBODY/lost.edi";
  const o = await h.upload(key, "lost");
  const id = outboundMessageId(BUCKET, key, `e:${o.etag.replace(/"/g, "")}`);
  h.at(o.lastModified!, 16);
  expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  expect(await indexItem(id)).toMatchObject({ state: "failed", failureCode: "UNKNOWN_PARTNER", partner: "NOBODY" });
});

it("a transaction with the index that fails or is cancelled without a ledger reason is written without it", async () => {
  const key = "AS2/send/ACME/QUICK/unlucky.edi";
  const o = await h.upload(key, "unlucky");
  const id = outboundMessageId(BUCKET, key, `e:${o.etag.replace(/"/g, "")}`);
  const spy = jest.spyOn(ledger, "transactOrReasons");
  // The claim's transaction errs (the index table unreachable); StartFileTransfer's is cancelled
  // for the index alone (a conflict on its item): the ledger goes on, the index is written apart.
  spy.mockRejectedValueOnce(new Error("index table unavailable"));
  spy.mockResolvedValueOnce(["None", "None", "None", "TransactionConflict"]);
  try {
    h.at(o.lastModified!, 16);
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  } finally {
    spy.mockRestore();
  }
  expect(h.transfers).toHaveLength(1);
  expect(await indexItem(id)).toMatchObject({ state: "sending", attempts: 1 });
  await h.result(h.transferEvent("AS2 Payload Send Completed", stagedKey(), h.transferIds[0]!));
  expect((await indexItem(id))?.state).toBe("sent");
});
