/**
 * The receive Lambda end to end: real handler, s3rver and dynalite on loopback, Transfer's events
 * from the fixtures adapted to the base directories the stack configures.
 */
import type { LocalAws } from "../helpers/local-servers";
import { SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { inboxKey, failedKey, mdnKey, recordKey, folderPrefix, type Route } from "../../model/layout";
import { getItem } from "../../handlers/shared/ledger";
import { messagePk } from "../../handlers/receive/message-index";
import { MDN_FAILED_NOTE } from "../../handlers/receive/record";
import {
  acceptAllEvents,
  invoke,
  list,
  mdnSent,
  payloadCompleted,
  payloadFailed,
  publishedEvents,
  put,
  read,
  readJson,
  setUpCustomer,
  startReceiveAws,
  storedKey,
  userKeys,
  type TestCustomer,
} from "./harness";

let aws: LocalAws;
beforeAll(async () => {
  aws = await startReceiveAws();
});
afterAll(() => aws.stop());
beforeEach(() => acceptAllEvents());

const MSG = "OPENAS2-11072022233606+0000-5dab0452-0ca1-4f9b-b622-fba84effff3c@PartnerA_OID_MyCompany_OID";
const START = "2026-11-22T17:54:32.123Z";
const AT = new Date(START);
const routeOf = (c: TestCustomer, as2Id: string): Route => {
  const p = c.partner(as2Id);
  return { station: p.station, partner: p.partner, test: p.test };
};

/** Transfer receives a message: payload, MDN and status file in the base directory, then the event. */
async function transferReceives(
  c: TestCustomer,
  as2Id: string,
  o: { fileName: string; messageId?: string; body?: string; start?: string; requesterFileName?: string; mdn?: boolean },
) {
  const p = c.partner(as2Id);
  const messageId = o.messageId ?? MSG;
  const key = storedKey(p, o.fileName, messageId);
  await put(aws, c.bucket, key, o.body ?? `payload of ${o.fileName}`);
  if (o.mdn !== false) await put(aws, c.bucket, `${key}.mdn`, "MDN bytes");
  return payloadCompleted(c, p, {
    messageId,
    fileKey: key,
    requesterFileName: o.requesterFileName ?? o.fileName,
    start: o.start ?? START,
  });
}

describe("AS2 Payload Receive Completed → inbox/", () => {
  it("mftgateway: payload under its original name in inbox/<timestamp-tag>/, MDN and record beside, SUCCESS event", async () => {
    const c = await setUpCustomer(aws);
    const event = await transferReceives(c, "PARTNER", { fileName: "invoice.edi", body: "UNA:+.? 'UNB+UNOC:3'" });
    const source = storedKey(c.partner("PARTNER"), "invoice.edi", MSG);

    expect(await invoke(event)).toEqual({ batchItemFailures: [] });

    const key = inboxKey("mftgateway", { route: routeOf(c, "PARTNER"), fileName: "invoice.edi", at: AT, seed: MSG });
    expect(key).toMatch(/^AS2\/files\/ACME\/PARTNER\/inbox\/20261122T175432123Z-[0-9a-f]{8}\/invoice\.edi$/);
    expect(await userKeys(aws, c.bucket)).toEqual([key, recordKey(key), mdnKey(key)].sort());
    expect(await read(aws, c.bucket, key)).toBe("UNA:+.? 'UNB+UNOC:3'");
    expect(await read(aws, c.bucket, mdnKey(key))).toBe("MDN bytes");
    expect(await read(aws, c.bucket, source)).toBeUndefined();
    expect(await read(aws, c.bucket, `${source}.mdn`)).toBeUndefined();

    const record = await readJson(aws, c.bucket, recordKey(key));
    expect(record).toMatchObject({
      direction: "inbound",
      status: "received",
      as2MessageId: MSG,
      subject: "Message from AS2 tests",
      fileName: "invoice.edi",
      originalFileName: "invoice.edi",
      station: "ACME",
      partner: "PARTNER",
      test: false,
      agreementId: c.partner("PARTNER").agreementId,
      clientIp: "client-IP-address",
      size: "UNA:+.? 'UNB+UNOC:3'".length,
      bytes: 63,
      receivedAt: START,
      completedAt: "2024-02-07T06:47:06.040031Z",
      transferStatus: "PROCESSING",
      payload: { bucket: c.bucket, key },
      mdn: { status: "unknown", key: mdnKey(key) },
    });
    expect(record.reason).toBeUndefined();

    const [published, ...more] = publishedEvents();
    expect(more).toEqual([]);
    expect(published).toMatchObject({
      eventType: "MESSAGE.RECEIVED.SUCCESS",
      messageId: MSG,
      as2MessageId: MSG,
      customer: "acme",
      stationId: "ACME",
      partnerId: "PARTNER",
      test: false,
      attachments: [{ bucket: c.bucket, key, fileName: "invoice.edi", size: "UNA:+.? 'UNB+UNOC:3'".length }],
      record: { bucket: c.bucket, key: recordKey(key) },
      mdn: { bucket: c.bucket, key: mdnKey(key) },
    });
    expect(published!.failureCode).toBeUndefined();
    expect((await getItem(messagePk(c.partner("PARTNER").agreementId, MSG)))?.state).toBe("received");
  });

  it.each([
    ["plain", "as2gateway/ACME/PARTNER/inbox/invoice.edi"],
    ["folder", "as2gateway/ACME/PARTNER/inbox/20261122T175432123Z/invoice.edi"],
    ["prefix", "as2gateway/ACME/PARTNER/inbox/20261122T175432123Z_invoice.edi"],
  ] as const)("as2gateway, inboxNaming %s → %s", async (naming, expected) => {
    const c = await setUpCustomer(aws, {
      layout: "as2gateway",
      stations: [{ as2Id: "ACME", signing: { generate: true }, inboxNaming: naming }],
    });
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: "invoice.edi" }))).toEqual({
      batchItemFailures: [],
    });
    expect(await userKeys(aws, c.bucket)).toEqual([expected, mdnKey(expected), recordKey(expected)].sort());
    expect(await readJson(aws, c.bucket, recordKey(expected))).toMatchObject({
      as2MessageId: MSG,
      fileName: "invoice.edi",
      payload: { key: expected },
    });
  });

  it("as2gateway plain: a second file of the same name becomes 'name (1).ext', and a user's own file is never overwritten", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    await put(aws, c.bucket, "as2gateway/ACME/PARTNER/inbox/order.xml", "the user's own file");
    const first = await transferReceives(c, "PARTNER", {
      fileName: "order.xml",
      messageId: "m-1@partner",
      body: "first",
    });
    const second = await transferReceives(c, "PARTNER", {
      fileName: "order.xml",
      messageId: "m-2@partner",
      body: "second",
      start: "2026-11-22T17:54:33.000Z",
    });
    expect(await invoke(first, second)).toEqual({ batchItemFailures: [] });
    const inbox = folderPrefix("as2gateway", routeOf(c, "PARTNER"), "inbox");
    expect(await read(aws, c.bucket, `${inbox}order.xml`)).toBe("the user's own file");
    expect(await read(aws, c.bucket, `${inbox}order (1).xml`)).toBe("first");
    expect(await read(aws, c.bucket, `${inbox}order (2).xml`)).toBe("second");
    expect((await readJson(aws, c.bucket, `${inbox}_as2/order (2).xml.json`)).as2MessageId).toBe("m-2@partner");
  });

  it("a test partner lands under <partner>/test/", async () => {
    const c = await setUpCustomer(aws, {
      partners: [
        {
          as2Id: "SANDBOX",
          station: "ACME",
          url: "https://sandbox.example/as2",
          test: true,
          certificates: { signing: { pem: SAMPLE_CERT_PEM } },
        },
      ],
    });
    expect(await invoke(await transferReceives(c, "SANDBOX", { fileName: "po.csv" }))).toEqual({
      batchItemFailures: [],
    });
    const key = inboxKey("mftgateway", { route: routeOf(c, "SANDBOX"), fileName: "po.csv", at: AT, seed: MSG });
    expect(key.startsWith("AS2/files/ACME/SANDBOX/test/inbox/")).toBe(true);
    expect(await read(aws, c.bucket, key)).toBe("payload of po.csv");
    expect(publishedEvents()[0]).toMatchObject({ partnerId: "SANDBOX", test: true });
  });

  it("keeps a name with spaces, '+', '@' and unicode exactly", async () => {
    const name = "Order 2026 +final@ACME ü€ 日本.edi";
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: name, body: "unicode" }))).toEqual({
      batchItemFailures: [],
    });
    expect(await read(aws, c.bucket, `as2gateway/ACME/PARTNER/inbox/${name}`)).toBe("unicode");
    expect(await list(aws, c.bucket, c.partner("PARTNER").inboundPrefix)).toEqual([]);
  });

  it("a name that tries '../' stays one file inside the partner's inbox", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const event = await transferReceives(c, "PARTNER", {
      fileName: "passwd",
      requesterFileName: "../../../AS2/send/ACME/PARTNER/passwd",
    });
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect(await userKeys(aws, c.bucket)).toEqual([
      "as2gateway/ACME/PARTNER/inbox/_as2/passwd.json",
      "as2gateway/ACME/PARTNER/inbox/_as2/passwd.mdn",
      "as2gateway/ACME/PARTNER/inbox/passwd",
    ]);
  });

  it("a name that is only '..' or control characters falls back to the name Transfer stored", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const event = await transferReceives(c, "PARTNER", {
      fileName: "data.bin",
      messageId: "m-7@x",
      requesterFileName: "..\u0000",
    });
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect(await read(aws, c.bucket, "as2gateway/ACME/PARTNER/inbox/data.m-7@x.bin")).toBe("payload of data.bin");
  });
});

describe("idempotency", () => {
  it("a duplicate event (same event delivered twice, in one batch and later) routes once and publishes once", async () => {
    const c = await setUpCustomer(aws);
    const event = await transferReceives(c, "PARTNER", { fileName: "invoice.edi" });
    expect(await invoke(event, event)).toEqual({ batchItemFailures: [] });
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const keys = await userKeys(aws, c.bucket);
    expect(keys.filter((k) => k.endsWith("invoice.edi"))).toHaveLength(1);
    expect(keys).toHaveLength(3);
    expect(publishedEvents()).toHaveLength(1);
  });

  it("the same message id delivered twice by the partner (identical bytes): one inbox entry, the resend dropped", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: "invoice.edi", body: "same bytes" }))).toEqual(
      { batchItemFailures: [] },
    );
    const resend = await transferReceives(c, "PARTNER", {
      fileName: "invoice.edi",
      body: "same bytes",
      start: "2026-11-22T18:30:00.000Z",
      mdn: false,
    });
    resend.detail.disposition = "automatic-action/MDN-sent-automatically; processed/warning: duplicate-document";
    expect(await invoke(resend)).toEqual({ batchItemFailures: [] });
    expect(await userKeys(aws, c.bucket)).toEqual([
      "as2gateway/ACME/PARTNER/inbox/_as2/invoice.edi.json",
      "as2gateway/ACME/PARTNER/inbox/_as2/invoice.edi.mdn",
      "as2gateway/ACME/PARTNER/inbox/invoice.edi",
    ]);
    expect(await list(aws, c.bucket, c.partner("PARTNER").inboundPrefix)).toEqual([]);
    expect(publishedEvents().map((e) => e.eventType)).toEqual(["MESSAGE.RECEIVED.SUCCESS"]);
  });

  it("the same message id with different bytes: the inbox keeps the first, the second is kept in failed/ with the reason", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: "invoice.edi", body: "version 1" }))).toEqual({
      batchItemFailures: [],
    });
    const resendStart = "2026-11-22T18:30:00.000Z";
    const resend = await transferReceives(c, "PARTNER", {
      fileName: "invoice.edi",
      body: "version 2!",
      start: resendStart,
      mdn: false,
    });
    expect(await invoke(resend)).toEqual({ batchItemFailures: [] });
    expect(await invoke(resend)).toEqual({ batchItemFailures: [] });
    const failed = failedKey("as2gateway", {
      route: routeOf(c, "PARTNER"),
      fileName: "invoice.edi",
      at: new Date(resendStart),
      seed: MSG,
    });
    expect(await read(aws, c.bucket, "as2gateway/ACME/PARTNER/inbox/invoice.edi")).toBe("version 1");
    expect(await read(aws, c.bucket, failed)).toBe("version 2!");
    expect(
      (await userKeys(aws, c.bucket)).filter((k) => k.includes("/inbox/") && !/\.(json|mdn)$/.test(k)),
    ).toHaveLength(1);
    expect(await readJson(aws, c.bucket, recordKey(failed))).toMatchObject({
      status: "failed",
      reason: { failureCode: "DUPLICATE_MESSAGE_ID" },
      duplicateOf: { key: "as2gateway/ACME/PARTNER/inbox/invoice.edi" },
    });
    expect(publishedEvents().map((e) => e.eventType)).toEqual([
      "MESSAGE.RECEIVED.SUCCESS",
      "MESSAGE.RECEIVED.FAILED",
      "MESSAGE.RECEIVED.FAILED",
    ]);
    const ids = publishedEvents().map((e) => e.eventId);
    expect(ids[1]).toBe(ids[2]);
  });

  it("a missing payload: clear error, reported as a batch item failure on every retry (→ DLQ), nothing half-moved", async () => {
    const c = await setUpCustomer(aws);
    const p = c.partner("PARTNER");
    const gone = payloadCompleted(c, p, {
      messageId: "lost@partner",
      fileKey: storedKey(p, "lost.edi", "lost@partner"),
      requesterFileName: "lost.edi",
      start: START,
    });
    const ok = await transferReceives(c, "PARTNER", { fileName: "fine.edi", messageId: "fine@partner" });
    const batch = await import("./harness").then((h) => h.sqsBatch(gone, ok));
    const { handler } = await import("../../handlers/receive/handler");
    for (let receive = 1; receive <= 3; receive++) {
      const r = await handler(batch);
      expect(r.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[0]!.messageId }]);
    }
    const keys = await userKeys(aws, c.bucket);
    expect(keys.some((k) => k.includes("lost"))).toBe(false);
    expect(keys.filter((k) => k.endsWith("/fine.edi"))).toHaveLength(1);
    expect(await getItem(messagePk(p.agreementId, "lost@partner"))).toBeUndefined();
    const { processTransferEvent } = await import("../../handlers/receive/process-event");
    const { defaultContext } = await import("../../handlers/receive/handler");
    await expect(processTransferEvent(await defaultContext(), gone)).rejects.toThrow(
      /payload s3:\/\/.*lost\.lost@partner\.edi of message lost@partner .* does not exist and no copy of it was routed; nothing was moved/,
    );
  });
});

describe("AS2 Payload Receive Failed → failed/<timestamp>/", () => {
  it("moves what Transfer kept to failed/ with the reason in the record and a FAILED event (both presets)", async () => {
    for (const layout of ["mftgateway", "as2gateway"] as const) {
      acceptAllEvents();
      const c = await setUpCustomer(aws, { layout });
      const p = c.partner("PARTNER");
      const kept = storedKey(p, "01187f15-523c-43ac-9fd6-51b5ad2b08f3", MSG, "failed");
      await put(aws, c.bucket, kept, "undecryptable bytes");
      await put(
        aws,
        c.bucket,
        `${kept}.json`,
        JSON.stringify({ "status-code": "FAILED", "failure-code": "DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND" }),
      );
      const event = payloadFailed(c, p, { messageId: MSG, fileKey: kept, statusKey: `${kept}.json`, start: START });
      expect(await invoke(event)).toEqual({ batchItemFailures: [] });
      expect(await invoke(event)).toEqual({ batchItemFailures: [] });
      const name =
        "01187f15-523c-43ac-9fd6-51b5ad2b08f3.OPENAS2-11072022233606+0000-5dab0452-0ca1-4f9b-b622-fba84effff3c@PartnerA_OID_MyCompany_OID";
      const key = failedKey(layout, { route: routeOf(c, "PARTNER"), fileName: name, at: AT, seed: MSG });
      expect(key).toBe(
        `${layout === "mftgateway" ? "AS2/files" : "as2gateway"}/ACME/PARTNER/failed/20261122T175432123Z/${name}`,
      );
      expect(await userKeys(aws, c.bucket)).toEqual([key, recordKey(key)]);
      expect(await read(aws, c.bucket, key)).toBe("undecryptable bytes");
      expect(await readJson(aws, c.bucket, recordKey(key))).toMatchObject({
        status: "failed",
        as2MessageId: MSG,
        clientIp: "203.0.113.10",
        reason: {
          failureCode: "DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND",
          failureMessage: "No matching decryption key found.",
        },
      });
      const events = publishedEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        eventType: "MESSAGE.RECEIVED.FAILED",
        failureCode: "DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND",
        failureMessage: "No matching decryption key found.",
        failureReason: "No matching decryption key found.",
        attachments: [{ key, size: "undecryptable bytes".length }],
      });
    }
  });

  it("when Transfer kept nothing, the reason record still lands in failed/<timestamp>/", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    const p = c.partner("PARTNER");
    const event = payloadFailed(c, p, { messageId: "early@x", start: START });
    delete event.detail["requester-file-name"];
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const keys = await userKeys(aws, c.bucket);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      /^as2gateway\/ACME\/PARTNER\/failed\/20261122T175432123Z\/_as2\/message-[0-9a-f]{12}\.json$/,
    );
    expect((await readJson(aws, c.bucket, keys[0]!)).reason.failureCode).toBe("DECRYPT_FAILED_NO_DECRYPTION_KEY_FOUND");
    expect(publishedEvents()[0]!.attachments).toEqual([]);
  });
});

describe("AS2 MDN Send Completed|Failed → the received message's record", () => {
  it("after the payload: the MDN joins the payload and the record says it was sent", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: "invoice.edi", mdn: false }))).toEqual({
      batchItemFailures: [],
    });
    const p = c.partner("PARTNER");
    const source = storedKey(p, "invoice.edi", MSG);
    await put(aws, c.bucket, `${source}.mdn`, "signed MDN");
    expect(await invoke(mdnSent(c, p, { messageId: MSG, fileKey: source, mdnKey: `${source}.mdn` }))).toEqual({
      batchItemFailures: [],
    });
    const key = "as2gateway/ACME/PARTNER/inbox/invoice.edi";
    expect(await read(aws, c.bucket, mdnKey(key))).toBe("signed MDN");
    expect(await readJson(aws, c.bucket, recordKey(key))).toMatchObject({
      status: "received",
      mdn: {
        status: "sent",
        type: "SYNC",
        messageId: "<mdn-0f1e2d3c@MyCompany_OID>",
        disposition: "automatic-action/MDN-sent-automatically; processed",
        key: mdnKey(key),
      },
    });
    expect(await list(aws, c.bucket, p.inboundPrefix)).toEqual([]);
  });

  it("before the payload: an MDN that could not be sent is kept and shows in the record once the payload arrives", async () => {
    const c = await setUpCustomer(aws);
    const p = c.partner("PARTNER");
    const source = storedKey(p, "invoice.edi", MSG);
    expect(await invoke(mdnSent(c, p, { messageId: MSG, fileKey: source, failed: true }))).toEqual({
      batchItemFailures: [],
    });
    expect((await getItem(messagePk(p.agreementId, MSG)))?.state).toBe("pending");
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: "invoice.edi" }))).toEqual({
      batchItemFailures: [],
    });
    const key = inboxKey("mftgateway", { route: routeOf(c, "PARTNER"), fileName: "invoice.edi", at: AT, seed: MSG });
    expect(await readJson(aws, c.bucket, recordKey(key))).toMatchObject({
      status: "received",
      mdn: {
        status: "failed",
        failureCode: "UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP",
        failureMessage: "Connection to endpoint timed out.",
        note: MDN_FAILED_NOTE,
        key: mdnKey(key),
      },
    });
    expect(await read(aws, c.bucket, mdnKey(key))).toBe("MDN bytes");
  });

  it("the MDN event of a resend judged as a duplicate (stored under its own name) leaves the first delivery's record alone", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: "invoice.edi", body: "same" }))).toEqual({
      batchItemFailures: [],
    });
    const p = c.partner("PARTNER");
    const resendKey = storedKey(p, "invoice-again.edi", MSG);
    await put(aws, c.bucket, resendKey, "same");
    await put(aws, c.bucket, `${resendKey}.mdn`, "MDN of the resend");
    // Its MDN event first (it failed to reach the partner), then its payload event.
    const mdnOfResend = mdnSent(c, p, { messageId: MSG, fileKey: resendKey, failed: true });
    expect(await invoke(mdnOfResend)).toEqual({ batchItemFailures: [] });
    const resend = payloadCompleted(c, p, {
      messageId: MSG,
      fileKey: resendKey,
      requesterFileName: "invoice-again.edi",
      start: "2026-11-22T18:30:00.000Z",
    });
    expect(await invoke(resend)).toEqual({ batchItemFailures: [] });
    const record = await readJson(aws, c.bucket, "as2gateway/ACME/PARTNER/inbox/_as2/invoice.edi.json");
    expect(record.mdn).toMatchObject({ status: "unknown", key: "as2gateway/ACME/PARTNER/inbox/_as2/invoice.edi.mdn" });
    expect(await read(aws, c.bucket, "as2gateway/ACME/PARTNER/inbox/_as2/invoice.edi.mdn")).toBe("MDN bytes");
    expect(await list(aws, c.bucket, p.inboundPrefix)).toEqual([]);
  });

  it("after the payload: a failed MDN marks the record so the user knows the partner may resend", async () => {
    const c = await setUpCustomer(aws, { layout: "as2gateway" });
    expect(await invoke(await transferReceives(c, "PARTNER", { fileName: "invoice.edi" }))).toEqual({
      batchItemFailures: [],
    });
    const p = c.partner("PARTNER");
    expect(
      await invoke(mdnSent(c, p, { messageId: MSG, fileKey: storedKey(p, "invoice.edi", MSG), failed: true })),
    ).toEqual({ batchItemFailures: [] });
    const record = await readJson(aws, c.bucket, "as2gateway/ACME/PARTNER/inbox/_as2/invoice.edi.json");
    expect(record.mdn).toMatchObject({
      status: "failed",
      note: MDN_FAILED_NOTE,
      key: "as2gateway/ACME/PARTNER/inbox/_as2/invoice.edi.mdn",
    });
    expect(record.status).toBe("received");
  });
});
