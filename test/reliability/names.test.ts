/**
 * Issue #11, "names that never collide": every overwrite the issue lists, through the real
 * handlers, with the wire proxy enforcing S3's conditional writes (s3rver ignores them) and
 * recording that every write into inbox/, outbox/ and failed/ carries `If-None-Match: *`.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { isSidecarKey, mdnKey, recordKey, SIDECAR_DIR } from "../../model/layout";
import { SendHarness, BUCKET, transferMdnKey } from "../send/harness";
import type { S3Wire } from "./s3-wire";

const ROUTED = /^(AS2\/files|as2gateway)\//;

describe.each(["as2gateway", "mftgateway"] as const)("%s layout", (layout) => {
  let h: SendHarness;
  let wire: S3Wire;

  beforeAll(async () => {
    h = await SendHarness.start({ layout, wire: true });
    wire = h.wire;
  });
  afterAll(() => h.stop());
  beforeEach(() => h.reset());

  async function sendOne(key: string, body: string): Promise<{ staged: string; tid: string }> {
    const o = await h.upload(key, body);
    h.at(o.lastModified!, 16);
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    const call = h.transfers.length - 1;
    return { staged: h.transfers[call]!.SendFilePaths![0]!.slice(`/${BUCKET}/`.length), tid: h.transferIds[call]! };
  }

  async function mdnEvent(staged: string, tid: string) {
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

  /** Routed payloads (not sidecars) whose name passes `name`. */
  async function payloadsNamed(name: (n: string) => boolean): Promise<string[]> {
    return (await h.keys("")).filter((k) => ROUTED.test(k) && !isSidecarKey(k) && name(k.split("/").pop()!));
  }

  /** Every routed write was conditional and no routed key was written twice. */
  function expectWriteOnce(): void {
    const routed = wire.requests.filter(
      (r) => (r.op === "PutObject" || r.op === "CopyObject") && ROUTED.test(r.key) && r.status === 200,
    );
    expect(routed.length).toBeGreaterThan(0);
    for (const r of routed)
      expect({ key: r.key, ifNoneMatch: r.ifNoneMatch }).toEqual({ key: r.key, ifNoneMatch: "*" });
    for (const [key, n] of wire.writesPerKey()) if (ROUTED.test(key)) expect({ key, n }).toEqual({ key, n: 1 });
  }

  it("two sends of invoice.edi finishing together land under two names, and each event points at its own payload", async () => {
    const a = await sendOne("AS2/send/ACME/PARTNER/invoice.edi", "first invoice");
    const b = await sendOne("AS2/send/ACME/PARTNER/invoice.edi", "second invoice");
    const events = [await mdnEvent(a.staged, a.tid), await mdnEvent(b.staged, b.tid)];
    // Each result delivered three times, all at once.
    const results = await Promise.all([...events, ...events, ...events].map((e) => h.result(e)));
    for (const r of results) expect(r.batchItemFailures).toEqual([]);
    const payloads = await payloadsNamed((n) => n.startsWith("invoice"));
    expect(payloads).toHaveLength(2);
    const bodies = await Promise.all(payloads.map((k) => h.text(k)));
    expect(bodies.sort()).toEqual(["first invoice", "second invoice"]);
    const success = h.domainEvents().filter((e) => e.eventType === "MESSAGE.SEND.SUCCESS");
    expect(success).toHaveLength(2);
    const pointed = success.map((e) => e.attachments[0]!.key);
    expect(new Set(pointed).size).toBe(2);
    for (const e of success) {
      // The event's payload is the upload of its own claim (the MDN's transfer id says which).
      const expected = e.transferId === a.tid ? "first invoice" : "second invoice";
      expect(await h.text(e.attachments[0]!.key)).toBe(expected);
      expect(await h.text(e.mdn!.key)).toBe(`MDN of ${e.transferId}`);
    }
    expectWriteOnce();
  });

  it("a batch holding x and x.json: the record of x never takes the payload x.json's name", async () => {
    await h.upload("AS2/send/ACME/PARTNER/b1/x", "payload x");
    const o = await h.upload("AS2/send/ACME/PARTNER/b1/x.json", "payload x.json");
    h.at(o.lastModified!, 130);
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    await h.drain();
    expect(h.transfers).toHaveLength(1);
    const staged = h.transfers[0]!.SendFilePaths!.map((p) => p.slice(`/${BUCKET}/`.length));
    for (const s of staged)
      expect((await h.result(await mdnEvent(s, h.transferIds[0]!))).batchItemFailures).toEqual([]);
    const all = (await h.keys("")).filter((k) => ROUTED.test(k));
    const payloads = await payloadsNamed((n) => n === "x" || n === "x.json");
    expect(payloads.map((k) => k.split("/").pop()).sort()).toEqual(["x", "x.json"]);
    for (const p of payloads) {
      expect(await h.text(p)).toBe(`payload ${p.split("/").pop()}`);
      expect(all).toContain(recordKey(p));
      expect(all).toContain(mdnKey(p));
    }
    expectWriteOnce();
  });

  it("a payload named like the sidecar folder is stored under a suffix, never mixed with sidecars", async () => {
    const a = await sendOne(`AS2/send/ACME/PARTNER/${SIDECAR_DIR}`, "odd name");
    expect((await h.result(await mdnEvent(a.staged, a.tid))).batchItemFailures).toEqual([]);
    const payloads = await payloadsNamed((n) => n.startsWith(SIDECAR_DIR));
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toMatch(/\/_as2 \(1\)$/);
    expect(await h.text(payloads[0]!)).toBe("odd name");
  });

  it("two refused uploads failing in the same millisecond use failed/<timestamp>-1/, never the same folder", async () => {
    const a = await h.upload("AS2/send/ACME/NOBODY/order.edi", "first");
    const b = await h.upload("AS2/send/ACME/NOBODY/sub/order.edi", "second");
    h.at(new Date(Math.max(a.lastModified!.getTime(), b.lastModified!.getTime())), 200);
    const r = await Promise.all([h.settle(h.s3Event(a)), h.settle(h.s3Event(b))]);
    for (const x of r) expect(x.batchItemFailures).toEqual([]);
    await h.drain();
    const payloads = (await h.keys("AS2/files/ACME/NOBODY/failed/")).concat(
      await h.keys("as2gateway/ACME/NOBODY/failed/"),
    );
    const files = payloads.filter((k) => !isSidecarKey(k));
    expect(files).toHaveLength(2);
    expect(files.some((k) => /\/failed\/\d{8}T\d{9}Z-1\//.test(k))).toBe(true);
    expect((await Promise.all(files.map((k) => h.text(k)))).sort()).toEqual(["first", "second"]);
    expectWriteOnce();
  });

  it("a 409 ConditionalRequestConflict on the outbox copy is retried, as S3 asks, and the payload lands once", async () => {
    const a = await sendOne("AS2/send/ACME/PARTNER/conflict.edi", "conflicted");
    wire.faults.push({
      when: (r) => r.op === "CopyObject" && ROUTED.test(r.key) && !isSidecarKey(r.key),
      status: 409,
      code: "ConditionalRequestConflict",
    });
    expect((await h.result(await mdnEvent(a.staged, a.tid))).batchItemFailures).toEqual([]);
    const payloads = await payloadsNamed((n) => n === "conflict.edi");
    expect(payloads).toHaveLength(1);
    expect(wire.requests.filter((r) => r.status === 409)).toHaveLength(1);
    expectWriteOnce();
  });
});
