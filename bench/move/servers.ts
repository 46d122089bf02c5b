/**
 * Everything the message benchmark runs against, on loopback: s3rver (on disk, in a temp folder)
 * and dynalite (in memory), in a child process of their own unless BENCH_FAKES_IN_PROCESS=1
 * (server-process.ts says why), the counting proxies in front of them and the JSON-protocol stub
 * for Transfer, EventBridge and SQS (both in this process: they count). Points this process's AWS
 * environment at them, as the Lambda runtime's environment would.
 */
import { fork } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startCountingProxy, type CountingProxy } from "./counting-proxy";
import { classifyJsonRequest, transactionItems } from "./s3-requests";
import { startAwsStub, type AwsStub } from "./aws-stub";
import { startFakes, type ServerPorts } from "./server-process";

export const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface BenchServers {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly proxy: CountingProxy;
  /** Counts DynamoDB requests (in front of dynalite). */
  readonly dynamoProxy: CountingProxy;
  readonly stub: AwsStub;
  /** Whether s3rver and dynalite run in a child process (the default) or in this one. */
  readonly fakesOutOfProcess: boolean;
  /** CPU ms s3rver and dynalite's process has used so far (undefined when they share this one). */
  fakesCpuMs(): Promise<number | undefined>;
  /** Talks to s3rver directly: uploads and the Transfer stand-in are not counted. */
  readonly direct: S3Client;
  readonly ddb: DynamoDBClient;
  /** A client of the kind the handlers build (through the proxy, counted). */
  counted(): S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** s3rver and dynalite in a forked child; resolves once both listen. */
interface Fakes extends ServerPorts {
  stop(): Promise<void>;
  cpuMs?(): Promise<number>;
}

async function forkFakes(dir: string): Promise<Fakes> {
  // The child inherits this process's tsx loader (execArgv), so it runs the TypeScript as it is.
  const child = fork(join(__dirname, "server-process.ts"), [dir], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ports = await new Promise<ServerPorts>((resolve, reject) => {
    child.once("message", (m) => resolve(m as ServerPorts));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the fake AWS servers' process exited (${code})`)));
  });
  return {
    ...ports,
    cpuMs: () =>
      new Promise<number>((resolve) => {
        const answer = (m: unknown) => {
          const cpu = (m as { cpuMs?: number }).cpuMs;
          if (typeof cpu !== "number") return;
          child.off("message", answer);
          resolve(cpu);
        };
        child.on("message", answer);
        child.send("cpu");
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.send("stop");
      }),
  };
}

export async function startBenchServers(dir: string): Promise<BenchServers> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const fakesOutOfProcess = process.env.BENCH_FAKES_IN_PROCESS !== "1";
  const fakes: Fakes = fakesOutOfProcess ? await forkFakes(dir) : await startFakes(dir);
  const s3Endpoint = `http://127.0.0.1:${fakes.s3Port}`;
  const proxy = await startCountingProxy(s3Endpoint);

  const dynamoEndpoint = `http://127.0.0.1:${fakes.dynamoPort}`;
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
    fakesOutOfProcess,
    fakesCpuMs: async () => fakes.cpuMs?.(),
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
      await fakes.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
