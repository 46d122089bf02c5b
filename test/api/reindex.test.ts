/**
 * `npm run gateway -- reindex`: the index rebuilt from the records in the bucket (inbound records
 * rendered by the receive path's own renderer), forward-only over a live index, repeatable.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { createIndexTable } from "./index-table";
import { main } from "../../scripts/gateway";
import { renderRecord } from "../../handlers/receive/record";
import { getIndexItem } from "../../handlers/api/index-reader";
import { markDeleted } from "../../handlers/api/index-writer";
import { inboundMessageId } from "../../model/api/ids";
import { folderPrefix, mdnKey, recordKey, ROUTING_DOCUMENT_KEY } from "../../model/layout";

const BUCKET = "acme-reindex";
const TABLE = "as2-acme-reindexed";
let aws: LocalAws;
let doc: DynamoDBClient;
const route = { station: "ACME", partner: "GLOBEX", test: false };
const inboxKey = `${folderPrefix("mftgateway", route, "inbox")}20261101T000000000Z-abc/order.edi`;
const outboxKey = `${folderPrefix("mftgateway", route, "outbox")}20261101T000100000Z-def/invoice.xml`;

async function put(key: string, body: unknown) {
  await aws.s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: typeof body === "string" ? body : JSON.stringify(body) }),
  );
}

async function run(...argv: string[]) {
  const lines: string[] = [];
  const code = await main(argv, (l) => lines.push(l));
  return { code, lines };
}

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createBucket(BUCKET);
  doc = await createIndexTable(aws.ddb, TABLE);
  await put(ROUTING_DOCUMENT_KEY, { layout: "mftgateway" });
  await put(inboxKey, "ORDER");
  await put(
    recordKey(inboxKey),
    renderRecord(
      {
        pk: "MSG#a-globex#<m1@globex>",
        state: "received",
        agreementId: "a-globex",
        as2MessageId: "<m1@globex>",
        station: "ACME",
        partner: "GLOBEX",
        test: false,
        fileName: "order.edi",
        size: 5,
        startTimestamp: "2026-11-01T00:00:00.000Z",
        endTimestamp: "2026-11-01T00:00:01.000Z",
        dest: inboxKey,
        mdn: { status: "sent", disposition: "automatic-action/MDN-sent-automatically; processed" },
        mdnDest: mdnKey(inboxKey),
      },
      BUCKET,
    ),
  );
  await put(outboxKey, "INVOICE");
  // The shape handlers/send/outcome.ts writes (recordOf).
  await put(recordKey(outboxKey), {
    messageId: "20261101T000000000Z-0123456789ab",
    status: "delivered",
    station: "ACME",
    partner: "GLOBEX",
    test: false,
    fileName: "invoice.xml",
    size: 7,
    uploadedKey: "AS2/send/ACME/GLOBEX/invoice.xml",
    key: outboxKey,
    mdnKey: mdnKey(outboxKey),
    as2MessageId: "<o1@acme>",
    mdn: { disposition: "processed" },
    attempts: 1,
    claimedAt: "2026-11-01T00:00:30.000Z",
    completedAt: "2026-11-01T00:01:00.000Z",
  });
  await put(recordKey(`${folderPrefix("mftgateway", route, "failed")}x/y.bin`), "{not json");
});
afterAll(async () => aws.stop());

it("rebuilds one record per message from the bucket, repeatably, never moving a live record back", async () => {
  const first = await run("reindex", "acme", "--bucket", BUCKET, "--table", TABLE);
  expect(first.code).toBe(0);
  expect(first.lines.at(-1)).toMatch(/3 records, 3 transitions written, 1 skipped$/);
  const inbound = await getIndexItem(inboundMessageId("a-globex", "<m1@globex>"), doc, TABLE);
  expect(inbound).toMatchObject({
    state: "received",
    files: [{ fileName: "order.edi", size: 5, key: inboxKey }],
    mdn: { key: mdnKey(inboxKey), status: "sent" },
    recordKey: recordKey(inboxKey),
    createdAt: "2026-11-01T00:00:01.000Z",
  });
  const again = await run("reindex", "acme", "--bucket", BUCKET, "--table", TABLE);
  expect(again.lines.at(-1)).toMatch(/0 transitions written/);
  await markDeleted(inbound!.pk, { client: doc, table: TABLE });
  await run("reindex", "acme", "--bucket", BUCKET, "--table", TABLE);
  expect((await getIndexItem(inbound!.pk, doc, TABLE))?.deletedAt).toBeDefined();
});
