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
import { reencodeCopySource, serializeS3rverDeletes } from "../../sandbox/runner/s3rver-fixes";

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
    if (source) req.headers["x-amz-copy-source"] = reencodeCopySource(source);
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
