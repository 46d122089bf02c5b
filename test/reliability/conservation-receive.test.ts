/**
 * The conservation matrix, receive half (issue #11): for every step boundary of routing a received
 * payload (`handlers/receive/payload-received.ts`), the function stops there (an exception at that
 * point, or S3 failing that request), then SQS delivers the same Transfer event again three times
 * at once, and the reconciler runs. After each run one check over the whole bucket: the message is
 * exactly once in inbox/ (nothing left in the agreement base directory), no routed key was written
 * twice (PUT count per key through the counting proxy), and every domain event points at a key
 * holding this message.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { SQSEvent } from "aws-lambda";
import { handler as receiveHandler } from "../../handlers/receive/handler";
import * as messageIndex from "../../handlers/receive/message-index";
import * as destination from "../../handlers/shared/destination";
import { handler as reconcileHandler } from "../../handlers/send/reconcile";
import { getItem } from "../../handlers/shared/ledger";
import {
  INBOUND_WORK_ROOT,
  inboundSidecarKeys,
  inboundWorkPrefix,
  isSidecarKey,
  transferInboundKey,
} from "../../model/layout";
import { BUCKET } from "../send/harness";
import { crashIn, expectNoOverwrite, routed, s3Fails, useMatrix } from "./matrix";

const m = useMatrix("as2gateway");

const work = (k: string) => k.startsWith(INBOUND_WORK_ROOT);
const inbox = (k: string) => routed(k) && /\/inbox\//.test(k);

/** The first call of updateMessage that sets `state` to received fails. */
function crashBeforeReceived(): void {
  const real = messageIndex.updateMessage;
  let armed = true;
  jest.spyOn(messageIndex, "updateMessage").mockImplementation(async (pk, updates, expected) => {
    if (armed && (updates as { state?: string }).state === "received") {
      armed = false;
      throw new Error("stopped before the state flips to received");
    }
    return real(pk, updates, expected);
  });
}

const BOUNDARIES: ReadonlyArray<readonly [string, () => void]> = [
  ["before the message is claimed", crashIn(messageIndex, "createMessage")],
  ["after the claim, before the inbox key is reserved", crashIn(destination, "reserveDestination")],
  ["after the reservation, before it is recorded", crashIn(messageIndex, "updateMessage")],
  ["during the copy to inbox/", s3Fails(m, (r) => r.op === "CopyObject" && inbox(r.key) && !isSidecarKey(r.key))],
  [
    "after the copy, before the payload is deleted from the base directory",
    s3Fails(m, (r) => r.op === "DeleteObject" && work(r.key) && !isSidecarKey(r.key) && !/\.(mdn|json)$/.test(r.key)),
  ],
  ["during the MDN move", s3Fails(m, (r) => r.op === "CopyObject" && isSidecarKey(r.key))],
  ["after the MDN, before the record", s3Fails(m, (r) => r.op === "PutObject" && routed(r.key))],
  [
    "before the domain event is published",
    () =>
      m.h.eventBridge
        .on(PutEventsCommand)
        .rejectsOnce(new Error("EventBridge unavailable"))
        .callsFake((input: { Entries: unknown[] }) => ({
          FailedEntryCount: 0,
          Entries: input.Entries.map((_, n) => ({ EventId: `eb-${n}` })),
        })),
  ],
  ["after the event, before the state flips to received", crashBeforeReceived],
];

let sqsIds = 0;
function sqs(...events: unknown[]): SQSEvent {
  return {
    Records: events.map((e) => ({
      messageId: `r-${++sqsIds}`,
      receiptHandle: "rh",
      body: JSON.stringify(e),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "0",
        SenderId: "events",
        ApproximateFirstReceiveTimestamp: "0",
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:receive",
      awsRegion: "eu-west-1",
    })),
  };
}

/** `AS2 Payload Receive Completed` for a payload Transfer stored at `key`. */
function completed(key: string, messageId: string, fileName: string): Record<string, unknown> {
  return {
    version: "0",
    id: `ev-${messageId}`,
    "detail-type": "AS2 Payload Receive Completed",
    source: "aws.transfer",
    time: "2026-11-22T17:54:33Z",
    detail: {
      "s3-attributes": { "file-bucket": BUCKET, "file-key": `/${key}` },
      "requester-file-name": fileName,
      "as2-from": "PARTNER",
      "as2-to": "ACME",
      "as2-message-id": messageId,
      "start-timestamp": "2026-11-22T17:54:32.123Z",
      "end-timestamp": "2026-11-22T17:54:33.001Z",
      "status-code": "COMPLETED",
      "agreement-id": "a-partner",
    },
  };
}

it.each(BOUNDARIES.map(([name, arm], i) => [name, arm, i] as const))(
  "a received message stopped %s ends exactly once in inbox/",
  async (_name, arm, i) => {
    const { h, wire } = m;
    const name = `order-${i}.edi`;
    const body = `received message ${i}`;
    const msgId = `conserved-${i}@partner`;
    const key = transferInboundKey(
      inboundWorkPrefix({ station: "ACME", partner: "PARTNER" }),
      "processed",
      name,
      msgId,
    );
    const side = inboundSidecarKeys(key);
    const put = (k: string, b: string) => h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: b }));
    // Another message of the same name is already in inbox/: names must not collide either.
    await put(`as2gateway/ACME/PARTNER/inbox/${name}`, "an older message");
    await put(key, body);
    await put(side.mdn, `MDN of ${msgId}`);
    await put(
      side.status,
      JSON.stringify({
        "as2-message-id": msgId,
        "requester-file-name": name,
        "status-code": "COMPLETED",
        "as2-from": "PARTNER",
        "as2-to": "ACME",
        "start-timestamp": "2026-11-22T17:54:32.123Z",
        timestamp: "2026-11-22T17:54:33.001Z",
      }),
    );
    for (const k of [key, side.mdn, side.status]) wire.bump(k);
    arm();

    // First delivery (may stop at the boundary), then SQS delivers the same event three times at once.
    const ev = completed(key, msgId, name);
    const stopped = (await receiveHandler(sqs(ev))).batchItemFailures.length;
    const again = await Promise.all([1, 2, 3].map(() => receiveHandler(sqs(ev))));
    // Later, the reconciler.
    h.at(new Date(), 20 * 60);
    await reconcileHandler({});

    // ---- the run did stop at the boundary (the test can fail)
    expect(stopped).toBe(1);
    // ---- the redeliveries finished it (a concurrent one may be told to retry; the others succeed)
    expect(again.filter((r) => r.batchItemFailures.length === 0).length).toBeGreaterThan(0);
    expect(await getItem(messageIndex.messagePk("a-partner", msgId))).toMatchObject({ state: "received" });
    // ---- one check over the whole bucket
    const all = await h.keys("");
    expect(all).not.toContain(key);
    const payloads = all.filter((k) => routed(k) && !isSidecarKey(k));
    const mine: string[] = [];
    for (const p of payloads) if ((await h.text(p)) === body) mine.push(p);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/\/inbox\//);
    expect(await h.text(`as2gateway/ACME/PARTNER/inbox/${name}`)).toBe("an older message");
    expectNoOverwrite(m);
    // Every conditional write into the user's area said If-None-Match: *.
    for (const r of wire.requests)
      if ((r.op === "PutObject" || r.op === "CopyObject") && routed(r.key) && r.status === 200)
        expect({ key: r.key, ifNoneMatch: r.ifNoneMatch }).toEqual({ key: r.key, ifNoneMatch: "*" });
    const events = h.domainEvents();
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
    for (const e of events) {
      expect(e.eventType).toBe("MESSAGE.RECEIVED.SUCCESS");
      expect(await h.text(e.attachments[0]!.key)).toBe(body);
    }
  },
);
