/**
 * Files that fail before they are sent are handed by the settle function to the result function
 * (a `finish` message on the results queue, handlers/send/hand-off.ts). The hand-off must not lose
 * work: lost, the reconciler finishes the file; duplicated, even concurrently, it ends once, and
 * the duplicates that lose the race end quietly (no redelivery for nothing). S3 goes through the
 * wire proxy (test/reliability/s3-wire.ts), which enforces the conditional requests s3rver ignores:
 * without it a losing copy overwrites the winner's, which S3 refuses (If-None-Match).
 */
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createIndexTable } from "../api/index-table";
import { handler as reconcileHandler } from "../../handlers/send/reconcile";
import { RESULT_GRACE_SECONDS } from "../../handlers/shared/open-work";
import * as claims from "../../handlers/send/claims";
import { getFile } from "../../handlers/send/claims";
import { logger } from "../../handlers/shared/logger";
import type { S3Wire } from "../reliability/s3-wire";
import { isSidecarKey, mdnKey, recordKey } from "../../model/layout";
import { outboundMessageId } from "../../model/api/ids";
import type { IndexItem } from "../../model/api/index-model";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import * as s3Object from "../../handlers/shared/s3-object";
import { SendHarness, BUCKET, transferMdnKey } from "./harness";

const INDEX = "as2-acme-handoff-messages";
let h: SendHarness;
let doc: DynamoDBDocumentClient;
let wire: S3Wire;
const write = jest.spyOn(process.stdout, "write");
/** What the SQS batch helper logs for each message it asks SQS to deliver again. */
const errors = jest.spyOn(logger, "error");

beforeAll(async () => {
  h = await SendHarness.start({ wire: true });
  wire = h.wire;
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
  errors.mockClear();
});
afterEach(() => write.mockReset());

const toFailed = (name: string) => (r: { op: string; key: string }) =>
  r.op === "CopyObject" && r.key.startsWith("AS2/files/ACME/NOBODY/failed/") && r.key.endsWith(`/${name}`);
/** S3 refusing the copy to failed/ more times than the SDK retries it. */
const copyFails = (name: string) => ({ when: toFailed(name), status: 503, code: "SlowDown", times: 5 });

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

  it("delivered four times at once and twice in one batch: all end in one round, one payload, one record, one event", async () => {
    const { key, id, handOff } = await refusedUpload("twice.edi");
    const results = await Promise.all([
      h.result(handOff),
      h.result(handOff),
      h.result(handOff),
      h.result(handOff),
      h.result(handOff, handOff),
    ]);
    // The duplicates that lose the race end without an error: none is delivered again.
    expect(results.map((r) => r.batchItemFailures)).toEqual([[], [], [], [], []]);
    expect(errors).not.toHaveBeenCalled();
    await expectFinished(key, id, String(handOff.claimId), "twice.edi");
    // Only one copy reached failed/: the others met the winner's (If-None-Match), none replaced it.
    expect(wire.requests.filter((r) => toFailed("twice.edi")(r) && r.status === 200)).toHaveLength(1);
    // Later again (a redelivery): nothing more.
    expect((await h.result(handOff)).batchItemFailures).toEqual([]);
    await expectFinished(key, id, String(handOff.claimId), "twice.edi");
  });

  it("a duplicate that fails on a step the winner already took ends quietly once the file has ended", async () => {
    const { key, id, handOff } = await refusedUpload("loser.edi");
    // The loser reads the file while it is still failing; the winner then finishes it entirely,
    // and the loser's copy meets a failing S3 (as a copy racing the winner's can).
    const real = claims.getFile;
    const spy = jest.spyOn(claims, "getFile").mockImplementationOnce(async (claimId, fileName) => {
      spy.mockRestore();
      const stale = await real(claimId, fileName);
      expect((await h.result(handOff)).batchItemFailures).toEqual([]);
      wire.faults.push(copyFails("loser.edi"));
      return stale;
    });
    expect((await h.result(handOff)).batchItemFailures).toEqual([]);
    spy.mockRestore();
    expect(wire.faults[0]?.times).toBeLessThan(5); // the loser did meet the failure
    wire.faults.length = 0;
    expect(errors).not.toHaveBeenCalled();
    await expectFinished(key, id, String(handOff.claimId), "loser.edi");
  });

  it("a copy that does not match is never excused, even once the file has ended", async () => {
    const { key, handOff } = await refusedUpload("mismatch.edi");
    const real = claims.getFile;
    const check = jest.spyOn(s3Object, "copyIsSource");
    const spy = jest.spyOn(claims, "getFile").mockImplementationOnce(async (claimId, fileName) => {
      spy.mockRestore();
      const stale = await real(claimId, fileName);
      expect((await h.result(handOff)).batchItemFailures).toEqual([]);
      // Then the ended payload is moved away from failed/ and the same name uploaded again: the
      // loser's copy goes through, and S3's answer is not the claimed object.
      const [payload] = await failedKeys("mismatch.edi");
      await h.aws.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: payload }));
      await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "payload of mismatch.edi" }));
      check.mockReturnValueOnce(false);
      return stale;
    });
    expect((await h.result(handOff)).batchItemFailures).toHaveLength(1);
    spy.mockRestore();
    check.mockRestore();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(await getFile(String(handOff.claimId), "mismatch.edi")).toMatchObject({ state: "failed" });
    // The upload that came back is kept (no delete after a copy that does not match).
    expect(await h.keys("AS2/send/")).toEqual([key]);
    await h.aws.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  it("the same failure while the file has not ended is not excused: SQS delivers it again", async () => {
    const { key, id, handOff } = await refusedUpload("alone.edi");
    wire.faults.push(copyFails("alone.edi"));
    expect((await h.result(handOff)).batchItemFailures).toHaveLength(1);
    wire.faults.length = 0;
    expect(await getFile(String(handOff.claimId), "alone.edi")).toMatchObject({ state: "failing" });
    expect(await h.keys("AS2/send/")).toEqual([key]);
    expect((await h.result(handOff)).batchItemFailures).toEqual([]);
    await expectFinished(key, id, String(handOff.claimId), "alone.edi");
  });

  it("a redelivered settle message hands the decided file off again (its first hand-off may be the lost one)", async () => {
    const { key, id, handOff, event } = await refusedUpload("again.edi");
    expect((await h.settle(event)).batchItemFailures).toEqual([]);
    expect(h.takeHandedOff()).toEqual([handOff]);
    expect((await h.result(handOff)).batchItemFailures).toEqual([]);
    await expectFinished(key, id, String(handOff.claimId), "again.edi");
  });

  it("the result path too: one Transfer result delivered five times at once ends in one round, once", async () => {
    const name = "dup-result.xml";
    const o = await h.upload(`AS2/send/ACME/PARTNER/${name}`, "<dup/>");
    h.at(o.lastModified!, 16);
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    const staged = h.transfers.at(-1)!.SendFilePaths![0]!.slice(`/${BUCKET}/`.length);
    const tid = h.transferIds.at(-1)!;
    const mdn = transferMdnKey(staged, tid);
    await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: mdn, Body: "MDN bytes" }));
    const event = h.transferEvent(
      "AS2 MDN Receive Completed",
      staged,
      tid,
      { disposition: "automatic-action/MDN-sent-automatically; processed" },
      { "mdn-bucket": BUCKET, "mdn-key": `/${mdn}` },
    );
    const results = await Promise.all([h.result(event), h.result(event), h.result(event), h.result(event, event)]);
    expect(results.map((r) => r.batchItemFailures)).toEqual([[], [], [], []]);
    expect(errors).not.toHaveBeenCalled();
    const out = (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.includes(name));
    const payload = out.find((k) => !isSidecarKey(k))!;
    expect(out.sort()).toEqual([payload, mdnKey(payload), recordKey(payload)].sort());
    expect(await h.text(payload)).toBe("<dup/>");
    const toOutbox = wire.requests.filter((r) => r.op === "CopyObject" && r.key === payload && r.status === 200);
    expect(toOutbox).toHaveLength(1);
    const events = h.domainEvents().filter((e) => e.eventType === "MESSAGE.SEND.SUCCESS");
    expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
    expect(await h.keys(staged)).toEqual([]);
  });
});
