/**
 * The conservation matrix (issue #11): for every step boundary of a send, the function stops there
 * (an exception at that point, or S3 failing that request), then SQS delivers the event again three
 * times at once, the claim's continuation and the queue run, Transfer's result arrives (once, then
 * three times at once), and the reconciler runs. After each run one check over the whole bucket:
 * the upload is exactly once in outbox/ with its content, nothing is left in AS2/send/ or staging,
 * it was sent once, no routed key was written twice, and every domain event points at a key
 * holding this message.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import * as claims from "../../handlers/send/claims";
import { handler as reconcileHandler } from "../../handlers/send/reconcile";
import { isSidecarKey } from "../../model/layout";
import { BUCKET, transferMdnKey } from "../send/harness";
import { crashIn as crashInModule, expectNoOverwrite, routed, s3Fails as s3FailsIn, useMatrix } from "./matrix";
import type { WireRequest } from "./s3-wire";
import { expectIndexAgreesWithBucket, useIndex } from "./index-agreement";

const m = useMatrix("as2gateway");
// With the REST API declared: the message index must agree with the bucket after every run.
const index = useIndex(m);

function crashIn(fn: "openClaim" | "recordStaged" | "recordStarted"): () => void {
  return () => crashInModule(claims, fn)();
}

function s3Fails(when: (r: WireRequest) => boolean): () => void {
  return () => s3FailsIn(m, when)();
}

const staging = (k: string) => k.startsWith("_gateway/outbound/") && !/\/(processed|failed)\//.test(k);

const BOUNDARIES: ReadonlyArray<readonly [string, () => void]> = [
  // The claim and the ownership of its upload are one transaction: no boundary between them.
  ["before the claim and the ownership of the upload are recorded", crashIn("openClaim")],
  ["during the copy to staging", s3Fails((r) => r.op === "CopyObject" && staging(r.key))],
  [
    "after the copy, before the upload is deleted",
    s3Fails((r) => r.op === "DeleteObject" && r.key.startsWith("AS2/send/")),
  ],
  ["after staging, before the staged file (with the send's intent) is recorded", crashIn("recordStaged")],
  ["after StartFileTransfer, before its transfer id is recorded", crashIn("recordStarted")],
  ["during the copy to outbox/", s3Fails((r) => r.op === "CopyObject" && routed(r.key) && !isSidecarKey(r.key))],
  ["after the payload copy, before the MDN copy", s3Fails((r) => r.op === "CopyObject" && isSidecarKey(r.key))],
  ["after the MDN, before the record", s3Fails((r) => r.op === "PutObject" && routed(r.key))],
  [
    "after the record, before the staged file is deleted",
    s3Fails((r) => r.op === "DeleteObjects" && (r.objects ?? []).some((o) => staging(o.key))),
  ],
  [
    "before the domain event is published",
    () => m.h.eventBridge.on(PutEventsCommand).rejectsOnce(new Error("EventBridge unavailable")),
  ],
];

async function mdnEvent(staged: string, tid: string) {
  const { h } = m;
  const mdn = transferMdnKey(staged, tid);
  await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: mdn, Body: `MDN of ${tid}` }));
  return h.transferEvent(
    "AS2 MDN Receive Completed",
    staged,
    tid,
    { disposition: "automatic-action/MDN-sent-automatically; processed" },
    { "mdn-bucket": BUCKET, "mdn-key": `/${mdn}` },
  );
}

it.each(BOUNDARIES.map(([name, arm], i) => [name, arm, i] as const))(
  "a send stopped %s is finished exactly once",
  async (_name, arm, i) => {
    const { h, wire } = m;
    const name = `invoice-${i}.edi`;
    const body = `conserved message ${i}`;
    const key = `AS2/send/ACME/PARTNER/${name}`;
    // Another message of the same name is already in outbox/: names must not collide either.
    await h.aws.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `as2gateway/ACME/PARTNER/outbox/${name}`, Body: "an older message" }),
    );
    await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    wire.bump(key);
    // The bucket is versioned: its S3 event names the version.
    const o = {
      ...(await (await import("../../handlers/shared/s3-object")).headObject(h.aws.s3, BUCKET, key))!,
      versionId: wire.currentVersion(key),
    };
    h.at(o.lastModified!, 16);
    arm();

    // First delivery (may stop at the boundary), then SQS delivers the event again, three at once.
    let stopped = (await h.settle(h.s3Event(o))).batchItemFailures.length;
    await Promise.all([1, 2, 3].map(() => h.settle(h.s3Event(o))));
    // Once every lease has run out: the claim's continuation and whatever the queue holds.
    h.at(h.clock(), 301);
    for (const c of h.takeContinuations()) await h.settle(c.body);
    await h.drain();

    // Transfer answers each transfer it was asked for: once, then the same event three times at once.
    for (const [n, t] of h.transfers.entries()) {
      const staged = t.SendFilePaths![0]!.slice(`/${BUCKET}/`.length);
      const ev = await mdnEvent(staged, h.transferIds[n]!);
      stopped += (await h.result(ev)).batchItemFailures.length;
      await Promise.all([1, 2, 3].map(() => h.result(ev)));
    }
    // Later, the reconciler.
    h.at(h.clock(), 20 * 60);
    await reconcileHandler({});
    await h.drain();

    // ---- the run did stop at the boundary (the test can fail)
    expect(stopped).toBeGreaterThan(0);
    // ---- one check over the whole bucket
    const all = await h.keys("");
    expect(all.filter((k) => k.startsWith("AS2/send/"))).toEqual([]);
    expect(all.filter(staging)).toEqual([]);
    expect(h.transfers).toHaveLength(1);
    const payloads = all.filter((k) => routed(k) && !isSidecarKey(k));
    const mine: string[] = [];
    for (const p of payloads) if ((await h.text(p)) === body) mine.push(p);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/\/outbox\//);
    expect(await h.text(`as2gateway/ACME/PARTNER/outbox/${name}`)).toBe("an older message");
    expectNoOverwrite(m);
    await expectIndexAgreesWithBucket(m, index.doc!);
    const events = h.domainEvents();
    expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
    for (const e of events) {
      expect(e.eventType).toBe("MESSAGE.SEND.SUCCESS");
      expect(await h.text(e.attachments[0]!.key)).toBe(body);
    }
  },
);
