/**
 * Transfer writes an MDN and a status file for every file it sends (`processed/` or `failed/` beside
 * the staged copy). Lifecycle never expires a current version there, so the send's end deletes them
 * with the staged copy, in the one DeleteObjects request that replaced the staged copy's
 * DeleteObject: real s3rver and dynalite behind the wire proxy, which shows what was asked.
 */
import { DeleteObjectsCommand, PutObjectCommand, type DeleteObjectsCommandOutput } from "@aws-sdk/client-s3";
import { s3Client } from "../../handlers/shared/clients";
import { getFile } from "../../handlers/send/claims";
import { isSidecarKey, mdnKey, recordKey } from "../../model/layout";
import { SendHarness, BUCKET } from "./harness";
import type { S3Wire, WireRequest } from "../reliability/s3-wire";

let h: SendHarness;
let wire: S3Wire;

beforeAll(async () => {
  h = await SendHarness.start({ wire: true });
  wire = h.wire;
});
afterAll(() => h.stop());
beforeEach(() => {
  h.reset();
  jest.restoreAllMocks();
});

const DISPOSITION = "automatic-action/MDN-sent-automatically; processed";
const UNAVAILABLE = {
  "failure-code": "HTTP_ERROR_RESPONSE_FROM_PARTNER",
  "failure-message": "http://p.example returned status 503",
};

/** Uploads, settles, and returns the staged key and the transfer id of its send. */
async function send(name: string, body: string, partner = "PARTNER"): Promise<{ staged: string; claimId: string }> {
  const o = await h.upload(`AS2/send/ACME/${partner}/${name}`, body);
  h.at(o.lastModified!, 16);
  expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  const staged = h.transfers.at(-1)!.SendFilePaths![0]!.slice(`/${BUCKET}/`.length);
  return { staged, claimId: staged.split("/").at(-2)! };
}

const dirOf = (key: string) => key.slice(0, key.lastIndexOf("/") + 1);

/**
 * What Transfer writes for one transfer of `staged` (`<parent>/processed|failed/name.<transferId>.<messageId>.ext.json|.mdn`,
 * DESIGN.md), written to s3rver directly as Transfer would, and the event's s3-attributes naming them.
 */
async function transferWrites(staged: string, tid: string, folder: "processed" | "failed", withMdn: boolean) {
  const name = staged.slice(dirOf(staged).length);
  const dot = name.lastIndexOf(".");
  const base = `${dirOf(staged)}${folder}/${name.slice(0, dot)}.${tid}.<${tid}+msg@acme>${name.slice(dot)}`;
  const status = `${base}.json`;
  const mdn = `${base}.mdn`;
  await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: status, Body: `{"transfer-id":"${tid}"}` }));
  if (withMdn) await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: mdn, Body: `MDN of ${tid}` }));
  const s3 = {
    "json-bucket": BUCKET,
    "json-key": `/${status}`,
    ...(withMdn ? { "mdn-bucket": BUCKET, "mdn-key": `/${mdn}` } : {}),
  };
  return { status, mdn, s3 };
}

const deletes = (): WireRequest[] => wire.requests.filter((r) => r.op === "DeleteObject" || r.op === "DeleteObjects");

/** Keys a DeleteObjects request named, sorted, with the version or ETag it was conditional on. */
const named = (r: WireRequest | undefined) => byKey(r?.objects ?? []);
const byKey = <T extends { key: string }>(xs: readonly T[]) => [...xs].sort((a, b) => a.key.localeCompare(b.key));

async function delivered(staged: string, tid: string) {
  const t = await transferWrites(staged, tid, "processed", true);
  const r = await h.result(
    h.transferEvent("AS2 MDN Receive Completed", staged, tid, { disposition: DISPOSITION }, t.s3),
  );
  return { ...t, failures: r.batchItemFailures };
}

describe("the end of a send deletes the staged copy and Transfer's files of the transfer in one request", () => {
  it("delivered: Transfer's MDN and status file are gone, outbox/ holds the payload, its MDN and the record", async () => {
    const { staged } = await send("ends well.edi", "delivered bytes");
    wire.reset();
    const t = await delivered(staged, h.transferIds[0]!);
    expect(t.failures).toEqual([]);

    expect(await h.keys(dirOf(staged))).toEqual([]);
    const out = (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.includes("ends well.edi"));
    const payload = out.find((k) => !isSidecarKey(k))!;
    expect(out.sort()).toEqual([payload, mdnKey(payload), recordKey(payload)].sort());
    expect(await h.text(payload)).toBe("delivered bytes");
    expect(await h.text(mdnKey(payload))).toBe(`MDN of ${h.transferIds[0]}`);
    expect(await h.json(recordKey(payload))).toMatchObject({ status: "delivered", transferId: h.transferIds[0] });

    // One request for the three: the staged copy (by key, as its DeleteObject was) and Transfer's two files.
    expect(deletes()).toEqual([expect.objectContaining({ op: "DeleteObjects", status: 200 })]);
    expect(named(deletes()[0])).toEqual(byKey([{ key: staged }, { key: t.status }, { key: t.mdn }]));
  });

  it("failed: Transfer's status file is gone, failed/ holds the payload and the record", async () => {
    const { staged } = await send("refused.dat", "failed bytes");
    const tid = h.transferIds[0]!;
    const t = await transferWrites(staged, tid, "failed", false);
    wire.reset();
    const r = await h.result(
      h.transferEvent(
        "AS2 Payload Send Failed",
        staged,
        tid,
        {
          "failure-code": "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
          "failure-message": "No public certificate matching message signature could be found",
        },
        t.s3,
      ),
    );
    expect(r.batchItemFailures).toEqual([]);

    expect(await h.keys(dirOf(staged))).toEqual([]);
    const failed = (await h.keys("AS2/files/ACME/PARTNER/failed/")).filter((k) => k.includes("refused.dat"));
    const payload = failed.find((k) => !isSidecarKey(k))!;
    expect(failed.sort()).toEqual([payload, recordKey(payload)].sort());
    expect(await h.text(payload)).toBe("failed bytes");
    expect(await h.json(recordKey(payload))).toMatchObject({
      status: "failed",
      failureCode: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
    });
    expect(deletes()).toEqual([expect.objectContaining({ op: "DeleteObjects", status: 200 })]);
    expect(named(deletes()[0])).toEqual(byKey([{ key: staged }, { key: t.status }]));
    expect(h.domainEvents()).toEqual([expect.objectContaining({ eventType: "MESSAGE.SEND.FAILED" })]);
  });

  it("retried: the earlier attempt's status file goes in the same request, recorded in the retry's ledger write", async () => {
    const { staged, claimId } = await send("second try.edi", "retried bytes");
    const t1 = h.transferIds[0]!;
    const first = await transferWrites(staged, t1, "failed", false);
    expect(
      (await h.result(h.transferEvent("AS2 Payload Send Failed", staged, t1, UNAVAILABLE, first.s3))).batchItemFailures,
    ).toEqual([]);
    expect(await getFile(claimId, "second try.edi")).toMatchObject({
      state: "retrying",
      earlierStatusKeys: [first.status],
    });
    await h.deliver(h.takeQueued());
    expect(h.transfers).toHaveLength(2);
    // Transfer's first status file stays while the file is open: the reconciler reads status files.
    expect(await h.keys(first.status)).toEqual([first.status]);

    wire.reset();
    const t = await delivered(staged, h.transferIds[1]!);
    expect(t.failures).toEqual([]);
    expect(await h.keys(dirOf(staged))).toEqual([]);
    expect(deletes()).toEqual([expect.objectContaining({ op: "DeleteObjects", status: 200 })]);
    expect(named(deletes()[0])).toEqual(
      byKey([{ key: staged }, { key: first.status }, { key: t.status }, { key: t.mdn }]),
    );
    const out = (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.endsWith("/second try.edi"));
    expect(await h.json(recordKey(out[0]!))).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("a key an event names outside the file's staging directory is never deleted", async () => {
    const { staged } = await send("elsewhere.edi", "x");
    const userFile = "AS2/send/ACME/PARTNER/not-transfers.json";
    await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: userFile, Body: "a user's file" }));
    wire.reset();
    const r = await h.result(
      h.transferEvent(
        "AS2 MDN Receive Completed",
        staged,
        h.transferIds[0]!,
        { disposition: DISPOSITION },
        {
          "json-bucket": BUCKET,
          "json-key": `/${userFile}`,
        },
      ),
    );
    expect(r.batchItemFailures).toEqual([]);
    expect(await h.text(userFile)).toBe("a user's file");
    expect(named(deletes()[0])).toEqual([{ key: staged }]);
    await h.aws.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: userFile }] } }));
  });
});

/**
 * Where Transfer writes a transfer's status file when the event does not say
 * (`<parent>/processed|failed/name.<transferId>.<messageId>.ext.json`, DESIGN.md), with the message id
 * the harness's events carry: written here as Transfer would, independently of the handlers' naming.
 */
async function unnamedStatus(staged: string, tid: string, folder: "processed" | "failed"): Promise<string> {
  const name = staged.slice(dirOf(staged).length);
  const dot = name.lastIndexOf(".");
  const key = `${dirOf(staged)}${folder}/${name.slice(0, dot)}.${tid}.${tid}-msg@acme${name.slice(dot)}.json`;
  await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `{"transfer-id":"${tid}"}` }));
  return key;
}

describe("Transfer's files no event names are gone too, in the same single request", () => {
  it("MDN NONE: Payload Send Completed names no status file; the one Transfer wrote is deleted by its ids", async () => {
    const { staged } = await send("no receipt.edi", "quick bytes", "QUICK");
    const tid = h.transferIds[0]!;
    const status = await unnamedStatus(staged, tid, "processed");
    wire.reset();
    const r = await h.result(
      h.transferEvent("AS2 Payload Send Completed", staged, tid, { "status-code": "PROCESSING" }),
    );
    expect(r.batchItemFailures).toEqual([]);

    expect(await h.keys(dirOf(staged))).toEqual([]);
    const out = (await h.keys("AS2/files/ACME/QUICK/outbox/")).filter((k) => k.includes("no receipt.edi"));
    const payload = out.find((k) => !isSidecarKey(k))!;
    expect(await h.json(recordKey(payload))).toMatchObject({ status: "delivered", transferId: tid });
    // Named, not listed: the staged copy and the delivered transfer's status file, nothing else.
    expect(wire.requests.filter((q) => q.op === "ListObjectsV2")).toEqual([]);
    expect(deletes()).toEqual([expect.objectContaining({ op: "DeleteObjects", status: 200 })]);
    expect(named(deletes()[0])).toEqual(byKey([{ key: staged }, { key: status }]));
  });

  it("an earlier attempt's failure without keys: its status file is named by its ids in the retry's write", async () => {
    const { staged, claimId } = await send("keyless.edi", "retried bytes");
    const t1 = h.transferIds[0]!;
    const first = await unnamedStatus(staged, t1, "failed");
    expect(
      (await h.result(h.transferEvent("AS2 Payload Send Failed", staged, t1, UNAVAILABLE))).batchItemFailures,
    ).toEqual([]);
    expect(await getFile(claimId, "keyless.edi")).toMatchObject({ state: "retrying", earlierStatusKeys: [first] });
    await h.deliver(h.takeQueued());
    wire.reset();
    const t = await delivered(staged, h.transferIds[1]!);
    expect(t.failures).toEqual([]);
    expect(await h.keys(dirOf(staged))).toEqual([]);
    expect(deletes()).toHaveLength(1);
    expect(named(deletes()[0])).toEqual(byKey([{ key: staged }, { key: first }, { key: t.status }, { key: t.mdn }]));
  });

  it("an earlier attempt's negative MDN is deleted at the end, its disposition kept in the record", async () => {
    const { staged, claimId } = await send("negative first.edi", "retried bytes");
    const t1 = h.transferIds[0]!;
    const first = await transferWrites(staged, t1, "failed", true);
    const negative = "automatic-action/MDN-sent-automatically; processed/error: unexpected-processing-error";
    const r1 = await h.result(
      h.transferEvent(
        "AS2 MDN Receive Failed",
        staged,
        t1,
        {
          "failure-code": "MDN_RESPONSE_INDICATES_UNEXPECTED_PROCESSING_ERROR",
          "failure-message": "The partner's MDN indicates an unexpected processing error",
          disposition: negative,
        },
        first.s3,
      ),
    );
    expect(r1.batchItemFailures).toEqual([]);
    // Recorded in the retry's one ledger write, with the attempt's status file.
    expect(await getFile(claimId, "negative first.edi")).toMatchObject({
      state: "retrying",
      earlierStatusKeys: [first.status],
      earlierMdnKeys: [first.mdn],
    });
    // While the file is open, Transfer's files of the failed attempt stay.
    expect((await h.keys(dirOf(staged))).sort()).toEqual([staged, first.mdn, first.status].sort());
    await h.deliver(h.takeQueued());

    wire.reset();
    const t = await delivered(staged, h.transferIds[1]!);
    expect(t.failures).toEqual([]);
    expect(await h.keys(dirOf(staged))).toEqual([]);
    expect(deletes()).toHaveLength(1);
    expect(named(deletes()[0])).toEqual(
      byKey([{ key: staged }, { key: first.status }, { key: first.mdn }, { key: t.status }, { key: t.mdn }]),
    );
    const out = (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.endsWith("/negative first.edi"));
    const record = await h.json(recordKey(out[0]!));
    expect(record).toMatchObject({
      status: "delivered",
      attempts: 2,
      failureCode: "MDN_RESPONSE_INDICATES_UNEXPECTED_PROCESSING_ERROR",
      mdn: { disposition: DISPOSITION },
    });
    expect(record.failureMessage).toContain(negative);
    // The MDN beside the payload is the deciding attempt's, never the earlier negative one.
    expect(await h.text(mdnKey(out[0]!))).toBe(`MDN of ${h.transferIds[1]}`);
  });

  it("an upload refused before any transfer: no Transfer files, no DeleteObjects, only the upload's own delete", async () => {
    const o = await h.upload("AS2/send/ACME/NOBODY/unknown partner.edi", "refused");
    h.at(o.lastModified!, 16);
    wire.reset();
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    expect(h.transfers).toEqual([]);
    const failed = (await h.keys("AS2/files/ACME/NOBODY/failed/")).filter((k) => k.includes("unknown partner.edi"));
    expect(failed).toHaveLength(2);
    expect(wire.requests.filter((q) => q.key.startsWith("_gateway/outbound/"))).toEqual([]);
    expect(deletes()).toEqual([
      expect.objectContaining({ op: "DeleteObject", key: "AS2/send/ACME/NOBODY/unknown partner.edi", status: 204 }),
    ]);
  });
});

describe("what S3 does not delete (DeleteObjects answers 200 with per-key Errors)", () => {
  /** The next DeleteObjects leaves `failing` in place and reports it in Errors, as S3 does (e.g. AccessDenied). */
  function leaveInPlace(failing: (key: string) => boolean, times = 1): void {
    const s3 = s3Client();
    const original = s3.send.bind(s3);
    const deleteObjects = original as (c: DeleteObjectsCommand) => Promise<DeleteObjectsCommandOutput>;
    let left = times;
    jest.spyOn(s3, "send").mockImplementation((async (cmd: unknown) => {
      if (!(cmd instanceof DeleteObjectsCommand) || left === 0) return original(cmd as never);
      left--;
      const objects = cmd.input.Delete?.Objects ?? [];
      const kept = objects.filter((o) => failing(o.Key!));
      const rest = objects.filter((o) => !failing(o.Key!));
      const r: DeleteObjectsCommandOutput = rest.length
        ? await deleteObjects(
            new DeleteObjectsCommand({ ...cmd.input, Delete: { ...cmd.input.Delete, Objects: rest } }),
          )
        : { $metadata: { httpStatusCode: 200 } };
      return {
        ...r,
        Errors: [
          ...(r.Errors ?? []),
          ...kept.map((o) => ({ Key: o.Key, Code: "AccessDenied", Message: "Access Denied" })),
        ],
      };
    }) as never);
  }

  it("Transfer's files left in place neither fail nor repeat the send", async () => {
    const { staged } = await send("kept mdn.edi", "y");
    leaveInPlace((k) => k.endsWith(".mdn"));
    const t = await delivered(staged, h.transferIds[0]!);
    expect(t.failures).toEqual([]);
    expect(await h.keys(dirOf(staged))).toEqual([t.mdn]);
    expect(h.domainEvents()).toEqual([expect.objectContaining({ eventType: "MESSAGE.SEND.SUCCESS" })]);
    // The same event again: the file has ended, nothing is copied, deleted or published again.
    wire.reset();
    const again = await h.result(
      h.transferEvent("AS2 MDN Receive Completed", staged, h.transferIds[0]!, { disposition: DISPOSITION }, t.s3),
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(deletes()).toEqual([]);
    expect(h.domainEvents()).toHaveLength(1);
    await h.aws.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: t.mdn }] } }));
  });

  it("a staged copy left in place fails the delivery as its DeleteObject did; the next one finishes with the MDN", async () => {
    const { staged, claimId } = await send("kept staged.edi", "z");
    leaveInPlace((k) => k === staged);
    const t = await delivered(staged, h.transferIds[0]!);
    expect(t.failures).toHaveLength(1);
    // Transfer's files went (their copies are in outbox/); the staged copy and its owner stay.
    expect(await h.keys(dirOf(staged))).toEqual([staged]);
    expect(await getFile(claimId, "kept staged.edi")).toMatchObject({ state: "delivering" });
    expect(h.domainEvents()).toEqual([]);

    // SQS delivers the event again: the file ends, its MDN (copied the first time) in the record and event.
    const again = await h.result(
      h.transferEvent("AS2 MDN Receive Completed", staged, h.transferIds[0]!, { disposition: DISPOSITION }, t.s3),
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(await h.keys(dirOf(staged))).toEqual([]);
    const out = (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.endsWith("/kept staged.edi"));
    expect(out).toHaveLength(1);
    expect(await h.json(recordKey(out[0]!))).toMatchObject({ status: "delivered", mdnKey: mdnKey(out[0]!) });
    expect(h.domainEvents()).toEqual([
      expect.objectContaining({
        eventType: "MESSAGE.SEND.SUCCESS",
        mdn: expect.objectContaining({ key: mdnKey(out[0]!) }),
      }),
    ]);
    expect(await getFile(claimId, "kept staged.edi")).toMatchObject({ state: "delivered", mdnKey: mdnKey(out[0]!) });
  });
});
