/**
 * The requests of one received message, pinned (issue 17): the receive path used to make 10 S3 and
 * 8 DynamoDB requests per message; a request added back shows here first. Real handler, s3rver
 * behind the wire proxy (which answers conditional requests as S3 does and records each request)
 * and dynalite; Transfer's part played by storing what it stores: the payload, the MDN we sent and
 * the status file beside it.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  ROUTING_DOCUMENT_KEY,
  inboundSidecarKeys,
  inboxKey,
  isSidecarKey,
  mdnKey,
  recordKey,
} from "../../model/layout";
import { getItem } from "../../handlers/shared/ledger";
import { messagePk } from "../../handlers/receive/message-index";
import type { LocalAws } from "../helpers/local-servers";
import type { S3Wire, WireRequest } from "../reliability/s3-wire";
import {
  acceptAllEvents,
  invoke,
  mdnSent,
  payloadCompleted,
  publishedEvents,
  put,
  read,
  readJson,
  setUpCustomer,
  startReceiveAws,
  storedKey,
  userKeys,
} from "./harness";

let aws: LocalAws & { readonly wire: S3Wire };
beforeAll(async () => {
  aws = await startReceiveAws();
});
afterAll(() => aws.stop());
beforeEach(() => {
  acceptAllEvents();
  aws.wire.reset();
});

const START = "2026-11-22T17:54:32.123Z";
const DISPOSITION = "automatic-action/MDN-sent-automatically; processed";

/** The S3 requests of the message (the routing document is read once per container, not per message). */
const ofMessage = (): WireRequest[] => aws.wire.requests.filter((r) => r.key !== ROUTING_DOCUMENT_KEY);

/** DynamoDB requests the handler makes while `fn` runs, by operation. */
async function dynamoRequests(fn: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(DynamoDBClient.prototype, "send");
  try {
    await fn();
    return spy.mock.calls.map((c) => (c[0] as object).constructor.name.replace(/Command$/, ""));
  } finally {
    spy.mockRestore();
  }
}

/** One received message as Transfer leaves it, then its event handled once. */
async function receiveOne(layout: "mftgateway" | "as2gateway", messageId: string) {
  const c = await setUpCustomer(aws, { layout });
  const p = c.partner("PARTNER");
  const key = storedKey(p, "orders.edi", messageId);
  const side = inboundSidecarKeys(key);
  await put(aws, c.bucket, key, "UNA:+.? 'UNB+UNOC:3+PARTNER+ACME'");
  await put(aws, c.bucket, side.mdn, `MDN of ${messageId}`);
  await put(
    aws,
    c.bucket,
    side.status,
    JSON.stringify({ "as2-message-id": messageId, "start-timestamp": START, disposition: DISPOSITION }),
  );
  const event = payloadCompleted(c, p, { messageId, fileKey: key, requesterFileName: "orders.edi", start: START });
  aws.wire.reset();
  const dynamo = await dynamoRequests(async () => expect(await invoke(event)).toEqual({ batchItemFailures: [] }));
  const item = await getItem<{ pk: string; dest: string; mdnDest?: string; disposition?: string }>(
    messagePk(p.agreementId, messageId),
  );
  const dest = item!.dest;
  /** Each S3 request as `<operation> <what>` (the object's role in this message). */
  const role = (r: WireRequest): string => {
    const what: Record<string, string> = {
      [key]: "payload",
      [side.mdn]: "mdn",
      [side.status]: "status",
      [dest]: "inbox",
      [mdnKey(dest)]: "inbox-mdn",
      [recordKey(dest)]: "record",
    };
    return `${r.op} ${what[r.key] ?? r.key} ${r.status}`;
  };
  return { c, key, side, dest, item: item!, s3: ofMessage().map(role), wire: ofMessage(), dynamo };
}

it("mftgateway: 8 S3 requests (each one does the work or pins what the work needs) and 4 DynamoDB requests", async () => {
  const r = await receiveOne("mftgateway", "req-1@partner");
  expect(r.s3).toEqual([
    // Pins the payload's version/ETag in the index (the event names a key only).
    "HeadObject payload 200",
    // The move: copy conditional on that version and on a free name, delete of exactly what was copied.
    "CopyObject inbox 200",
    "DeleteObject payload 204",
    // The MDN joins the payload: copy first (a 404 would say there is none), then its exact delete.
    "CopyObject inbox-mdn 200",
    "DeleteObject mdn 204",
    // Transfer's status file: its disposition goes into the index and the record.
    "GetObject status 200",
    "PutObject record 200",
    "DeleteObject status 204",
  ]);
  expect(r.dynamo).toEqual([
    "GetItem", // the message index: new message
    "TransactWriteItems", // routing starts, the inbox name reserved
    "UpdateItem", // what only the status file said (its disposition), before the file is dropped
    "UpdateItem", // received
  ]);
  // Every guarantee's request kept its condition.
  const copy = r.wire.find((w) => w.op === "CopyObject" && w.key === r.dest);
  expect(copy).toMatchObject({ ifNoneMatch: "*", copySourceIfMatch: expect.any(String) });
  expect(r.wire.find((w) => w.op === "DeleteObject" && w.key === r.key)?.ifMatch).toBe(copy!.copySourceIfMatch);
  expect(r.wire.find((w) => w.op === "CopyObject" && w.key === mdnKey(r.dest))?.ifNoneMatch).toBe("*");
  for (const k of [r.side.mdn, r.side.status])
    expect(r.wire.find((w) => w.op === "DeleteObject" && w.key === k)?.ifMatch).toMatch(/^"/);
  expect(r.wire.find((w) => w.op === "PutObject")?.ifNoneMatch).toBe("*");
  // And the work is done.
  expect(r.item).toMatchObject({ state: "received", mdnDest: mdnKey(r.dest), disposition: DISPOSITION });
  expect(await read(aws, r.c.bucket, mdnKey(r.dest))).toBe("MDN of req-1@partner");
  expect(await readJson(aws, r.c.bucket, recordKey(r.dest))).toMatchObject({
    status: "received",
    mdn: { key: mdnKey(r.dest), disposition: DISPOSITION },
  });
  expect((await userKeys(aws, r.c.bucket)).filter((k) => !isSidecarKey(k))).toEqual([r.dest]);
  expect(publishedEvents().map((e) => e.eventType)).toEqual(["MESSAGE.RECEIVED.SUCCESS"]);
});

it("without an MDN or status file (the bench's message): 6 S3 and 3 DynamoDB requests", async () => {
  const c = await setUpCustomer(aws, { layout: "mftgateway" });
  const p = c.partner("PARTNER");
  const key = storedKey(p, "bare.edi", "req-2@partner");
  await put(aws, c.bucket, key, "bare");
  const event = payloadCompleted(c, p, { messageId: "req-2@partner", fileKey: key, start: START });
  aws.wire.reset();
  const dynamo = await dynamoRequests(async () => expect(await invoke(event)).toEqual({ batchItemFailures: [] }));
  expect(ofMessage().map((w) => `${w.op} ${w.status}`)).toEqual([
    "HeadObject 200",
    "CopyObject 200",
    "DeleteObject 204",
    "CopyObject 404", // no MDN beside it: nothing more to ask
    "GetObject 404", // no status file: nothing to drop
    "PutObject 200",
  ]);
  expect(dynamo).toEqual(["GetItem", "TransactWriteItems", "UpdateItem"]);
});

it("as2gateway plain names: one HeadObject more, of the name any message may get, before it is reserved", async () => {
  const r = await receiveOne("as2gateway", "req-3@partner");
  expect(r.dest).toBe("as2gateway/ACME/PARTNER/inbox/orders.edi");
  expect(r.s3).toEqual([
    "HeadObject payload 200",
    // Free when reserved: only then is an object found there later this delivery's own copy.
    "HeadObject inbox 404",
    "CopyObject inbox 200",
    "DeleteObject payload 204",
    "CopyObject inbox-mdn 200",
    "DeleteObject mdn 204",
    "GetObject status 200",
    "PutObject record 200",
    "DeleteObject status 204",
  ]);
  expect(r.dynamo).toEqual(["GetItem", "TransactWriteItems", "UpdateItem", "UpdateItem"]);
});

it("the MDN Send Completed event after the routing: 1 S3 request (the record) and 2 DynamoDB requests", async () => {
  const r = await receiveOne("mftgateway", "req-6@partner");
  const p = r.c.partner("PARTNER");
  const event = mdnSent(r.c, p, { messageId: "req-6@partner", fileKey: r.key, start: START });
  aws.wire.reset();
  const dynamo = await dynamoRequests(async () => expect(await invoke(event)).toEqual({ batchItemFailures: [] }));
  // The MDN was moved with the payload (the index says where): nothing to look for.
  expect(ofMessage().map((w) => `${w.op} ${w.key === recordKey(r.dest) ? "record" : w.key} ${w.status}`)).toEqual([
    "PutObject record 200",
  ]);
  // The update answers with the item it wrote (ReturnValues ALL_NEW): no read after it.
  expect(dynamo).toEqual(["GetItem", "UpdateItem"]);
  expect(await readJson(aws, r.c.bucket, recordKey(r.dest))).toMatchObject({
    mdn: { status: "sent", key: mdnKey(r.dest) },
  });
});

describe("what the removed requests checked is still checked", () => {
  it("mftgateway: an object a user put at exactly the message's inbox key is not replaced (the copy's 412), the message takes the next name", async () => {
    const c = await setUpCustomer(aws, { layout: "mftgateway" });
    const p = c.partner("PARTNER");
    const messageId = "req-4@partner";
    const key = storedKey(p, "taken.edi", messageId);
    await put(aws, c.bucket, key, "the message");
    const route = { station: p.station, partner: p.partner, test: p.test };
    const file = { route, fileName: "taken.edi", at: new Date(START), seed: messageId };
    const own = inboxKey("mftgateway", file);
    await put(aws, c.bucket, own, "a user's file");
    const event = payloadCompleted(c, p, { messageId, fileKey: key, requesterFileName: "taken.edi", start: START });
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    const next = inboxKey("mftgateway", { ...file, seed: `${messageId}#1` }, "plain", 1);
    expect(await read(aws, c.bucket, own)).toBe("a user's file");
    expect(await read(aws, c.bucket, next)).toBe("the message");
    expect(await getItem(messagePk(p.agreementId, messageId))).toMatchObject({ state: "received", dest: next });
    expect(ofMessage().filter((w) => w.op === "CopyObject" && w.key === own)).toMatchObject([{ status: 412 }]);
    expect(await read(aws, c.bucket, key)).toBeUndefined();
  });

  it("a status file that a resend's replaced after it was read stays for that resend (the delete is If-Match its ETag)", async () => {
    const c = await setUpCustomer(aws, { layout: "mftgateway" });
    const p = c.partner("PARTNER");
    const messageId = "req-5@partner";
    const key = storedKey(p, "s.edi", messageId);
    const side = inboundSidecarKeys(key);
    await put(aws, c.bucket, key, "first");
    await put(aws, c.bucket, side.status, JSON.stringify({ "start-timestamp": START, disposition: DISPOSITION }));
    const resent = JSON.stringify({ "start-timestamp": "2026-11-22T18:00:00.000Z", disposition: "resent" });
    aws.wire.hooks.push({
      when: (w) => w.op === "DeleteObject" && w.key === side.status,
      run: () => put(aws, c.bucket, side.status, resent),
    });
    const event = payloadCompleted(c, p, { messageId, fileKey: key, requesterFileName: "s.edi", start: START });
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });
    expect(await read(aws, c.bucket, side.status)).toBe(resent);
    const item = await getItem<{ pk: string; dest: string }>(messagePk(p.agreementId, messageId));
    expect(await readJson(aws, c.bucket, recordKey(item!.dest))).toMatchObject({ mdn: { disposition: DISPOSITION } });
  });
});
