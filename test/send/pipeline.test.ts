/**
 * Upload to outbox/ or failed/ through the real handlers (settle, result, sweep), with S3 and
 * DynamoDB served over HTTP. Transfer, SQS and EventBridge are mocked; time is the injected clock.
 */
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3Client } from "../../handlers/shared/clients";
import { isSidecarKey, mdnKey, recordKey } from "../../model/layout";
import { SendHarness, BUCKET, BUS, transferMdnKey } from "./harness";

let h: SendHarness;

beforeAll(async () => {
  h = await SendHarness.start();
});
afterAll(() => h.stop());
beforeEach(() => h.reset());

/** The staged key StartFileTransfer was given (`/bucket/key` → key). */
function stagedKeys(call = h.transfers.length - 1): string[] {
  return (h.transfers[call]?.SendFilePaths ?? []).map((p) => p.slice(`/${BUCKET}/`.length));
}

async function sendAndSettle(key: string, body = `payload of ${key}`) {
  const o = await h.upload(key, body);
  h.at(o.lastModified!, 16);
  const r = await h.settle(h.s3Event(o));
  expect(r.batchItemFailures).toEqual([]);
  return o;
}

describe("a file from upload to outbox/", () => {
  it("waits for the settle time, stages the file once and sends it; the MDN moves it to outbox/ with its MDN and record", async () => {
    const name = "inv oice+1%@ü 日本.xml";
    const key = `AS2/send/ACME/PARTNER/${name}`;
    const o = await h.upload(key, "<invoice/>");

    // Not settled yet: the message comes back with the remaining delay.
    h.at(o.lastModified!, 4);
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    const waiting = h.takeQueued();
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.delaySeconds).toBe(11);
    expect(h.transfers).toHaveLength(0);

    // Settled: claimed, moved to its private staging directory, sent with the partner's connector.
    h.at(o.lastModified!, 15);
    expect((await h.settle(waiting[0]!.body)).batchItemFailures).toEqual([]);
    expect(h.transfers).toHaveLength(1);
    expect(h.transfers[0]!.ConnectorId).toBe("c-partner");
    const [staged] = stagedKeys();
    expect(staged).toMatch(
      new RegExp(`^_gateway/outbound/.+/\\d{8}T\\d{9}Z-[0-9a-f]{12}/${name.replace(/[+%]/g, "\\$&")}$`),
    );
    expect(await h.keys("AS2/send/")).toEqual([]);
    expect(await h.text(staged!)).toBe("<invoice/>");

    // Transfer writes its MDN beside the staged file and reports.
    const tid = h.transferIds[0]!;
    const mdn = transferMdnKey(staged!, tid);
    await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: mdn, Body: "MDN bytes" }));
    const disposition = "automatic-action/MDN-sent-automatically; processed";
    expect((await h.result(h.transferEvent("AS2 Payload Send Completed", staged!, tid))).batchItemFailures).toEqual([]);
    expect(await h.keys("AS2/files/")).toEqual([]); // the MDN decides
    const r = await h.result(
      h.transferEvent(
        "AS2 MDN Receive Completed",
        staged!,
        tid,
        { disposition, "mdn-message-id": "<mdn-1@partner>" },
        { "mdn-bucket": BUCKET, "mdn-key": `/${mdn}` },
      ),
    );
    expect(r.batchItemFailures).toEqual([]);

    const out = await h.keys("AS2/files/ACME/PARTNER/outbox/");
    expect(out).toHaveLength(3);
    const payload = out.find((k) => k.endsWith(name))!;
    expect(payload).toMatch(/^AS2\/files\/ACME\/PARTNER\/outbox\/\d{8}T\d{9}Z-[0-9a-f]{8}\//);
    expect(await h.text(payload)).toBe("<invoice/>");
    expect(await h.text(mdnKey(payload))).toBe("MDN bytes");
    const record = await h.json(recordKey(payload));
    expect(record).toMatchObject({
      status: "delivered",
      station: "ACME",
      partner: "PARTNER",
      fileName: name,
      uploadedKey: key,
      transferId: tid,
      as2MessageId: "t-1-msg@acme",
      attempts: 1,
      mdn: { disposition, messageId: "<mdn-1@partner>" },
    });
    expect(await h.keys(staged!)).toEqual([]);

    const events = h.domainEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventType: "MESSAGE.SEND.SUCCESS",
      eventId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      schemaVersion: "1",
      customer: "acme",
      stationId: "ACME",
      partnerId: "PARTNER",
      test: false,
      transferId: tid,
      attachments: [{ bucket: BUCKET, key: payload, fileName: name, size: 10 }],
      mdn: { bucket: BUCKET, key: mdnKey(payload), disposition },
      record: { bucket: BUCKET, key: recordKey(payload) },
      attempts: 1,
    });
    expect(h.eventBridge.calls()[0]!.args[0].input).toMatchObject({
      Entries: [expect.objectContaining({ EventBusName: BUS })],
    });

    // A repeated S3 event and repeated results change nothing.
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    await h.result(h.transferEvent("AS2 MDN Receive Completed", staged!, tid, { disposition }));
    expect(h.transfers).toHaveLength(1);
    expect(h.domainEvents()).toHaveLength(1);
    expect(await h.keys("AS2/files/ACME/PARTNER/outbox/")).toEqual(out);
  });

  it("finishes on Payload Send Completed when the partner's connector asks for no MDN", async () => {
    await sendAndSettle("AS2/send/ACME/QUICK/quick.edi");
    const [staged] = stagedKeys();
    await h.result(h.transferEvent("AS2 Payload Send Completed", staged!, h.transferIds[0]!));
    expect((await h.keys("AS2/files/ACME/QUICK/outbox/")).filter((k) => k.endsWith("quick.edi"))).toHaveLength(1);
    expect(h.domainEvents()[0]!.eventType).toBe("MESSAGE.SEND.SUCCESS");
  });

  it("sends test partners' files from their test/ folder into the test/ outbox", async () => {
    await sendAndSettle("AS2/send/ACME/TESTER/test/t.edi");
    const [staged] = stagedKeys();
    await h.result(h.transferEvent("AS2 MDN Receive Completed", staged!, h.transferIds[0]!));
    expect((await h.keys("AS2/files/ACME/TESTER/test/outbox/")).some((k) => k.endsWith("/t.edi"))).toBe(true);
    expect(h.domainEvents()[0]).toMatchObject({ test: true, eventType: "MESSAGE.SEND.SUCCESS" });
  });
});

describe("uploads routing refuses go to failed/ with the reason", () => {
  it("an unknown partner: failed/<timestamp>/ with a record a person can act on, nothing sent", async () => {
    await sendAndSettle("AS2/send/ACME/NOBODY/order 1.edi", "x");
    expect(h.transfers).toHaveLength(0);
    expect(await h.keys("AS2/send/")).toEqual([]);
    const failed = (await h.keys("AS2/files/ACME/NOBODY/failed/")).sort(
      (a, b) => Number(isSidecarKey(a)) - Number(isSidecarKey(b)),
    );
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/^AS2\/files\/ACME\/NOBODY\/failed\/\d{8}T\d{9}Z\/order 1\.edi$/);
    const record = await h.json(recordKey(failed[0]!));
    expect(record).toMatchObject({ status: "failed", failureCode: "UNKNOWN_PARTNER", partner: "NOBODY" });
    expect(String(record.reason)).toMatch(/partner 'NOBODY' is not declared for station 'ACME'/);
    expect(h.domainEvents()).toEqual([
      expect.objectContaining({
        eventType: "MESSAGE.SEND.FAILED",
        failureCode: "UNKNOWN_PARTNER",
        partnerId: "NOBODY",
      }),
    ]);
  });

  it("an empty file (send.emptyFile = fail) and nested folders", async () => {
    await sendAndSettle("AS2/send/ACME/PARTNER/empty.edi", "");
    const o = await h.upload("AS2/send/ACME/PARTNER/a/b/deep.edi", "deep");
    h.at(o.lastModified!, 200);
    await h.settle(h.s3Event(o));
    expect(h.transfers).toHaveLength(0);
    const failed = await h.keys("AS2/files/ACME/PARTNER/failed/");
    expect(failed.filter((k) => k.endsWith(".json"))).toHaveLength(2);
    const reasons = await Promise.all(failed.filter((k) => k.endsWith(".json")).map((k) => h.json(k)));
    expect(reasons.map((r) => r.failureCode).sort()).toEqual(["BAD_LOCATION", "EMPTY_FILE"]);
  });
});

describe("settling", () => {
  it("a re-upload during the wait restarts it: only the new version is sent, after its own settle time", async () => {
    const key = "AS2/send/ACME/PARTNER/reupload.edi";
    const v1 = await h.upload(key, "version 1");
    h.at(v1.lastModified!, 5);
    await h.settle(h.s3Event(v1));
    const first = h.takeQueued();
    expect(first).toHaveLength(1);
    // Let S3's one-second Last-Modified move on, then upload again.
    await new Promise((r) => setTimeout(r, 1100));
    const v2 = await h.upload(key, "version 2, longer");
    expect(v2.lastModified!.getTime()).toBeGreaterThan(v1.lastModified!.getTime());

    // When v1 would have been due, v1's message is stale and v2 has not settled.
    h.at(v1.lastModified!, 15);
    await h.settle(first[0]!.body, h.s3Event(v2));
    expect(h.transfers).toHaveLength(0);
    const again = h.takeQueued();
    expect(again).toHaveLength(1);
    expect(again[0]!.delaySeconds).toBeGreaterThan(0);

    h.at(v2.lastModified!, 15);
    await h.settle(again[0]!.body);
    expect(h.transfers).toHaveLength(1);
    expect(await h.text(stagedKeys()[0]!)).toBe("version 2, longer");
  });

  it("a duplicate S3 event, in the same batch or later, sends once", async () => {
    const o = await h.upload("AS2/send/ACME/PARTNER/dup.edi", "dup");
    h.at(o.lastModified!, 20);
    const r = await h.settle(h.s3Event(o), h.s3Event(o));
    expect(r.batchItemFailures).toEqual([]);
    await h.settle(h.s3Event(o));
    expect(h.transfers).toHaveLength(1);
  });
});

describe("nothing lost, nothing sent twice", () => {
  it("a crash between copy and delete: the next delivery completes the move and sends once", async () => {
    const key = "AS2/send/ACME/PARTNER/crash.edi";
    const o = await h.upload(key, "crash me");
    const s3 = s3Client();
    const original = s3.send.bind(s3);
    let crashed = false;
    const spy = jest.spyOn(s3, "send").mockImplementation(((cmd: unknown) => {
      if (!crashed && cmd instanceof DeleteObjectCommand && cmd.input.Key === key) {
        crashed = true;
        return Promise.reject(new Error("Lambda stopped"));
      }
      return original(cmd as never);
    }) as never);
    try {
      h.at(o.lastModified!, 16);
      const first = await h.settle(h.s3Event(o));
      expect(first.batchItemFailures).toHaveLength(1);
      expect(h.transfers).toHaveLength(0);
      expect(await h.keys(key)).toEqual([key]); // the source is kept until the copy is verified and deleted
      const second = await h.settle(h.s3Event(o));
      expect(second.batchItemFailures).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    expect(h.transfers).toHaveLength(1);
    expect(await h.keys(key)).toEqual([]);
    expect(await h.text(stagedKeys()[0]!)).toBe("crash me");
    await h.settle(h.s3Event(o));
    expect(h.transfers).toHaveLength(1);
  });

  it("412 on the copy (the upload changed underneath): nothing is sent and the upload stays", async () => {
    const key = "AS2/send/ACME/PARTNER/changed.edi";
    const o = await h.upload(key, "changing");
    const s3 = s3Client();
    const original = s3.send.bind(s3);
    const spy = jest.spyOn(s3, "send").mockImplementation(((cmd: unknown) => {
      if (cmd instanceof CopyObjectCommand && cmd.input.CopySourceIfMatch) {
        expect(cmd.input.CopySourceIfMatch).toBe(o.etag);
        return Promise.reject(
          Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), {
            name: "PreconditionFailed",
            $metadata: { httpStatusCode: 412 },
          }),
        );
      }
      return original(cmd as never);
    }) as never);
    try {
      h.at(o.lastModified!, 16);
      expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    expect(h.transfers).toHaveLength(0);
    expect(await h.keys(key)).toEqual([key]);
    expect(h.domainEvents()).toEqual([]);
    // The injected 412 stood for a new upload (its own event sends it); the bytes here did not
    // change, so this object is removed before the sweep test would take it for a lost one.
    await h.aws.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  it("412 on the delete (a new upload under the same name after the copy): the new upload is kept for its own send", async () => {
    const key = "AS2/send/ACME/PARTNER/replaced.edi";
    const o = await h.upload(key, "first");
    const s3 = s3Client();
    const original = s3.send.bind(s3);
    const spy = jest.spyOn(s3, "send").mockImplementation(((cmd: unknown) => {
      if (cmd instanceof DeleteObjectCommand && cmd.input.Key === key) {
        expect(cmd.input.IfMatch).toBe(o.etag);
        return Promise.reject(
          Object.assign(new Error("precondition"), { name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } }),
        );
      }
      return original(cmd as never);
    }) as never);
    try {
      h.at(o.lastModified!, 16);
      expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    expect(h.transfers).toHaveLength(1);
    expect(await h.keys(key)).toEqual([key]);
    // As above: the kept object stands for a new upload with its own event.
    await h.aws.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  });

  it("a lost S3 event: the sweep finds the file after its settle time and it is sent", async () => {
    const o = await h.upload("AS2/send/ACME/PARTNER/lost event.edi", "lost");
    h.at(o.lastModified!, 20);
    expect((await h.sweep()).enqueued).toBe(0); // within the grace period the event path owns it
    h.at(o.lastModified!, 16 + 61);
    await h.sweep();
    const queued = h.takeQueued();
    expect(queued.map((q) => q.body)).toContainEqual(expect.objectContaining({ kind: "file", key: o.key }));
    await h.deliver(queued);
    expect(h.transfers).toHaveLength(1);
    expect(await h.keys("AS2/send/")).not.toContain(o.key);
  });
});

describe("StartFileTransfer throttling", () => {
  const throttle = () =>
    Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });

  it("ThrottlingException, then success: retried through the queue with backoff", async () => {
    h.transferFailures.push(throttle());
    await sendAndSettle("AS2/send/ACME/PARTNER/throttled.edi");
    expect(h.transfers).toHaveLength(0);
    const q = h.takeQueued();
    expect(q).toEqual([{ body: expect.objectContaining({ kind: "resume" }), delaySeconds: 2 }]);
    await h.settle(q[0]!.body);
    expect(h.transfers).toHaveLength(1);
    expect(h.takeQueued()).toEqual([]);
  });

  it("throttling that outlives its retries: failed/ with the reason", async () => {
    for (let i = 0; i < 8; i++) h.transferFailures.push(throttle());
    await sendAndSettle("AS2/send/ACME/PARTNER/always-throttled.edi");
    await h.drain();
    expect(h.transfers).toHaveLength(0);
    const failed = (await h.keys("AS2/files/ACME/PARTNER/failed/")).filter((k) =>
      k.endsWith("always-throttled.edi.json"),
    );
    expect(failed).toHaveLength(1);
    const record = await h.json(failed[0]!);
    expect(record).toMatchObject({ status: "failed", failureCode: "THROTTLED_RETRIES_EXHAUSTED" });
    expect(String(record.failureMessage)).toMatch(/after 8 attempts.*ThrottlingException/);
    expect(h.domainEvents()).toEqual([
      expect.objectContaining({ eventType: "MESSAGE.SEND.FAILED", failureCode: "THROTTLED_RETRIES_EXHAUSTED" }),
    ]);
  });
});

describe("Transfer's results", () => {
  const unavailable = {
    "failure-code": "HTTP_ERROR_RESPONSE_FROM_PARTNER",
    "failure-message": "http://p.example returned status 503 for message with ID x@acme",
  };

  it("a transient partner failure is retried with backoff under the same message, then delivered", async () => {
    await sendAndSettle("AS2/send/ACME/PARTNER/retry.edi", "retry me");
    const [staged] = stagedKeys();
    const t1 = h.transferIds[0]!;
    expect(
      (await h.result(h.transferEvent("AS2 Payload Send Failed", staged!, t1, unavailable))).batchItemFailures,
    ).toEqual([]);
    const retry = h.takeQueued();
    expect(retry).toEqual([{ body: expect.objectContaining({ kind: "retry", attempt: 2 }), delaySeconds: 5 }]);
    expect(await h.keys("AS2/files/")).not.toContainEqual(expect.stringContaining("retry.edi"));

    await h.deliver(retry);
    expect(h.transfers).toHaveLength(2);
    expect(stagedKeys(1)).toEqual([staged]);
    const t2 = h.transferIds[1]!;
    // The first attempt's failure delivered again, late: changes nothing.
    await h.result(h.transferEvent("AS2 Payload Send Failed", staged!, t1, unavailable));
    expect(h.takeQueued()).toEqual([]);
    // A second, different transient failure backs off twice as long.
    await h.result(
      h.transferEvent("AS2 MDN Receive Failed", staged!, t2, {
        "failure-code": "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP",
        "failure-message": "Connection to endpoint timed out.",
      }),
    );
    const retry2 = h.takeQueued();
    expect(retry2).toEqual([{ body: expect.objectContaining({ kind: "retry", attempt: 3 }), delaySeconds: 10 }]);
    await h.deliver(retry2);
    await h.deliver(retry2); // a duplicate retry message sends nothing
    expect(h.transfers).toHaveLength(3);
    await h.result(
      h.transferEvent("AS2 MDN Receive Completed", staged!, h.transferIds[2]!, {
        disposition: "automatic-action/MDN-sent-automatically; processed",
      }),
    );
    const out = (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.endsWith("/retry.edi"));
    expect(out).toHaveLength(1);
    expect(await h.text(out[0]!)).toBe("retry me");
    expect(await h.json(recordKey(out[0]!))).toMatchObject({
      status: "delivered",
      attempts: 3,
      transferId: h.transferIds[2],
    });
    expect(h.domainEvents()).toEqual([expect.objectContaining({ eventType: "MESSAGE.SEND.SUCCESS", attempts: 3 })]);
  });

  it("a permanent failure goes to failed/ at once with Transfer's code and message", async () => {
    await sendAndSettle("AS2/send/ACME/PARTNER/wrong cert.dat", "cert");
    const [staged] = stagedKeys();
    const message = "No public certificate matching message signature could be found in profile: p-1234abcd5678efghj";
    await h.result(
      h.transferEvent("AS2 MDN Receive Failed", staged!, h.transferIds[0]!, {
        "failure-code": "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
        "failure-message": message,
      }),
    );
    expect(h.takeQueued()).toEqual([]);
    const failed = (await h.keys("AS2/files/ACME/PARTNER/failed/"))
      .filter((k) => k.includes("wrong cert.dat"))
      .sort((a, b) => Number(isSidecarKey(a)) - Number(isSidecarKey(b)));
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/failed\/\d{8}T\d{9}Z\/wrong cert\.dat$/);
    expect(await h.text(failed[0]!)).toBe("cert");
    const record = await h.json(failed[1]!);
    expect(record).toMatchObject({
      status: "failed",
      failureCode: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
      failureMessage: message,
      attempts: 1,
    });
    expect(String(record.reason)).toMatch(/partner's current signing certificate/);
    expect(h.domainEvents()).toEqual([
      expect.objectContaining({
        eventType: "MESSAGE.SEND.FAILED",
        failureCode: "VERIFICATION_FAILED_NO_MATCHING_KEY_FOUND",
        failureMessage: message,
        failureReason: message,
      }),
    ]);
  });

  it("a negative MDN is a permanent failure", async () => {
    await sendAndSettle("AS2/send/ACME/PARTNER/negative.edi");
    await h.result(
      h.transferEvent("AS2 MDN Receive Completed", stagedKeys()[0]!, h.transferIds[0]!, {
        disposition: "automatic-action/MDN-sent-automatically; processed/error: decryption-failed",
      }),
    );
    expect(h.domainEvents()).toEqual([
      expect.objectContaining({ eventType: "MESSAGE.SEND.FAILED", failureCode: "NEGATIVE_MDN" }),
    ]);
    expect(h.takeQueued()).toEqual([]);
  });

  it("transient failures stop after retry.maxAttempts with the reason", async () => {
    await sendAndSettle("AS2/send/ACME/PARTNER/never.edi");
    const [staged] = stagedKeys();
    for (let attempt = 1; attempt <= 10; attempt++) {
      await h.result(h.transferEvent("AS2 Payload Send Failed", staged!, h.transferIds.at(-1)!, unavailable));
      await h.drain();
    }
    expect(h.transfers).toHaveLength(10);
    const record = (await h.keys("AS2/files/ACME/PARTNER/failed/")).find((k) => k.endsWith("never.edi.json"))!;
    expect(await h.json(record)).toMatchObject({
      failureCode: "HTTP_ERROR_RESPONSE_FROM_PARTNER",
      attempts: 10,
      reason: expect.stringMatching(/gave up after 10 attempts/),
    });
  });

  it("out of order and repeated: MDN Receive Completed before Payload Send Completed finishes once", async () => {
    await sendAndSettle("AS2/send/ACME/PARTNER/ooo.edi");
    const [staged] = stagedKeys();
    const t = h.transferIds[0]!;
    await h.result(h.transferEvent("AS2 MDN Receive Completed", staged!, t));
    await h.result(
      h.transferEvent("AS2 Payload Send Completed", staged!, t),
      h.transferEvent("AS2 MDN Receive Completed", staged!, t),
    );
    await h.result(h.transferEvent("AS2 Payload Send Failed", staged!, t, unavailable));
    expect((await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.endsWith("/ooo.edi"))).toHaveLength(1);
    expect(h.domainEvents()).toEqual([expect.objectContaining({ eventType: "MESSAGE.SEND.SUCCESS" })]);
    expect(h.takeQueued()).toEqual([]);
  });

  it("finds the file by transfer id when the event has no s3-attributes", async () => {
    await sendAndSettle("AS2/send/ACME/QUICK/no-attrs.edi");
    const ev = h.transferEvent("AS2 Payload Send Completed", stagedKeys()[0]!, h.transferIds[0]!);
    delete (ev.detail as Record<string, unknown>)["s3-attributes"];
    await h.result(ev);
    expect((await h.keys("AS2/files/ACME/QUICK/outbox/")).some((k) => k.endsWith("/no-attrs.edi"))).toBe(true);
  });
});

describe("a batch directory", () => {
  it("11 files: one wait for the whole directory, two StartFileTransfer calls, one batch reported once", async () => {
    const dir = "AS2/send/ACME/PARTNER/batch 1/";
    const uploads = [];
    for (let i = 0; i < 11; i++)
      uploads.push(await h.upload(`${dir}file-${String(i).padStart(2, "0")}.edi`, `line ${i}`));
    const newest = new Date(Math.max(...uploads.map((o) => o.lastModified!.getTime())));
    h.at(newest, 30);
    expect((await h.settle(...uploads.slice(0, 10).map((o) => h.s3Event(o)))).batchItemFailures).toEqual([]);
    await h.settle(h.s3Event(uploads[10]!));
    const waits = h.takeQueued();
    expect(waits).toHaveLength(1); // eleven events, one scheduled check
    expect(waits[0]!.delaySeconds).toBe(90);
    h.at(newest, 120);
    await h.settle(waits[0]!.body, h.s3Event(uploads[3]!));
    expect(h.transfers.map((t) => t.SendFilePaths!.length)).toEqual([10, 1]);
    const staged = [...stagedKeys(0), ...stagedKeys(1)];
    expect(new Set(staged.map((k) => k.slice(0, k.lastIndexOf("/")))).size).toBe(1);
    expect(await h.keys(dir)).toEqual([]);

    for (const [i, key] of staged.entries()) {
      expect(h.domainEvents()).toEqual([]);
      await h.result(h.transferEvent("AS2 MDN Receive Completed", key, h.transferIds[i < 10 ? 0 : 1]!));
    }
    const events = h.domainEvents();
    expect(events).toHaveLength(1);
    expect(events[0]!.eventType).toBe("MESSAGE.SEND.SUCCESS");
    expect(events[0]!.attachments).toHaveLength(11);
    const folders = new Set(events[0]!.attachments.map((a) => a.key.slice(0, a.key.lastIndexOf("/"))));
    expect(folders.size).toBe(1);
  });
});
