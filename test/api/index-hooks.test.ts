/**
 * The hooks the send and receive paths call: a claim's file and a routed message become index
 * transitions under the ids the API and the reindex use; any order of delivery ends in the same record.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { createIndexTable } from "./index-table";
import { indexTransition, receiveTransition, sendTransition } from "../../handlers/api/index-hooks";
import { getIndexItem } from "../../handlers/api/index-reader";
import { transitionsOfRecord } from "../../handlers/api/reindex";
import { outboundMessageId, inboundMessageId } from "../../model/api/ids";
import type { ClaimItem, FileItem } from "../../handlers/send/claims";
import type { MessageItem } from "../../handlers/receive/message-index";
import { renderRecord } from "../../handlers/receive/record";

const TABLE = "as2-hooks-messages";
let aws: LocalAws;
let doc: DynamoDBClient;
beforeAll(async () => {
  aws = await startLocalAws();
  doc = await createIndexTable(aws.ddb, TABLE);
  process.env.MESSAGE_INDEX_TABLE = TABLE;
});
afterAll(async () => {
  delete process.env.MESSAGE_INDEX_TABLE;
  await aws.stop();
});

const member = { key: "AS2/send/ACME/GLOBEX/inv.xml", etag: '"e"', size: 9, identity: "v:abc", fileName: "inv.xml" };
const claim: ClaimItem = {
  pk: "claim#c1",
  claimId: "20261201T000000000Z-0123456789ab",
  bucket: "b",
  station: "ACME",
  partner: "GLOBEX",
  test: false,
  members: [member],
  state: "sending",
  claimedAt: "2026-12-01T00:00:00.000Z",
};
const file = (over: Partial<FileItem>): FileItem => ({
  pk: "file#c1#inv.xml",
  claimId: claim.claimId,
  fileName: "inv.xml",
  sourceKey: "_gateway/outbound/x/c1/inv.xml",
  size: 9,
  state: "sending",
  attempts: 1,
  ...over,
});

it("a send's transitions land on the id of its upload, whatever order they arrive in", async () => {
  const id = outboundMessageId("b", member.key, "v:abc");
  const outbox = "AS2/files/ACME/GLOBEX/outbox/20261201T000005000Z-aa/inv.xml";
  const steps = [
    sendTransition(claim, file({}), "queued", "2026-12-01T00:00:00.000Z"),
    sendTransition(claim, file({ lastAttemptTime: "2026-12-01T00:00:01.000Z" }), "sending", "2026-12-01T00:00:01.000Z"),
    sendTransition(
      claim,
      file({
        state: "delivered",
        outcomeKey: outbox,
        mdnKey: `${outbox}.mdn`,
        recordKey: `${outbox}.json`,
        as2MessageId: "<x@acme>",
        disposition: "processed",
      }),
      "sent",
      "2026-12-01T00:00:05.000Z",
    ),
  ];
  for (const t of [steps[2], steps[0], steps[1], steps[2]]) await indexTransition(t);
  expect(await getIndexItem(id, doc, TABLE)).toMatchObject({
    state: "sent",
    files: [{ fileName: "inv.xml", size: 9, key: outbox }],
    mdn: { key: `${outbox}.mdn`, disposition: "processed" },
    uploadKey: member.key,
  });
});

it("a received message indexes under the id reindex derives from its record", async () => {
  const item: MessageItem = {
    pk: "MSG#a-globex#<r1@globex>",
    state: "received",
    agreementId: "a-globex",
    as2MessageId: "<r1@globex>",
    station: "ACME",
    partner: "GLOBEX",
    test: false,
    fileName: "order.edi",
    size: 4,
    startTimestamp: "2026-12-01T01:00:00.000Z",
    endTimestamp: "2026-12-01T01:00:01.000Z",
    dest: "AS2/files/ACME/GLOBEX/inbox/20261201T010000000Z-bb/order.edi",
    mdn: { status: "sent", disposition: "processed" },
    mdnDest: "AS2/files/ACME/GLOBEX/inbox/20261201T010000000Z-bb/_as2/order.edi.mdn",
  };
  const live = receiveTransition(item)!;
  expect(live.id).toBe(inboundMessageId("a-globex", "<r1@globex>"));
  const [fromRecord] = transitionsOfRecord(
    renderRecord(item, "b") as unknown as Record<string, unknown>,
    "AS2/files/ACME/GLOBEX/inbox/20261201T010000000Z-bb/_as2/order.edi.json",
  );
  expect(fromRecord).toEqual(live);
  await indexTransition(live);
  expect((await getIndexItem(live.id, doc, TABLE))?.state).toBe("received");
  expect(receiveTransition({ ...item, state: "routing" })).toBeUndefined();
});

it("does nothing without the API's table", async () => {
  delete process.env.MESSAGE_INDEX_TABLE;
  await expect(
    indexTransition(sendTransition(claim, file({}), "queued", "2026-12-01T00:00:00.000Z")),
  ).resolves.toBeUndefined();
  process.env.MESSAGE_INDEX_TABLE = TABLE;
});
