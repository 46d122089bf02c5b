/**
 * The conservation matrix, receive half (issue #11): for every step boundary of routing a received
 * payload (`handlers/receive/payload-received.ts`), the function stops there (an exception at that
 * point, or S3 failing that request), then SQS delivers the same Transfer event again three times
 * at once, and the reconciler runs. Where the invocation dies holding the routing lease (a timeout:
 * nothing releases it), the three deliveries are first told to retry, then come back after the
 * lease ran out and exactly one of them finishes the routing. After each run one check over the whole bucket: the message is
 * exactly once in inbox/ (nothing left in the agreement base directory), no routed key was written
 * twice (PUT count per key through the counting proxy), and every domain event points at a key
 * holding this message.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import * as routePayload from "../../handlers/receive/route-payload";
import * as messageIndex from "../../handlers/receive/message-index";
import { RECEIVE_LEASE_SECONDS } from "../../handlers/receive/message-index";
import * as destination from "../../handlers/shared/destination";
import { handler as reconcileHandler } from "../../handlers/receive/reconcile";
import { getItem } from "../../handlers/shared/ledger";
import { INBOUND_WORK_ROOT, isSidecarKey } from "../../model/layout";
import { BUCKET } from "../send/harness";
import { crashIn, expectNoOverwrite, routed, s3Fails, useMatrix } from "./matrix";
import type { WireRequest } from "./s3-wire";
import { expectIndexAgreesWithBucket, useIndex } from "./index-agreement";
import { deliver, inboundEvent, INBOX, transferStores } from "./receive-deliveries";

const m = useMatrix("as2gateway");
// With the REST API declared: the message index must agree with the bucket after every run.
const index = useIndex(m);

const work = (k: string) => k.startsWith(INBOUND_WORK_ROOT);
const inbox = (k: string) => routed(k) && /\/inbox\//.test(k);

/** The invocation dies (a timeout) after `arm`'s fault: its error handler never releases the lease. */
function dies(arm: () => void): () => void {
  return () => {
    arm();
    crashIn(messageIndex, "releaseRouting")();
  };
}

const statusDelete = (r: WireRequest) => r.op === "DeleteObject" && work(r.key) && r.key.endsWith(".json");
const payloadDelete = (r: WireRequest) =>
  r.op === "DeleteObject" && work(r.key) && !isSidecarKey(r.key) && !/\.(mdn|json)$/.test(r.key);

/** name, fault, and whether the lease stays held (then redeliveries wait for it to run out). */
const BOUNDARIES: ReadonlyArray<readonly [string, () => void, boolean]> = [
  ["before the message is claimed (with its inbox name)", crashIn(messageIndex, "startRoutingReserved"), false],
  ["after the claim, before the inbox key is reserved", crashIn(destination, "reserveDestination"), false],
  ["after the reservation, before it is recorded", crashIn(messageIndex, "recordRouting"), false],
  [
    "during the copy to inbox/",
    s3Fails(m, (r) => r.op === "CopyObject" && inbox(r.key) && !isSidecarKey(r.key)),
    false,
  ],
  ["after the copy, before the payload is deleted from the base directory", s3Fails(m, payloadDelete), false],
  ["during the MDN move", s3Fails(m, (r) => r.op === "CopyObject" && isSidecarKey(r.key)), false],
  ["after the MDN, before the record", s3Fails(m, (r) => r.op === "PutObject" && routed(r.key)), false],
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
    false,
  ],
  ["after the event, before Transfer's status file is dropped", s3Fails(m, statusDelete), false],
  ["after the event, before the state flips to received", crashIn(messageIndex, "markReceived"), false],
  // The invocation dies holding the lease: every delivery waits until it runs out, then one finishes.
  ["dead in routing after the copy (lease held)", dies(s3Fails(m, payloadDelete)), true],
  ["dead in routing before the state flips (lease held)", dies(crashIn(messageIndex, "markReceived")), true],
];

/** Steps only the step-by-step reservation has (a name that was taken when routing started). */
const STEP_BY_STEP = new Set([
  "after the claim, before the inbox key is reserved",
  "after the reservation, before it is recorded",
]);

// Name taken: another message of the same name is already in inbox/ (names must not collide
// either), so the inbox name is reserved step by step. Name free: it is reserved in the request
// that starts routing, and the copy's If-None-Match is the only check of the name.
const CASES = (["taken", "free"] as const).flatMap((taken) =>
  BOUNDARIES.filter(([name]) => taken === "taken" || !STEP_BY_STEP.has(name)).map(
    ([name, arm, held]) => [name, taken, arm, held] as const,
  ),
);

it.each(CASES.map(([name, taken, arm, held], i) => [name, taken, arm, held, i] as const))(
  "a received message stopped %s (inbox name %s) ends exactly once in inbox/",
  async (_name, taken, arm, held, i) => {
    const { h, wire } = m;
    const name = `order-${i}.edi`;
    const body = `received message ${i}`;
    const msgId = `conserved-${i}@partner`;
    if (taken === "taken")
      await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${INBOX}${name}`, Body: "an older message" }));
    const d = await transferStores(m, { messageId: msgId, fileName: name, body, start: "2026-11-22T17:54:32.123Z" });
    const key = d.key;
    arm();

    // First delivery (may stop at the boundary), then SQS delivers the same event three times at once.
    const ev = inboundEvent(d);
    const stopped = (await deliver(ev)).batchItemFailures.length;
    const finishers = jest.spyOn(routePayload, "routePayload");
    finishers.mockClear();
    const waiting = held ? await Promise.all([1, 2, 3].map(() => deliver(ev))) : [];
    const again = await Promise.all([1, 2, 3].map(() => deliver(ev, held ? RECEIVE_LEASE_SECONDS + 1 : 0)));
    const winners = finishers.mock.calls.length;
    // Later, the reconciler.
    h.at(new Date(), 20 * 60);
    await reconcileHandler({});

    // ---- the run did stop at the boundary (the test can fail)
    expect(stopped).toBe(1);
    // ---- while a dead invocation's lease runs, every delivery is told to retry later
    for (const r of waiting) expect(r.batchItemFailures).toHaveLength(1);
    // ---- then the redeliveries finished it: one of them (the lease's winner) routed it
    expect(again.filter((r) => r.batchItemFailures.length === 0).length).toBeGreaterThan(0);
    expect(winners).toBe(1);
    const indexed = await getItem(messageIndex.messagePk("a-partner", msgId));
    expect(indexed).toMatchObject({ state: "received" });
    expect(indexed).not.toHaveProperty("openKind");
    expect(indexed).not.toHaveProperty("leaseId");
    // ---- one check over the whole bucket
    const all = await h.keys("");
    // Nothing of the message is left in its base directory (what stays there is open work only).
    expect(all.filter((k) => k.startsWith(key.slice(0, key.lastIndexOf("/"))))).toEqual([]);
    const payloads = all.filter((k) => routed(k) && !isSidecarKey(k));
    const mine: string[] = [];
    for (const p of payloads) if ((await h.text(p)) === body) mine.push(p);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatch(/\/inbox\//);
    if (taken === "taken") expect(await h.text(`${INBOX}${name}`)).toBe("an older message");
    else expect(mine[0]).toBe(`${INBOX}${name}`);
    expectNoOverwrite(m);
    await expectIndexAgreesWithBucket(m, index.doc!);
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
