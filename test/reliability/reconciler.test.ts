/**
 * Issue #11, the reconciler: work whose continuation or Transfer event never came is finished from
 * the table's open-work index and Transfer's own status files; nothing waits forever.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import * as claims from "../../handlers/send/claims";
import { handler as reconcileHandler } from "../../handlers/send/reconcile";
import { handler as reconcileReceived } from "../../handlers/receive/reconcile";
import { LAST_RUN_PK, openWork } from "../../handlers/shared/open-work";
import { deliver } from "./receive-deliveries";
import { getItem } from "../../handlers/shared/ledger";
import { isSidecarKey, keyBaseName, mdnKey, transferInboundKey, inboundWorkPrefix } from "../../model/layout";
import { OLDEST_OPEN_WORK_METRIC, gatewayMetricNamespace } from "../../model/metrics";
import { SendHarness, BUCKET } from "../send/harness";

let h: SendHarness;
const write = jest.spyOn(process.stdout, "write");

beforeAll(async () => {
  h = await SendHarness.start();
});
afterAll(() => h.stop());
beforeEach(() => {
  h.reset();
  write.mockImplementation(() => true); // the reconciler's metric lines
});
afterEach(() => write.mockReset());

const reconcile = () => reconcileHandler({});

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
});
