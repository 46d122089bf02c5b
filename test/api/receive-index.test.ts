/**
 * The receive path keeps the message index current: a message routed to inbox/ (the real receive
 * handler on s3rver + dynalite) is indexed as received under the id reindex derives from its
 * record, and a repeated delivery of the event writes nothing new.
 */
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { createIndexTable } from "./index-table";
import { acceptAllEvents, invoke, payloadCompleted, put, setUpCustomer, storedKey } from "../receive/harness";
import { listMessages } from "../../handlers/api/index-reader";
import { transitionsOfRecord } from "../../handlers/api/reindex";
import { readJson } from "../receive/harness";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

const TABLE = "as2-receive-messages";
let aws: LocalAws;
let doc: DynamoDBClient;
beforeAll(async () => {
  aws = await startLocalAws();
  doc = await createIndexTable(aws.ddb, TABLE);
});
afterAll(async () => {
  delete process.env.MESSAGE_INDEX_TABLE;
  await aws.stop();
});

it("a routed message is indexed once, as received, with its files, MDN and record", async () => {
  acceptAllEvents();
  const c = await setUpCustomer(aws);
  process.env.MESSAGE_INDEX_TABLE = TABLE;
  const p = c.partner("PARTNER");
  const key = storedKey(p, "order.edi", "<idx-1@partner>");
  await put(aws, c.bucket, key, "ORDER");
  await put(aws, c.bucket, `${key}.mdn`, "MDN");
  const event = payloadCompleted(c, p, { messageId: "<idx-1@partner>", fileKey: key, requesterFileName: "order.edi" });
  expect(await invoke(event)).toEqual({ batchItemFailures: [] });
  expect(await invoke(event)).toEqual({ batchItemFailures: [] });
  const page = await listMessages({ direction: "inbound", station: "ACME", limit: 10 }, doc, TABLE);
  expect(page.items).toHaveLength(1);
  const [item] = page.items;
  expect(item).toMatchObject({
    state: "received",
    station: "ACME",
    partner: "PARTNER",
    as2MessageId: "<idx-1@partner>",
  });
  expect(item!.files?.[0]?.key).toMatch(/\/inbox\/.*\/order\.edi$/);
  const record = (await readJson(aws, c.bucket, item!.recordKey!)) as Record<string, unknown>;
  expect(transitionsOfRecord(record, item!.recordKey!)[0]?.id).toBe(item!.pk);
});
