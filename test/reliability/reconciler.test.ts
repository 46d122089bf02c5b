/**
 * Issue #11, the reconciler: work whose continuation or Transfer event never came is finished from
 * the table's open-work index and Transfer's own status files; nothing waits forever.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import * as claims from "../../handlers/send/claims";
import { handler as reconcileHandler } from "../../handlers/send/reconcile";
import { handler as reconcileReceived } from "../../handlers/receive/reconcile";
import {
  LAST_RUN_PK,
  MAX_REQUEUES,
  REQUEUE_FIELDS,
  REQUEUE_WINDOW_SECONDS,
  openWork,
  requeuePk,
  takeRequeueTurn,
} from "../../handlers/shared/open-work";
import { logger } from "../../handlers/shared/logger";
import { deliver } from "./receive-deliveries";
import { getItem, putIfAbsent } from "../../handlers/shared/ledger";
import { isSidecarKey, keyBaseName, mdnKey, transferInboundKey, inboundWorkPrefix } from "../../model/layout";
import { OLDEST_OPEN_WORK_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import { SendHarness, BUCKET } from "../send/harness";
import { RECEIVE_MAX_RECEIVE_COUNT, RECEIVE_VISIBILITY_TIMEOUT_SECONDS } from "../../stacks/pipelines/receive-pipeline";

let h: SendHarness;
const write = jest.spyOn(process.stdout, "write");
/** What the reconcilers log as stuck (and anything else they log as an error). */
const errors = jest.spyOn(logger, "error");

beforeAll(async () => {
  h = await SendHarness.start();
});
afterAll(() => h.stop());
beforeEach(() => {
  h.reset();
  write.mockImplementation(() => true); // the reconciler's metric lines
  errors.mockClear();
});
afterEach(() => write.mockReset());

const reconcile = () => reconcileHandler({});
const PROCESSED = "automatic-action/MDN-sent-automatically; processed";

/** The age of the oldest open work the last run of `direction` published. */
function lastOldest(direction: string): number {
  const lines = write.mock.calls
    .map((c) => String(c[0]))
    .filter((l) => l.includes(OLDEST_OPEN_WORK_METRIC) && l.includes(`"Direction":"${direction}"`));
  return (JSON.parse(lines.at(-1)!) as Record<string, number>)[OLDEST_OPEN_WORK_METRIC]!;
}

/** A received payload (and its MDN and status file) left in the base directory, its event lost. */
async function receivedWithLostEvent(msgId: string, name: string) {
  const prefix = inboundWorkPrefix({ station: "ACME", partner: "PARTNER" });
  const key = transferInboundKey(prefix, "processed", name, msgId);
  await put(key, `UNB+${msgId}`);
  await put(`${key}.mdn`, "MDN we sent");
  await put(
    `${key}.json`,
    JSON.stringify({
      "as2-message-id": msgId,
      "requester-file-name": name,
      "status-code": "COMPLETED",
      "as2-from": "PARTNER",
      "as2-to": "ACME",
      timestamp: "2026-11-22T17:54:32.123Z",
    }),
  );
  return key;
}

async function put(key: string, body: string) {
  await h.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function sendOne(name: string) {
  const o = await h.upload(`AS2/send/ACME/PARTNER/${name}`, `payload ${name}`);
  h.at(o.lastModified!, 16);
  expect((await h.settle(h.s3Event(o))).batchItemFailures).toEqual([]);
  const staged = h.transfers.at(-1)!.SendFilePaths![0]!.slice(`/${BUCKET}/`.length);
  return { staged, tid: h.transferIds.at(-1)! };
}

/** What Transfer writes beside a sent file when it has the partner's answer (DESIGN.md, "file names"). */
async function transferWritesStatus(
  staged: string,
  tid: string,
  status: Record<string, unknown>,
  folder = "processed",
) {
  const dir = staged.slice(0, staged.lastIndexOf("/") + 1);
  const name = keyBaseName(staged);
  const dot = name.lastIndexOf(".");
  const stem = `${dir}${folder}/${name.slice(0, dot)}.${tid}.${tid}-msg@acme${name.slice(dot)}`;
  await put(
    `${stem}.json`,
    JSON.stringify({
      "transfer-id": tid,
      "file-path": `/${BUCKET}/${staged}`,
      "as2-message-id": `${tid}-msg@acme`,
      ...status,
    }),
  );
  await put(`${stem}.mdn`, `MDN of ${tid}`);
}

describe("the reconciler (issue #11)", () => {
  it("writes the age of the oldest open work as EMF lines in the customer's namespace (model/metrics.ts)", async () => {
    await reconcile();
    await reconcileReceived({});
    const lines = write.mock.calls
      .map((c) => String(c[0]))
      .filter((l) => l.includes(OLDEST_OPEN_WORK_METRIC))
      .map((l) => JSON.parse(l) as { _aws: { CloudWatchMetrics: { Namespace: string }[] }; Direction: string });
    expect(lines.map((l) => l.Direction).sort()).toEqual(["receive", "send"]);
    for (const l of lines) expect(l._aws.CloudWatchMetrics[0]!.Namespace).toBe(gatewayMetricNamespace("acme"));
    expect(gatewayMetricNamespace("acme")).toBe("as2-transfer-gateway/acme");
  });

  it("a lost Transfer result: the sent file is finished from Transfer's status file, MDN included", async () => {
    const { staged, tid } = await sendOne("lost-result.xml");
    await transferWritesStatus(staged, tid, {
      "status-code": "COMPLETED",
      disposition: "automatic-action/MDN-sent-automatically; processed",
    });
    // Within the grace time the reconciler leaves it to the events.
    expect((await reconcile()).finishedFromStatus).toBe(0);
    h.at(h.clock(), 16 * 60);
    const r = await reconcile();
    expect(r.finishedFromStatus).toBe(1);
    // Put on the results queue as the lost event, then applied by the result function.
    expect(h.transfers).toHaveLength(1);
    await h.drain();
    const out = (await h.keys("AS2/files/ACME/PARTNER/outbox/")).filter((k) => k.includes("lost-result.xml"));
    const payload = out.find((k) => !isSidecarKey(k))!;
    expect(await h.text(payload)).toBe("payload lost-result.xml");
    expect(await h.text(mdnKey(payload))).toBe(`MDN of ${tid}`);
    expect(h.domainEvents().map((e) => e.eventType)).toEqual(["MESSAGE.SEND.SUCCESS"]);
    expect(await openWork(claims.OPEN_FILE)).toEqual([]);
  });

  it("a failure written only to Transfer's failed/ folder is applied like its event (transient: retried)", async () => {
    const { staged, tid } = await sendOne("failed-status.xml");
    await transferWritesStatus(
      staged,
      tid,
      { "status-code": "FAILED", "failure-code": "HTTP_ERROR_RESPONSE_FROM_PARTNER", "failure-message": "503" },
      "failed",
    );
    h.at(h.clock(), 16 * 60);
    expect((await reconcile()).finishedFromStatus).toBe(1);
    expect((await h.result(...h.takeResults())).batchItemFailures).toEqual([]);
    expect(h.takeQueued().map((q) => q.body.kind)).toEqual(["retry"]);
  });

  it("no result and no status file for 24 h: failed/ with NO_RESULT_FROM_TRANSFER, never sent again", async () => {
    const { staged } = await sendOne("never-answered.xml");
    h.at(h.clock(), 3600);
    expect((await reconcile()).noResult).toBe(0);
    h.at(h.clock(), 24 * 3600);
    expect((await reconcile()).noResult).toBe(1);
    expect(h.transfers).toHaveLength(1);
    const failed = (await h.keys("AS2/files/ACME/PARTNER/failed/")).filter((k) => k.includes("never-answered.xml"));
    expect(failed.filter((k) => !isSidecarKey(k))).toHaveLength(1);
    expect(h.domainEvents().at(-1)).toMatchObject({
      eventType: "MESSAGE.SEND.FAILED",
      failureCode: "NO_RESULT_FROM_TRANSFER",
    });
    expect(await h.keys(staged)).toEqual([]);
  });

  it("staged, its continuation lost too: the reconciler resumes the claim from the open-work index", async () => {
    const o = await h.upload("AS2/send/ACME/PARTNER/orphaned-claim.xml", "orphan");
    h.at(o.lastModified!, 16);
    const spy = jest.spyOn(claims as unknown as Record<string, typeof claims.recordStaged>, "recordStaged");
    spy.mockRejectedValueOnce(new Error("stopped"));
    expect((await h.settle(h.s3Event(o))).batchItemFailures).toHaveLength(1);
    spy.mockRestore();
    h.takeContinuations(); // lost
    expect(await h.keys("AS2/send/ACME/PARTNER/orphaned-claim.xml")).toEqual([]);
    expect(h.transfers).toHaveLength(0);
    h.at(h.clock(), 16 * 60);
    expect((await reconcile()).resumedClaims).toBeGreaterThanOrEqual(1);
    // Its continuation queued again: the settle function resumes it.
    expect(h.transfers).toHaveLength(0);
    await h.drain();
    expect(h.transfers).toHaveLength(1);
    expect(await getItem(LAST_RUN_PK)).toMatchObject({ at: h.clock().toISOString() });
    // The receive reconciler's record joins the send one's, neither replacing the other.
    const sendRun = ((await getItem(LAST_RUN_PK)) as unknown as { send: object }).send;
    expect(sendRun).toMatchObject({ at: h.clock().toISOString(), errors: 0 });
    h.at(h.clock(), 60);
    await reconcileReceived({});
    expect(await getItem(LAST_RUN_PK)).toMatchObject({
      at: h.clock().toISOString(),
      bucket: BUCKET,
      send: sendRun,
      receive: { at: h.clock().toISOString(), receivedRouted: 0, lostEventsQueued: 0 },
    });
  });

  it("a received payload whose event was lost is routed to inbox/ from its status file", async () => {
    const prefix = inboundWorkPrefix({ station: "ACME", partner: "PARTNER" });
    const msgId = "lost-event-1@partner";
    const key = transferInboundKey(prefix, "processed", "order.edi", msgId);
    await put(key, "UNB+lost");
    await put(`${key}.mdn`, "MDN we sent");
    await put(
      `${key}.json`,
      JSON.stringify({
        "as2-message-id": msgId,
        "requester-file-name": "order.edi",
        "status-code": "COMPLETED",
        "as2-from": "PARTNER",
        "as2-to": "ACME",
        timestamp: "2026-11-22T17:54:32.123Z",
      }),
    );
    h.at(new Date(), 16 * 60);
    const r = await reconcileReceived({});
    expect(r.lostEventsQueued).toBe(1);
    // Put on the receive queue as the lost event, then routed by the receive function.
    expect(await h.text(key)).toBe("UNB+lost");
    const queued = h.takeReceiveQueued();
    expect(queued).toHaveLength(1);
    expect((await deliver(queued[0])).batchItemFailures).toEqual([]);
    const inbox = (await h.keys("AS2/files/ACME/PARTNER/inbox/")).filter((k) => k.endsWith("order.edi"));
    expect(inbox).toHaveLength(1);
    expect(await h.text(inbox[0]!)).toBe("UNB+lost");
    expect((await h.keys(key)).filter((k) => k === key)).toEqual([]);
    expect(await getItem(`MSG#a-partner#${msgId}`)).toMatchObject({ state: "received" });
  });

  describe("work queued again is bounded: once per window, at most MAX_REQUEUES times, then left open as stuck", () => {
    beforeEach(async () => {
      // Each test counts its own work: what earlier tests left open leaves the index.
      for (const kind of [claims.OPEN_CLAIM, claims.OPEN_FILE])
        for (const i of await openWork(kind)) await claims.update(i.pk, { remove: ["openKind", "openSince"] });
    });

    it("a result whose event keeps failing: one copy per window, stuck once, still open, and it ends normally later", async () => {
      const { staged, tid } = await sendOne("keeps-failing.xml");
      await transferWritesStatus(staged, tid, { "status-code": "COMPLETED", disposition: PROCESSED });
      h.at(h.clock(), 16 * 60);
      const queued: unknown[] = [];
      // Each copy goes to the results queue, fails there every time and ends in its dead-letter queue.
      for (let n = 1; n <= MAX_REQUEUES; n++) {
        expect((await reconcile()).finishedFromStatus).toBe(1);
        queued.push(...h.takeResults());
        // The next runs within the window queue nothing more.
        h.at(h.clock(), 5 * 60);
        expect((await reconcile()).finishedFromStatus).toBe(0);
        h.at(h.clock(), REQUEUE_WINDOW_SECONDS - 5 * 60);
      }
      expect(queued).toHaveLength(MAX_REQUEUES);
      expect(errors).not.toHaveBeenCalled();
      // Past the last window: no copy, reported stuck once, left as open work the alarm sees.
      const r = await reconcile();
      expect(r).toMatchObject({ finishedFromStatus: 0, stuck: 1, heldStuck: 0, errors: 0 });
      expect(h.takeResults()).toEqual([]);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0]![0])).toContain("without progress");
      const [open] = await openWork(claims.OPEN_FILE);
      expect(open).toMatchObject({ state: "sent", requeues: MAX_REQUEUES, stuckAt: h.clock().toISOString() });
      expect(lastOldest("send")).toBeGreaterThan(3 * REQUEUE_WINDOW_SECONDS);
      h.at(h.clock(), REQUEUE_WINDOW_SECONDS);
      expect(await reconcile()).toMatchObject({ finishedFromStatus: 0, stuck: 0, heldStuck: 1 });
      expect(h.takeResults()).toEqual([]);
      expect(errors).toHaveBeenCalledTimes(1);
      // Redriven from the dead-letter queue once the cause is fixed: the owner ends it as always.
      expect((await h.result(queued[0])).batchItemFailures).toEqual([]);
      expect(await openWork(claims.OPEN_FILE)).toEqual([]);
      const file = await getItem(String(open!.pk));
      expect(file).toMatchObject({ state: "delivered" });
      for (const f of [...REQUEUE_FIELDS, "openKind", "openSince"]) expect(file).not.toHaveProperty(f);
      expect(h.domainEvents().map((e) => e.eventType)).toEqual(["MESSAGE.SEND.SUCCESS"]);
      expect(await reconcile()).toMatchObject({ finishedFromStatus: 0, stuck: 0, heldStuck: 0 });
    });

    it("two runs at once queue a lost result once", async () => {
      const { staged, tid } = await sendOne("two-runs.xml");
      await transferWritesStatus(staged, tid, { "status-code": "COMPLETED", disposition: PROCESSED });
      h.at(h.clock(), 16 * 60);
      const runs = await Promise.all([reconcile(), reconcile(), reconcile()]);
      expect(runs.map((r) => r.finishedFromStatus).sort()).toEqual([0, 0, 1]);
      const queued = h.takeResults();
      expect(queued).toHaveLength(1);
      expect((await h.result(...queued)).batchItemFailures).toEqual([]);
      expect(await openWork(claims.OPEN_FILE)).toEqual([]);
    });

    it("a staged claim whose resumption keeps failing is resumed once per window, then left as stuck", async () => {
      const o = await h.upload("AS2/send/ACME/PARTNER/stuck-claim.xml", "stuck");
      h.at(o.lastModified!, 16);
      const spy = jest.spyOn(claims as unknown as Record<string, typeof claims.recordStaged>, "recordStaged");
      spy.mockRejectedValueOnce(new Error("stopped"));
      expect((await h.settle(h.s3Event(o))).batchItemFailures).toHaveLength(1);
      spy.mockRestore();
      h.takeContinuations(); // lost
      errors.mockClear(); // the settle message's failure
      h.at(h.clock(), 16 * 60);
      const resumes = () => h.takeQueued().filter((q) => q.body.kind === "resume").length;
      await Promise.all([reconcile(), reconcile()]);
      expect(resumes()).toBe(1);
      for (let n = 2; n <= MAX_REQUEUES; n++) {
        h.at(h.clock(), 10 * 60);
        await reconcile();
        expect(resumes()).toBe(0);
        h.at(h.clock(), REQUEUE_WINDOW_SECONDS);
        await reconcile();
        expect(resumes()).toBe(1);
      }
      h.at(h.clock(), REQUEUE_WINDOW_SECONDS);
      expect(await reconcile()).toMatchObject({ resumedClaims: 0, stuck: 1 });
      expect(resumes()).toBe(0);
      expect(errors).toHaveBeenCalledTimes(1);
      expect((await openWork(claims.OPEN_CLAIM)).length).toBeGreaterThanOrEqual(1);
    });

    it("a received payload whose lost event keeps failing: one copy per window, then stuck once", async () => {
      const key = await receivedWithLostEvent("keeps-failing@partner", "stuck.edi");
      h.at(new Date(), 16 * 60);
      const runs = await Promise.all([reconcileReceived({}), reconcileReceived({})]);
      expect(runs.map((r) => r.lostEventsQueued).sort()).toEqual([0, 1]);
      expect(h.takeReceiveQueued()).toHaveLength(1);
      for (let n = 2; n <= MAX_REQUEUES; n++) {
        h.at(h.clock(), 10 * 60);
        expect((await reconcileReceived({})).lostEventsQueued).toBe(0);
        h.at(h.clock(), REQUEUE_WINDOW_SECONDS);
        expect((await reconcileReceived({})).lostEventsQueued).toBe(1);
        expect(h.takeReceiveQueued()).toHaveLength(1);
      }
      h.at(h.clock(), REQUEUE_WINDOW_SECONDS);
      expect(await reconcileReceived({})).toMatchObject({ lostEventsQueued: 0, stuck: 1, heldStuck: 0 });
      h.at(h.clock(), REQUEUE_WINDOW_SECONDS);
      expect(await reconcileReceived({})).toMatchObject({ lostEventsQueued: 0, stuck: 0, heldStuck: 1 });
      expect(h.takeReceiveQueued()).toEqual([]);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(lastOldest("receive")).toBeGreaterThan(3 * REQUEUE_WINDOW_SECONDS);
      expect(await getItem(requeuePk(key))).toMatchObject({ requeues: MAX_REQUEUES, stuckAt: expect.any(String) });
      expect(await h.text(key)).toBe("UNB+keeps-failing@partner");
    });

    it("the turn: progress starts the count again; a closed item gets no fields; a replaced payload is new work", async () => {
      const now = new Date("2026-12-01T00:00:00Z");
      const later = (s: number) => new Date(now.getTime() + s * 1000);
      const open = { pk: "turn#open", openKind: "test-kind", openSince: now.toISOString() };
      expect(await putIfAbsent(open)).toBe(true);
      const turn = async (mark: string, at: Date) =>
        takeRequeueTurn(open.pk, await getItem(open.pk), mark, at, { open: true });
      expect(await turn("a", now)).toBe("requeue");
      expect(await turn("a", later(60))).toBe("wait");
      expect(await turn("b", later(120))).toBe("requeue"); // moved on: its own count
      expect(await getItem(open.pk)).toMatchObject({ requeues: 1, requeueMark: "b" });
      // A stale view (another run took the turn since) queues nothing.
      const stale = await getItem(open.pk);
      expect(await turn("b", later(REQUEUE_WINDOW_SECONDS + 120))).toBe("requeue");
      expect(await takeRequeueTurn(open.pk, stale, "b", later(REQUEUE_WINDOW_SECONDS + 121), { open: true })).toBe(
        "wait",
      );
      const closed = { pk: "turn#closed", state: "delivered" };
      expect(await putIfAbsent(closed)).toBe(true);
      expect(await takeRequeueTurn(closed.pk, closed, "a", now, { open: true })).toBe("wait");
      expect(await getItem(closed.pk)).toEqual(closed);
      const own = requeuePk("some/key");
      const ownTurn = async (etag: string, at: Date) =>
        takeRequeueTurn(own, await getItem(own), etag, at, { open: false, expiresAt: 1 });
      expect(await ownTurn('"e1"', now)).toBe("requeue");
      expect(await ownTurn('"e1"', later(60))).toBe("wait");
      expect(await ownTurn('"e2"', later(61))).toBe("requeue");
      expect(await getItem(own)).toMatchObject({ requeues: 1, requeueMark: '"e2"', expiresAt: 1 });
      // The window outlasts the longest retries of a queued copy (the receive queue's).
      expect(REQUEUE_WINDOW_SECONDS).toBeGreaterThanOrEqual(
        RECEIVE_MAX_RECEIVE_COUNT * RECEIVE_VISIBILITY_TIMEOUT_SECONDS,
      );
    });
  });
});
