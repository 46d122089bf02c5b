/**
 * Issue #11, "an owner until the end" and "version-exact moves": each case of the issue that lost
 * or duplicated a send, reproduced through the real handlers (s3rver + dynalite behind the wire
 * proxy), with crashes injected at the step boundary the issue names.
 */
import { S3Client, PutObjectCommand } from "@aws-sdk/client-s3";
import * as claims from "../../handlers/send/claims";
import { SendHarness, BUCKET, transferMdnKey } from "../send/harness";
import type { S3Wire } from "./s3-wire";

let h: SendHarness;
let wire: S3Wire;
let viaWire: S3Client;

class Crash extends Error {
  override readonly name = "Crash";
}

beforeAll(async () => {
  h = await SendHarness.start({ wire: true });
  wire = h.wire;
  viaWire = new S3Client({
    region: "eu-west-1",
    endpoint: wire.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
});
afterAll(async () => {
  viaWire.destroy();
  await h.stop();
});
beforeEach(() => {
  h.reset();
  jest.restoreAllMocks();
});

/** Uploads through the wire (so the played versions count it), then settles it at +16 s. */
async function upload(key: string, body: string) {
  await viaWire.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  const o = (await (await import("../../handlers/shared/s3-object")).headObject(h.aws.s3, BUCKET, key))!;
  h.at(o.lastModified!, 16);
  return o;
}

/** Makes `fn` of the claims module fail once, as if the function had stopped there. */
function crashOnce(fn: "recordStaged" | "recordStarted" | "recordRetryStarted"): void {
  const real = claims[fn] as unknown as (...a: unknown[]) => unknown;
  let done = false;
  const spy = jest.spyOn(claims as unknown as Record<string, (...a: unknown[]) => unknown>, fn);
  spy.mockImplementation((...args: unknown[]) => {
    if (done) return real(...args);
    done = true;
    return Promise.reject(new Crash(`stopped in ${String(fn)}`));
  });
}

function staged(call = 0): string {
  return h.transfers[call]!.SendFilePaths![0]!.slice(`/${BUCKET}/`.length);
}

async function deliverMdn(stagedKey: string, tid: string) {
  const mdn = transferMdnKey(stagedKey, tid);
  await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: mdn, Body: "MDN" }));
  const r = await h.result(
    h.transferEvent(
      "AS2 MDN Receive Completed",
      stagedKey,
      tid,
      { disposition: "automatic-action/MDN-sent-automatically; processed" },
      { "mdn-bucket": BUCKET, "mdn-key": `/${mdn}` },
    ),
  );
  expect(r.batchItemFailures).toEqual([]);
}

describe("an owner until the end (issue #11)", () => {
  it("a send that stops after staging is resumed by its own continuation (or by the repeated S3 event), once", async () => {
    const o = await upload("AS2/send/ACME/PARTNER/stops-after-staging.xml", "<a/>");
    const event = h.s3Event(o);
    crashOnce("recordStaged"); // the upload has left AS2/send/; the ledger has not recorded the staged file
    expect((await h.settle(event)).batchItemFailures).toHaveLength(1);
    expect(await h.keys("AS2/send/")).toEqual([]);
    expect(h.transfers).toHaveLength(0);

    // The continuation scheduled before the move resumes the claim.
    const cont = h.takeContinuations();
    expect(cont.length).toBeGreaterThanOrEqual(1);
    h.at(h.clock(), cont[0]!.delaySeconds);
    expect((await h.settle(cont[0]!.body)).batchItemFailures).toEqual([]);
    expect(h.transfers).toHaveLength(1);
    // SQS delivers the S3 event again (the same message): it names the claim's upload, whose claim is sent.
    expect((await h.settle(event)).batchItemFailures).toEqual([]);
    expect(h.transfers).toHaveLength(1);
    await deliverMdn(staged(), h.transferIds[0]!);
    expect(
      (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.endsWith("stops-after-staging.xml")),
    ).toHaveLength(1);
  });

  it("a crash after StartFileTransfer, before the transfer id is recorded, never sends the file twice", async () => {
    const o = await upload("AS2/send/ACME/PARTNER/crash-after-start.xml", "<b/>");
    crashOnce("recordStarted");
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toHaveLength(1);
    expect(h.transfers).toHaveLength(1);

    // Once the lease has run out, the continuation takes over: the intent says the call may have happened.
    const cont = h.takeContinuations();
    h.at(h.clock(), 301);
    for (const c of cont) expect((await h.settle(c.body)).batchItemFailures).toEqual([]);
    await h.drain();
    expect(h.transfers).toHaveLength(1);

    // Transfer's own result (found by the staged key) finishes it.
    await deliverMdn(staged(), h.transferIds[0]!);
    const out = await h.keys("AS2/files/ACME/PARTNER/outbox/");
    expect(out.filter((k) => k.endsWith("crash-after-start.xml"))).toHaveLength(1);
    expect(h.domainEvents().map((e) => e.eventType)).toEqual(["MESSAGE.SEND.SUCCESS"]);
  });

  it("a retry that stops after StartFileTransfer is not sent again when its message comes back", async () => {
    const o = await upload("AS2/send/ACME/PARTNER/retry-crash.xml", "<c/>");
    await h.settle(h.s3Event(o));
    const key = staged();
    // A transient failure schedules a retry.
    await h.result(
      h.transferEvent("AS2 Payload Send Failed", key, h.transferIds[0]!, {
        "failure-code": "HTTP_ERROR_RESPONSE_FROM_PARTNER",
        "failure-message": "503 Service Unavailable",
      }),
    );
    const [retry] = h.takeQueued();
    expect(retry!.body.kind).toBe("retry");
    h.at(h.clock(), retry!.delaySeconds);
    crashOnce("recordRetryStarted");
    expect((await h.settle(retry!.body)).batchItemFailures).toHaveLength(1);
    expect(h.transfers).toHaveLength(2);
    // SQS redelivers the retry after its visibility timeout (6 min > the 5 min lease).
    h.at(h.clock(), 361);
    expect((await h.settle(retry!.body)).batchItemFailures).toEqual([]);
    expect(h.transfers).toHaveLength(2);
    await deliverMdn(key, h.transferIds[1]!);
    expect((await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.endsWith("retry-crash.xml"))).toHaveLength(
      1,
    );
  });
});

describe("version-exact moves (issue #11)", () => {
  it("on a versioned bucket, the copy names the exact source version and the delete removes only that version", async () => {
    wire.versioned = true;
    const key = "AS2/send/ACME/PARTNER/versioned.xml";
    const o = await upload(key, "<v/>");
    const version = wire.currentVersion(key);
    wire.requests.length = 0;
    expect((await h.settle(h.s3Event({ ...o, versionId: version }))).batchItemFailures).toEqual([]);
    const copy = wire.requests.find((r) => r.op === "CopyObject")!;
    expect(copy.copySource).toMatch(new RegExp(`\\?versionId=${version}$`));
    expect(copy.ifNoneMatch).toBe("*");
    const del = wire.requests.find((r) => r.op === "DeleteObject" && r.key === key)!;
    expect(del.versionId).toBe(version);
    expect(del.ifMatch).toBeUndefined();
  });

  it("an identical re-upload during the move is a new message and is sent (not hidden by the delete)", async () => {
    wire.versioned = true;
    const key = "AS2/send/ACME/PARTNER/same-bytes.xml";
    const o = { ...(await upload(key, "<same/>")), versionId: wire.currentVersion(key) };
    // Between the verified copy and the delete, the user uploads the same bytes again.
    wire.hooks.push({
      when: (r) => r.op === "DeleteObject" && r.key === key,
      run: async () => {
        await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "<same/>" }));
        wire.bump(key);
      },
    });
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    expect(h.transfers).toHaveLength(1);
    expect(await h.keys("AS2/send/")).toEqual([key]); // the second upload survived
    const again = {
      ...(await (await import("../../handlers/shared/s3-object")).headObject(h.aws.s3, BUCKET, key))!,
      versionId: wire.currentVersion(key),
    };
    h.at(h.clock(), 16);
    expect((await h.settle(h.s3Event(again))).batchItemFailures).toEqual([]);
    expect(h.transfers).toHaveLength(2);
    expect(staged(1)).not.toBe(staged(0));
  });

  it("unversioned, the move is guarded by ETags: copy-source If-Match, destination If-None-Match, delete If-Match", async () => {
    const key = "AS2/send/ACME/PARTNER/unversioned.xml";
    const o = await upload(key, "<u/>");
    wire.requests.length = 0;
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    const copy = wire.requests.find((r) => r.op === "CopyObject")!;
    expect(copy.copySourceIfMatch).toBe(o.etag);
    expect(copy.ifNoneMatch).toBe("*");
    expect(wire.requests.find((r) => r.op === "DeleteObject" && r.key === key)!.ifMatch).toBe(o.etag);
  });
});
