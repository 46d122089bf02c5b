/**
 * API sends skip the settle wait (issue 15): the API writes into the send folder and announces that
 * exact version on the send queue; the send handler takes it at once, only while the key still holds
 * that version, and the S3 event that follows (or duplicates, concurrently) finds the same claim.
 * The handlers' S3 requests go through the wire proxy (test/reliability/s3-wire.ts): concurrent
 * duplicates copy the upload to the same staging key, which S3 refuses (If-None-Match) and s3rver
 * lets overwrite, so on raw s3rver the losers' path is not the one AWS runs.
 */
import { announceSettled, placeInSendFolder } from "../../handlers/api/send-folder";
import { headObject } from "../../handlers/shared/s3-object";
import type { S3Wire } from "../reliability/s3-wire";
import { SendHarness, BUCKET } from "./harness";

let h: SendHarness;
let wire: S3Wire;
beforeAll(async () => {
  h = await SendHarness.start({ wire: true });
  wire = h.wire;
});
afterAll(() => h.stop());
beforeEach(() => h.reset());

const route = { station: "ACME", partner: "PARTNER", test: false };

async function placeAndAnnounce(fileName: string, body: string) {
  const placed = await placeInSendFolder(h.aws.s3, BUCKET, route, fileName, { body: Buffer.from(body) }, {});
  await announceSettled(BUCKET, placed);
  const [announcement, ...rest] = h.takeQueued();
  expect(rest).toEqual([]);
  return { placed, announcement: announcement! };
}

it("the announced version is sent at once; the S3 event and duplicates, concurrently, send nothing more", async () => {
  const { placed, announcement } = await placeAndAnnounce("po.edi", "purchase order");
  expect(announcement).toEqual({
    body: { kind: "file", bucket: BUCKET, key: placed.key, etag: placed.etag, exact: true, settled: true },
    delaySeconds: 0,
  });
  const o = await headObject(h.aws.s3, BUCKET, placed.key);
  expect(o?.etag).toBe(placed.etag);
  h.at(o!.lastModified!, 1); // well inside settle.fileSeconds
  const event = h.s3Event(o!);
  const results = await Promise.all([
    h.settle(announcement.body),
    h.settle(announcement.body),
    h.settle(event),
    h.settle(announcement.body, event),
  ]);
  expect(results.flatMap((r) => r.batchItemFailures)).toEqual([]);
  expect(h.transfers).toHaveLength(1);
  expect(await h.keys("AS2/send/")).toEqual([]);
  // Each key written once: the duplicates' copies were refused, not laid over the winner's.
  expect([...wire.writesPerKey()].filter(([, n]) => n > 1)).toEqual([]);
  // The S3 event's own wait ends later: its re-check finds the upload gone and its claim sent.
  h.at(o!.lastModified!, 60);
  await h.settle(event);
  await h.drain();
  expect(h.transfers).toHaveLength(1);
});

it("an announcement for a version that was replaced skips nothing: the replacement settles like any upload", async () => {
  const { placed, announcement } = await placeAndAnnounce("inv.edi", "first");
  const replaced = await h.upload(placed.key, "second, replacing the first");
  h.at(replaced.lastModified!, 1);
  expect((await h.settle(announcement.body)).batchItemFailures).toEqual([]);
  expect(h.transfers).toHaveLength(0);
  // The replacement's own event waits for its settle time.
  expect((await h.settle(h.s3Event(replaced))).batchItemFailures).toEqual([]);
  expect(h.transfers).toHaveLength(0);
  expect(h.takeQueued()).toEqual([
    { body: expect.objectContaining({ key: placed.key, exact: true }), delaySeconds: 14 },
  ]);
  h.at(replaced.lastModified!, 16);
  await h.settle(h.s3Event(replaced));
  expect(h.transfers).toHaveLength(1);
});

it("without a send queue (the operator CLI) nothing is announced", async () => {
  const url = process.env.SEND_QUEUE_URL;
  delete process.env.SEND_QUEUE_URL;
  try {
    const placed = await placeInSendFolder(h.aws.s3, BUCKET, route, "cli.edi", { body: Buffer.from("x") }, {});
    await announceSettled(BUCKET, placed);
    expect(h.takeQueued()).toEqual([]);
  } finally {
    process.env.SEND_QUEUE_URL = url;
  }
});
