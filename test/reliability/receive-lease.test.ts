/**
 * Issue #11, the receive `routing` state under a lease: a first delivery whose invocation died in
 * `routing` (its event then waiting in the dead-letter queue) used to block every resend of the
 * message id forever. Now the next comer, once the lease ran out, finishes that delivery from what
 * its index item recorded and only then judges itself (a resend: a duplicate). Run against the
 * matrix harness: s3rver behind the counting proxy (versioned play), dynalite, the real handlers.
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import * as messageIndex from "../../handlers/receive/message-index";
import { RECEIVE_LEASE_SECONDS, messagePk } from "../../handlers/receive/message-index";
import * as routePayload from "../../handlers/receive/route-payload";
import { DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import { getItem, tableClient, tableName } from "../../handlers/shared/ledger";
import { destinationPk } from "../../handlers/shared/destination";
import { handler as reconcileHandler, reconcile } from "../../handlers/receive/reconcile";
import { now as clock } from "../../handlers/shared/clock";
import { defaultContext } from "../../handlers/receive/handler";
import { isSidecarKey, recordKey } from "../../model/layout";
import {
  RECEIVE_FUNCTION_TIMEOUT_SECONDS,
  RECEIVE_VISIBILITY_TIMEOUT_SECONDS,
} from "../../stacks/pipelines/receive-pipeline";
import { BUCKET } from "../send/harness";
import { crashIn, expectNoOverwrite, routed, s3Fails, useMatrix } from "./matrix";
import { AGREEMENT, BASE_DIR, INBOX, deliver, inboundEvent, mdnSentEvent, transferStores } from "./receive-deliveries";
import type { WireRequest } from "./s3-wire";

const m = useMatrix("as2gateway");
const AFTER_LEASE = RECEIVE_LEASE_SECONDS + 1;
const FIRST = "2026-11-22T17:54:32.123Z";
const RESENT = "2026-11-22T18:40:00.000Z";

const payloadCopy = (r: WireRequest) => r.op === "CopyObject" && r.key.startsWith(INBOX) && !isSidecarKey(r.key);
const payloadDelete = (r: WireRequest) =>
  r.op === "DeleteObject" && r.key.startsWith(BASE_DIR) && !/\.(mdn|json)$/.test(r.key);

/** The invocation dies after `arm`'s fault (a timeout): the lease is never released. */
function diesAfter(arm: () => void): void {
  arm();
  crashIn(messageIndex, "releaseRouting")();
}

/** Payloads (not sidecars) in routed folders holding `body`. */
async function copiesOf(body: string, folder: "inbox" | "failed"): Promise<string[]> {
  const found: string[] = [];
  for (const k of await m.h.keys("as2gateway/"))
    if (!isSidecarKey(k) && k.includes(`/${folder}/`) && (await m.h.text(k)) === body) found.push(k);
  return found;
}

/** Keys under `prefix` of one message (the bucket is shared by the tests of this file). */
async function leftIn(prefix: string, msgId: string): Promise<string[]> {
  return (await m.h.keys(prefix)).filter((k) => k.includes(msgId));
}

const ok = (r: { batchItemFailures: unknown[] }) => r.batchItemFailures.length === 0;

describe("a first delivery that died in routing", () => {
  it("crash in routing, then the partner's resend (other bytes, same key): the resend finishes the first, exactly one copy in inbox/, the resend recorded as a duplicate", async () => {
    const msgId = "lease-1@partner";
    const first = await transferStores(m, { messageId: msgId, fileName: "po.edi", body: "first bytes", start: FIRST });
    diesAfter(s3Fails(m, payloadDelete)); // copied to inbox/, not yet deleted from the base directory
    expect(ok(await deliver(inboundEvent(first)))).toBe(false);
    const firstVersion = m.wire.currentVersion(first.key);
    // The partner never got an MDN and resends; Transfer stores it under the same key.
    const resend = await transferStores(m, {
      messageId: msgId,
      fileName: "po.edi",
      body: "other bytes",
      start: RESENT,
    });
    expect(resend.key).toBe(first.key);

    // While the dead invocation's lease runs, the resend is told to retry and changes nothing.
    const before = await m.h.keys("");
    expect(ok(await deliver(inboundEvent(resend)))).toBe(false);
    expect(await m.h.keys("")).toEqual(before);

    // Its retry after the lease: the first delivery is finished, then the resend judged.
    expect(await deliver(inboundEvent(resend), AFTER_LEASE)).toEqual({ batchItemFailures: [] });
    expect(await deliver(inboundEvent(resend), AFTER_LEASE)).toEqual({ batchItemFailures: [] });

    expect(await copiesOf("first bytes", "inbox")).toEqual([`${INBOX}po.edi`]);
    expect(await copiesOf("other bytes", "inbox")).toEqual([]);
    const [kept] = await copiesOf("other bytes", "failed");
    expect(kept).toBeDefined();
    expect(await m.h.json(recordKey(kept!))).toMatchObject({
      status: "failed",
      reason: { failureCode: "DUPLICATE_MESSAGE_ID" },
      duplicateOf: { key: `${INBOX}po.edi` },
    });
    // The first delivery's record is its own: not the resend's status file.
    expect(await m.h.json(recordKey(`${INBOX}po.edi`))).toMatchObject({ status: "received", as2MessageId: msgId });
    expect(await leftIn(BASE_DIR, msgId)).toEqual([]);
    // The takeover looked for the first delivery's own version, not whatever the key held.
    expect(m.wire.requests.some((r) => r.op === "HeadObject" && r.versionId === firstVersion)).toBe(true);
    expectNoOverwrite(m);
    const events = m.h.domainEvents().map((e) => [e.eventType, e.attachments[0]?.key]);
    expect(new Set(events.map((e) => JSON.stringify(e)))).toEqual(
      new Set([
        JSON.stringify(["MESSAGE.RECEIVED.SUCCESS", `${INBOX}po.edi`]),
        JSON.stringify(["MESSAGE.RECEIVED.FAILED", kept]),
      ]),
    );
    expect(await getItem(messagePk(AGREEMENT, msgId))).toMatchObject({ state: "received", dest: `${INBOX}po.edi` });
  });

  it("crash before the copy, then an identical resend: the first delivery's own payload lands in inbox/ once, the resend is dropped as a duplicate", async () => {
    const msgId = "lease-2@partner";
    const first = await transferStores(m, { messageId: msgId, fileName: "inv.edi", body: "same", start: FIRST });
    diesAfter(s3Fails(m, payloadCopy)); // routing started, the name reserved, nothing copied
    expect(ok(await deliver(inboundEvent(first)))).toBe(false);
    // Stored under another name this time (Transfer's names need not repeat).
    const resend = await transferStores(m, {
      messageId: msgId,
      fileName: "inv-again.edi",
      body: "same",
      start: RESENT,
    });

    expect(await deliver(inboundEvent(resend), AFTER_LEASE)).toEqual({ batchItemFailures: [] });

    expect(await copiesOf("same", "inbox")).toEqual([`${INBOX}inv.edi`]);
    expect(await copiesOf("same", "failed")).toEqual([]);
    expect(await leftIn(BASE_DIR, msgId)).toEqual([]);
    // The first delivery's exact version was copied and deleted.
    const copy = m.wire.requests.find((r) => r.op === "CopyObject" && r.key === `${INBOX}inv.edi`);
    expect(copy?.copySource).toContain("versionId=");
    expect(m.h.domainEvents().map((e) => e.eventType)).toEqual(["MESSAGE.RECEIVED.SUCCESS"]);
    expectNoOverwrite(m);
  });

  it("concurrent ×3 after the lease ran out (the first's redelivery, the resend, an MDN event): one winner routes it, one copy in inbox/", async () => {
    const msgId = "lease-3@partner";
    const first = await transferStores(m, { messageId: msgId, fileName: "x.edi", body: "x1", start: FIRST });
    diesAfter(crashIn(messageIndex, "markReceived")); // everything done but the state flip
    expect(ok(await deliver(inboundEvent(first)))).toBe(false);
    const resend = await transferStores(m, { messageId: msgId, fileName: "x-2.edi", body: "x1", start: RESENT });
    const finishers = jest.spyOn(routePayload, "routePayload");
    const takeovers = jest.spyOn(messageIndex, "takeOverRouting");

    const events = [inboundEvent(first), inboundEvent(resend), mdnSentEvent(first)];
    let results = await Promise.all(events.map((e) => deliver(e, AFTER_LEASE)));
    expect(finishers).toHaveBeenCalledTimes(1);
    const won = await Promise.all(takeovers.mock.results.map((r) => r.value as Promise<boolean>));
    expect(won.filter(Boolean)).toHaveLength(1);
    // The others were told to retry (or found it done): their retries change nothing twice.
    for (let round = 0; round < 2 && results.some((r) => !ok(r)); round++)
      results = await Promise.all(
        events.map(async (e, n) => (ok(results[n]!) ? results[n]! : deliver(e, AFTER_LEASE))),
      );
    expect(results.every(ok)).toBe(true);
    expect(finishers).toHaveBeenCalledTimes(1);

    expect(await copiesOf("x1", "inbox")).toEqual([`${INBOX}x.edi`]);
    expect(await leftIn(BASE_DIR, msgId)).toEqual([]);
    // The record is the gateway's own: an MDN event rewrites it with the MDN status (mdn-sent.ts).
    for (const [k, n] of m.wire.writesPerKey())
      if (routed(k)) expect({ k, n }).toEqual({ k, n: k === recordKey(`${INBOX}x.edi`) ? n : 1 });
    const success = m.h.domainEvents().filter((e) => e.eventType === "MESSAGE.RECEIVED.SUCCESS");
    expect(new Set(success.map((e) => e.eventId)).size).toBe(1);
    expect(await getItem(messagePk(AGREEMENT, msgId))).toMatchObject({ state: "received", mdn: { status: "sent" } });
  });

  it("a resend whose first delivery left nothing to route (its payload gone, no copy in inbox/) becomes the delivery that counts", async () => {
    const msgId = "lease-4@partner";
    const first = await transferStores(m, { messageId: msgId, fileName: "g.edi", body: "lost", start: FIRST });
    diesAfter(s3Fails(m, payloadCopy)); // routing started, the name reserved, nothing copied
    expect(ok(await deliver(inboundEvent(first)))).toBe(false);
    await m.h.aws.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: first.key }));
    const resend = await transferStores(m, { messageId: msgId, fileName: "g2.edi", body: "resent", start: RESENT });

    expect(await deliver(inboundEvent(resend), AFTER_LEASE)).toEqual({ batchItemFailures: [] });

    expect(await copiesOf("resent", "inbox")).toHaveLength(1);
    expect(await getItem(messagePk(AGREEMENT, msgId))).toMatchObject({ state: "received", sourceKey: resend.key });
  });
});

describe("after an upgrade", () => {
  it("a message the previous version left in routing (no lease, no routingTo recorded) is taken over by the next delivery at once", async () => {
    const msgId = "lease-7@partner";
    const first = await transferStores(m, { messageId: msgId, fileName: "old.edi", body: "old", start: FIRST });
    diesAfter(s3Fails(m, payloadCopy)); // routing started, the name reserved, nothing copied
    expect(ok(await deliver(inboundEvent(first)))).toBe(false);
    // What the previous version wrote: state routing, its source fields, nothing of the lease.
    const pk = messagePk(AGREEMENT, msgId);
    const legacy = {
      leaseId: undefined,
      leaseUntil: undefined,
      routingTo: undefined,
      openKind: undefined,
      openSince: undefined,
      at: undefined,
    };
    expect(await messageIndex.updateMessage(pk, legacy, { state: "routing" })).toBe(true);

    expect(await deliver(inboundEvent(first))).toEqual({ batchItemFailures: [] });
    expect(await copiesOf("old", "inbox")).toEqual([`${INBOX}old.edi`]);
    expect(await getItem(pk)).toMatchObject({ state: "received" });
  });
});

describe("after reservations ran out (a message waited days in a dead-letter queue)", () => {
  it("a resend kept in failed/ whose copy was made before the stop is not copied a second time", async () => {
    const msgId = "lease-8@partner";
    const first = await transferStores(m, { messageId: msgId, fileName: "d.edi", body: "d1", start: FIRST });
    expect(await deliver(inboundEvent(first))).toEqual({ batchItemFailures: [] });
    const resend = await transferStores(m, { messageId: msgId, fileName: "d-2.edi", body: "d2", start: RESENT });
    m.wire.faults.push({
      when: (r) => r.op === "DeleteObject" && r.key === resend.key,
      status: 500,
      code: "InternalError",
    });
    expect(ok(await deliver(inboundEvent(resend)))).toBe(false);
    const [copy] = await copiesOf("d2", "failed");
    expect(copy).toBeDefined();
    // The reservation's item expired (TTL) while the event waited.
    await tableClient().send(
      new DeleteItemCommand({ TableName: tableName(), Key: { pk: { S: destinationPk(copy!) } } }),
    );

    expect(await deliver(inboundEvent(resend))).toEqual({ batchItemFailures: [] });
    expect(await copiesOf("d2", "failed")).toEqual([copy]);
    expect(await leftIn(BASE_DIR, msgId)).toEqual([]);
    expectNoOverwrite(m);
  });
});

describe("the reconciler", () => {
  it("finishes a message whose routing stopped after its payload left the base directory (nothing left to list) and reports its age meanwhile", async () => {
    const msgId = "lease-5@partner";
    const first = await transferStores(m, { messageId: msgId, fileName: "r.edi", body: "r", start: FIRST });
    diesAfter(crashIn(messageIndex, "markReceived"));
    const started = new Date();
    m.h.at(started, 0);
    expect(ok(await deliver(inboundEvent(first)))).toBe(false);
    expect(await leftIn(BASE_DIR, msgId)).toEqual([]);

    // Within the lease: left alone, but visible as open receive work.
    m.h.at(started, 5 * 60);
    const waiting = await reconcile({ ...(await defaultContext()), now: clock });
    expect(waiting.receivedRouted).toBe(0);
    expect(waiting.oldestReceiveSeconds).toBeGreaterThanOrEqual(5 * 60 - 5);
    expect(await getItem(messagePk(AGREEMENT, msgId))).toMatchObject({ state: "routing" });

    m.h.at(started, 20 * 60);
    const done = await reconcileHandler({});
    expect(done).toMatchObject({ receivedRouted: 1, errors: 0, oldestReceiveSeconds: 0 });
    const item = await getItem(messagePk(AGREEMENT, msgId));
    expect(item).toMatchObject({ state: "received", dest: `${INBOX}r.edi` });
    expect(item).not.toHaveProperty("openKind");
    expect(await copiesOf("r", "inbox")).toEqual([`${INBOX}r.edi`]);
    expect(m.h.domainEvents().every((e) => e.eventType === "MESSAGE.RECEIVED.SUCCESS")).toBe(true);
  });

  it("finishes a failed receipt whose routing stopped, into failed/ with its reason", async () => {
    const msgId = "lease-6@partner";
    const d = await transferStores(m, {
      messageId: msgId,
      fileName: "bad.edi",
      body: "undecryptable",
      start: FIRST,
      outcome: "failed",
    });
    diesAfter(crashIn(messageIndex, "markFailed"));
    const started = new Date();
    m.h.at(started, 0);
    expect(ok(await deliver(inboundEvent(d, true)))).toBe(false);

    m.h.at(started, 20 * 60);
    expect(await reconcileHandler({})).toMatchObject({ errors: 0 });
    const item = await getItem(messagePk(AGREEMENT, msgId));
    expect(item).toMatchObject({ state: "failed", failureCode: "DECRYPT_FAILED" });
    const [kept] = await copiesOf("undecryptable", "failed");
    expect(kept).toBe(item!.dest);
    expect(await m.h.json(recordKey(kept!))).toMatchObject({ status: "failed" });
    expect(routed(kept!)).toBe(true);
  });
});

it("the lease outlives one receive invocation and runs out before SQS's first retry of a blocked delivery", () => {
  expect(RECEIVE_LEASE_SECONDS).toBeGreaterThan(RECEIVE_FUNCTION_TIMEOUT_SECONDS);
  // The reconciler (timeout 300 s, stacks/pipelines/reconciler.ts) may hold it too.
  expect(RECEIVE_LEASE_SECONDS).toBeGreaterThan(300);
  expect(RECEIVE_LEASE_SECONDS).toBeLessThan(RECEIVE_VISIBILITY_TIMEOUT_SECONDS);
});
