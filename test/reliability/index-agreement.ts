/**
 * The message index agrees with the bucket (issue 15, Tests): with the API declared, every message
 * record in the bucket (`…/_as2/<file>.json`) has exactly one index item, in the state the record
 * implies (outbox → sent, failed/ → failed, inbox → received), and the index holds nothing else: no
 * message missing, none twice, none left half-way.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ScanCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createIndexTable } from "../api/index-table";
import { transitionsOfRecord } from "../../handlers/api/reindex";
import { INDEX_TABLE_ENV } from "../../handlers/api/index-transitions";
import { filesRoot, isSidecarKey, RECORD_SUFFIX } from "../../model/layout";
import { BUCKET } from "../send/harness";
import type { Matrix } from "./matrix";

const TABLE = "as2-acme-messages";

/** Declares the API for the suite: the index table on the harness's dynalite, named to the handlers. */
export function useIndex(m: Matrix): { doc?: DynamoDBDocumentClient } {
  const out: { doc?: DynamoDBDocumentClient } = {};
  beforeAll(async () => {
    out.doc = await createIndexTable(m.h.aws.ddb, TABLE);
    process.env[INDEX_TABLE_ENV] = TABLE;
  });
  afterAll(() => {
    delete process.env[INDEX_TABLE_ENV];
  });
  return out;
}

export async function expectIndexAgreesWithBucket(m: Matrix, doc: DynamoDBDocumentClient): Promise<void> {
  const list = await m.h.aws.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: filesRoot("as2gateway") }));
  const implied = new Map<string, string[]>();
  for (const o of list.Contents ?? []) {
    const key = o.Key!;
    if (!isSidecarKey(key) || !key.endsWith(RECORD_SUFFIX)) continue;
    const final = transitionsOfRecord(await m.h.json(key), key).at(-1);
    if (!final) continue;
    implied.set(final.id, [...(implied.get(final.id) ?? []), final.state]);
  }
  const scan = await doc.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  const indexed = new Map<string, string[]>();
  for (const i of scan.Items ?? []) indexed.set(i.pk as string, [...(indexed.get(i.pk as string) ?? []), i.state]);
  // One record per message, and the index item of each in the record's state, nothing more.
  for (const [id, states] of implied) expect({ id, records: states.length }).toEqual({ id, records: 1 });
  expect(Object.fromEntries(indexed)).toEqual(Object.fromEntries(implied));
}
