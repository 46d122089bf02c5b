/**
 * Everything the message benchmark runs against, on loopback: s3rver (on disk, in a temp folder),
 * dynalite (in memory), the counting proxy in front of s3rver, and the JSON-protocol stub for
 * Transfer, EventBridge and SQS. Points this process's AWS environment at them, as the Lambda
 * runtime's environment would.
 */
import { mkdirSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { reencodeCopySourceForS3rver } from "../../test/helpers/local-servers";
import { startCountingProxy, type CountingProxy } from "./counting-proxy";
import { classifyJsonRequest, transactionItems } from "./s3-requests";
import { startAwsStub, type AwsStub } from "./aws-stub";
import { addTransactions } from "../../sandbox/runner/dynalite-transactions";

const S3rver = require("s3rver");

const dynalite = require("dynalite");

export const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface BenchServers {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly proxy: CountingProxy;
  /** Counts DynamoDB requests (in front of dynalite). */
  readonly dynamoProxy: CountingProxy;
  readonly stub: AwsStub;
  /** Talks to s3rver directly: uploads and the Transfer stand-in are not counted. */
  readonly direct: S3Client;
  readonly ddb: DynamoDBClient;
  /** A client of the kind the handlers build (through the proxy, counted). */
  counted(): S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchServers(dir: string): Promise<BenchServers> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [] });
  const s3Addr = (await s3rver.run()) as AddressInfo;
  const s3Endpoint = `http://127.0.0.1:${s3Addr.port}`;
  // Same adaptation as the integration tests: s3rver mis-decodes a correctly encoded copy source.
  const fixCopySource = (req: { headers: Record<string, string | string[] | undefined> }) => {
    const source = req.headers["x-amz-copy-source"];
    if (typeof source === "string") req.headers["x-amz-copy-source"] = reencodeCopySourceForS3rver(source);
  };
  s3rver.httpServer.prependListener("request", fixCopySource);
  const proxy = await startCountingProxy(s3Endpoint);

  const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((r) => dyn.listen(0, "127.0.0.1", () => r()));
  addTransactions(dyn); // dynalite has no TransactWriteItems
  const dynamoEndpoint = `http://127.0.0.1:${(dyn.address() as AddressInfo).port}`;
  const dynamoProxy = await startCountingProxy(dynamoEndpoint, classifyJsonRequest, transactionItems);
  const stub = await startAwsStub();

  Object.assign(process.env, {
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
    AWS_ENDPOINT_URL_TRANSFER: stub.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: stub.endpoint,
    AWS_ENDPOINT_URL_SQS: stub.endpoint,
    S3_FORCE_PATH_STYLE: "true",
    AWS_LAMBDA_FUNCTION_NAME: "bench",
    // s3rver stores aws-chunked framing as object data: send checksums only where an API requires them.
    AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
    POWERTOOLS_LOG_LEVEL: "ERROR",
    AWS_LAMBDA_LOG_LEVEL: "ERROR",
  });

  const direct = new S3Client({
    region: "eu-west-1",
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const ddb = new DynamoDBClient({ region: "eu-west-1", endpoint: dynamoEndpoint, credentials: CREDENTIALS });
  const counted: S3Client[] = [];
  return {
    s3Endpoint,
    dynamoEndpoint,
    proxy,
    dynamoProxy,
    stub,
    direct,
    ddb,
    counted() {
      const c = new S3Client({
        region: "eu-west-1",
        endpoint: proxy.endpoint,
        forcePathStyle: true,
        credentials: CREDENTIALS,
        requestChecksumCalculation: "WHEN_REQUIRED",
      });
      counted.push(c);
      return c;
    },
    async createBucket(name) {
      await direct.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      for (const c of counted) c.destroy();
      direct.destroy();
      ddb.destroy();
      await proxy.close();
      await dynamoProxy.close();
      await stub.close();
      await s3rver.close();
      await new Promise<void>((r) => dyn.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
