/**
 * Files that fail before they are sent are handed by the settle function to the result function
 * (a `finish` message on the results queue, handlers/send/hand-off.ts). The hand-off must not lose
 * work: lost, the reconciler finishes the file; duplicated, even concurrently, it ends once.
 */
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createIndexTable } from "../api/index-table";
import { handler as reconcileHandler } from "../../handlers/send/reconcile";
import { RESULT_GRACE_SECONDS } from "../../handlers/shared/open-work";
import { getFile } from "../../handlers/send/claims";
import { isSidecarKey, recordKey } from "../../model/layout";
import { outboundMessageId } from "../../model/api/ids";
import type { IndexItem } from "../../model/api/index-model";
import { SendHarness, BUCKET } from "./harness";

const INDEX = "as2-acme-handoff-messages";
let h: SendHarness;
let doc: DynamoDBDocumentClient;
const write = jest.spyOn(process.stdout, "write");

beforeAll(async () => {
  h = await SendHarness.start();
  doc = await createIndexTable(h.aws.ddb, INDEX);
  process.env.MESSAGE_INDEX_TABLE = INDEX;
});
afterAll(async () => {
  delete process.env.MESSAGE_INDEX_TABLE;
  await h.stop();
});
beforeEach(() => {
  h.reset();
  write.mockImplementation(() => true); // the reconciler's metric lines
});
afterEach(() => write.mockReset());

async function indexItem(id: string): Promise<IndexItem | undefined> {
  const r = await doc.send(new ScanCommand({ TableName: INDEX, ConsistentRead: true }));
  return ((r.Items ?? []) as IndexItem[]).find((i) => i.pk === id);
}

/** An upload for a partner the station does not have, settled with its hand-off kept back. */
async function refusedUpload(name: string) {
  const key = `AS2/send/ACME/NOBODY/${name}`;
  const o = await h.upload(key, `payload of ${name}`);
  h.deliverHandOffs = false;
  h.at(o.lastModified!, 16);
  expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  const handOffs = h.takeHandedOff();
  expect(handOffs).toEqual([{ kind: "finish", claimId: expect.any(String), fileName: name }]);
  const id = outboundMessageId(BUCKET, key, `e:${o.etag.replace(/"/g, "")}`);
  return { key, id, handOff: handOffs[0]!, event: h.s3Event(o) };
}

/** The file's payload and record in failed/, payload first (other tests' files are left out). */
async function failedKeys(name: string): Promise<string[]> {
  return (await h.keys("AS2/files/ACME/NOBODY/failed/"))
    .filter((k) => k.includes(`/${name}`))
    .sort((a, b) => Number(isSidecarKey(a)) - Number(isSidecarKey(b)));
}

async function expectFinished(key: string, id: string, claimId: string, fileName: string) {
  expect(await h.keys("AS2/send/")).toEqual([]);
  const failed = await failedKeys(fileName);
  expect(failed).toHaveLength(2);
  expect(failed[1]).toBe(recordKey(failed[0]!));
  expect(await h.text(failed[0]!)).toBe(`payload of ${fileName}`);
  expect(await h.json(failed[1]!)).toMatchObject({
    status: "failed",
    failureCode: "UNKNOWN_PARTNER",
    uploadedKey: key,
  });
  const events = h.domainEvents().filter((e) => e.messageId === claimId);
  expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
  expect(events[0]).toMatchObject({
    eventType: "MESSAGE.SEND.FAILED",
    failureCode: "UNKNOWN_PARTNER",
    messageId: claimId,
  });
  expect(await getFile(claimId, fileName)).toMatchObject({ state: "failed", outcomeKey: failed[0] });
  expect(await indexItem(id)).toMatchObject({ state: "failed", failureCode: "UNKNOWN_PARTNER" });
}

describe("the hand-off of a file that fails before it is sent", () => {
  it("until the result function finishes it, the ledger owns it (failing, open work) and the upload stays", async () => {
    const { key, handOff } = await refusedUpload("owned.edi");
    const file = await getFile(String(handOff.claimId), "owned.edi");
    expect(file).toMatchObject({ state: "failing", failureCode: "UNKNOWN_PARTNER", openKind: "send-file" });
    expect(await h.keys("AS2/send/")).toEqual([key]);
    expect(await failedKeys("owned.edi")).toEqual([]);
    expect(h.domainEvents()).toEqual([]);
  });

  it("lost (never delivered): the reconciler finishes it past its grace time", async () => {
    const { key, id, handOff } = await refusedUpload("lost.edi");
    expect((await reconcileHandler({})).finishedFromStatus).toBe(0); // within the grace time: left to the hand-off
    expect(await failedKeys("lost.edi")).toEqual([]);
    h.at(h.clock(), RESULT_GRACE_SECONDS + 1);
    await reconcileHandler({});
    await expectFinished(key, id, String(handOff.claimId), "lost.edi");
  });

  it("delivered twice at once and twice in one batch: one payload, one record, one event", async () => {
    const { key, id, handOff } = await refusedUpload("twice.edi");
    const results = await Promise.all([h.result(handOff), h.result(handOff), h.result(handOff, handOff)]);
    // A copy that loses the race to a concurrent one may ask SQS for another delivery (seen once in
    // ~5 full runs): SQS gives it, and it must then end without doing anything twice.
    let again = results.reduce((n, r) => n + r.batchItemFailures.length, 0);
    expect(again).toBeLessThan(4);
    for (let round = 0; again > 0 && round < 3; round++)
      again = (await h.result(...Array.from({ length: again }, () => handOff))).batchItemFailures.length;
    expect(again).toBe(0);
    await expectFinished(key, id, String(handOff.claimId), "twice.edi");
    // Later again (a redelivery): nothing more.
    expect((await h.result(handOff)).batchItemFailures).toEqual([]);
    await expectFinished(key, id, String(handOff.claimId), "twice.edi");
  });

  it("a redelivered settle message hands the decided file off again (its first hand-off may be the lost one)", async () => {
    const { key, id, handOff, event } = await refusedUpload("again.edi");
    expect((await h.settle(event)).batchItemFailures).toEqual([]);
    expect(h.takeHandedOff()).toEqual([handOff]);
    expect((await h.result(handOff)).batchItemFailures).toEqual([]);
    await expectFinished(key, id, String(handOff.claimId), "again.edi");
  });
});
