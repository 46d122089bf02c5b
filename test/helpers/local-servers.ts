/**
 * Real API servers on loopback for integration tests: s3rver (S3) and dynalite (DynamoDB).
 * Handlers reach them through the SDK's standard AWS_ENDPOINT_URL_* variables, as in the sandbox.
 * Known gaps (DESIGN.md): both S3 fakes ignore conditional requests; s3rver mis-decodes '%2B' in a
 * copy source. Tests of those paths inject faults instead of bending the code.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { DynamoDBClient, CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { OPEN_WORK_INDEX, STATE_TABLE_KEY } from "../../stacks/pipelines/state-table";
import { resetClients } from "../../handlers/shared/clients";
import { resetLedgerClient } from "../../handlers/shared/ledger";
import { addTransactions } from "../../sandbox/runner/dynalite-transactions";

const S3rver = require("s3rver");

const dynalite = require("dynalite");

export interface LocalAws {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly s3: S3Client;
  readonly ddb: DynamoDBClient;
  /** S3 requests seen by s3rver since the last reset (method + path), for request-count assertions. */
  readonly s3Requests: string[];
  createBucket(name: string): Promise<void>;
  createStateTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/**
 * s3rver reads x-amz-copy-source with decodeURI, which leaves %40 ('@'), %2B ('+'), %24, %26, %2C,
 * %3B, %3D and %3A encoded: real S3 decodes them. The handlers send what real S3 expects (each
 * segment encodeURIComponent-encoded); this rewrites the header into the form s3rver decodes to the
 * same key, so the fake behaves like S3 instead of the code bending to the fake.
 */
export function reencodeCopySourceForS3rver(header: string): string {
  const [path, query] = header.split("?", 2);
  const decoded = path!
    .split("/")
    .map((seg) => decodeURIComponent(seg))
    .join("/");
  return `${encodeURI(decoded)}${query !== undefined ? `?${query}` : ""}`;
}

/**
 * s3rver's multi-object delete (DeleteObjects) deletes its keys concurrently, and each delete then
 * removes the directories it left empty (readdir, then rmdir): two keys of one folder race, and the
 * loser's rmdir fails with ENOENT, which s3rver answers as 500 InternalError (real S3 deletes them).
 * One delete at a time, the fake answers as S3 does; handler code is not bent to the quirk.
 */
export function serializeS3rverDeletes(s3rver: unknown): void {
  const store = (s3rver as { store: { deleteObject(bucket: string, key: string): Promise<void> } }).store;
  const original = store.deleteObject.bind(store);
  let previous: Promise<unknown> = Promise.resolve();
  store.deleteObject = (bucket, key) => {
    const run = previous.then(() => original(bucket, key));
    previous = run.catch(() => undefined);
    return run;
  };
}

/** Starts both servers and points the process environment (and the handlers' clients) at them. */
export async function startLocalAws(): Promise<LocalAws> {
  const dir = mkdtempSync(join(tmpdir(), "s3rver-"));
  const s3Requests: string[] = [];
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [] });
  const s3Addr = (await s3rver.run()) as AddressInfo;
  serializeS3rverDeletes(s3rver);
  const s3Endpoint = `http://127.0.0.1:${s3Addr.port}`;
  const server = s3rver.httpServer;
  server.prependListener("request", (req: { method: string; url: string; headers: Record<string, string> }) => {
    s3Requests.push(`${req.method} ${req.url}`);
    const source = req.headers["x-amz-copy-source"];
    if (source) req.headers["x-amz-copy-source"] = reencodeCopySourceForS3rver(source);
  });

  const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((res) => dyn.listen(0, "127.0.0.1", () => res()));
  addTransactions(dyn); // dynalite has no TransactWriteItems
  const dynamoEndpoint = `http://127.0.0.1:${(dyn.address() as AddressInfo).port}`;

  Object.assign(process.env, {
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    S3_FORCE_PATH_STYLE: "true",
  });
  resetClients();
  resetLedgerClient();

  const s3 = new S3Client({
    region: "eu-west-1",
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  const ddb = new DynamoDBClient({ region: "eu-west-1", endpoint: dynamoEndpoint, credentials: CREDENTIALS });
  return {
    s3Endpoint,
    dynamoEndpoint,
    s3,
    ddb,
    s3Requests,
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async createStateTable(name) {
      await ddb.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: "PAY_PER_REQUEST",
          AttributeDefinitions: [
            { AttributeName: STATE_TABLE_KEY.partitionKey, AttributeType: "S" },
            { AttributeName: OPEN_WORK_INDEX.partitionKey, AttributeType: "S" },
            { AttributeName: OPEN_WORK_INDEX.sortKey, AttributeType: "S" },
          ],
          KeySchema: [{ AttributeName: STATE_TABLE_KEY.partitionKey, KeyType: "HASH" }],
          GlobalSecondaryIndexes: [
            {
              IndexName: OPEN_WORK_INDEX.name,
              KeySchema: [
                { AttributeName: OPEN_WORK_INDEX.partitionKey, KeyType: "HASH" },
                { AttributeName: OPEN_WORK_INDEX.sortKey, KeyType: "RANGE" },
              ],
              Projection: { ProjectionType: "ALL" },
            },
          ],
        }),
      );
    },
    async stop() {
      s3.destroy();
      ddb.destroy();
      await s3rver.close();
      await new Promise<void>((res) => dyn.close(() => res()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
