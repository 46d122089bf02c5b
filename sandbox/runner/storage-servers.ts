/**
 * Local S3 (s3rver) and DynamoDB (dynalite) API servers for the sandbox, on loopback ports.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { addTransactions } from "./dynalite-transactions";
import { reencodeCopySource, serializeS3rverDeletes } from "./s3rver-fixes";

/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   s3rver and dynalite ship no types; their few calls used here are covered by the sandbox tests. */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite");
// s3rver's account model: the key pairs it accepts (its only one is S3RVER/S3RVER).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AWSAccount = require("s3rver/lib/models/account");

export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** The S3 notification record s3rver emits for each write or delete. */
export interface S3rverRecord {
  readonly eventName: string;
  readonly eventTime: string;
  readonly s3: {
    readonly bucket: { readonly name: string };
    readonly object: {
      readonly key: string;
      readonly size?: number;
      readonly eTag?: string;
      readonly sequencer?: string;
    };
  };
}

/**
 * The access key a request is signed with: SigV4 or SigV2 `Authorization` header, or a presigned
 * URL's `X-Amz-Credential` / `AWSAccessKeyId`.
 */
export function accessKeyOf(headers: Record<string, string | string[] | undefined>, url = ""): string | undefined {
  const auth = headers["authorization"];
  const a = Array.isArray(auth) ? auth[0] : auth;
  const fromHeader = a?.match(/Credential=([^/,\s]+)\//)?.[1] ?? a?.match(/^AWS ([^:\s]+):/)?.[1];
  if (fromHeader) return fromHeader;
  const query = new URLSearchParams(url.includes("?") ? url.slice(url.indexOf("?") + 1) : "");
  return query.get("X-Amz-Credential")?.split("/")[0] ?? query.get("AWSAccessKeyId") ?? undefined;
}

/**
 * The sandbox promises that any S3 client works with any credentials (a user's real AWS keys
 * included). s3rver knows one key pair and rejects others with InvalidAccessKeyId: each new key a
 * request presents is registered as a key of s3rver's own account before s3rver reads the request,
 * and signatures are not checked (`allowMismatchedSignatures`). Nothing is sent anywhere.
 */
function acceptAnyAccessKey(req: { headers: Record<string, string | string[] | undefined>; url?: string }): void {
  const key = accessKeyOf(req.headers, req.url);
  if (key && !AWSAccount.registry.has(key)) AWSAccount.DUMMY_ACCOUNT.createKeyPair(key, key);
}

export interface StorageServers {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  onS3Event(listener: (r: S3rverRecord) => void): void;
  stop(): Promise<void>;
}

export async function startStorageServers(workDir: string): Promise<StorageServers> {
  const dir = join(workDir, "s3");
  mkdirSync(dir, { recursive: true });
  const s3rver = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [],
    allowMismatchedSignatures: true,
  });
  const addr = (await s3rver.run()) as AddressInfo;
  serializeS3rverDeletes(s3rver);
  s3rver.httpServer.prependListener("request", (req: { headers: Record<string, string>; url?: string }) => {
    acceptAnyAccessKey(req);
    const source = req.headers["x-amz-copy-source"];
    if (source) req.headers["x-amz-copy-source"] = reencodeCopySource(source);
  });
  const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dyn.listen(0, "127.0.0.1", () => resolve()));
  addTransactions(dyn as Server); // dynalite has no TransactWriteItems
  return {
    s3Endpoint: `http://127.0.0.1:${addr.port}`,
    dynamoEndpoint: `http://127.0.0.1:${(dyn.address() as AddressInfo).port}`,
    onS3Event(listener) {
      s3rver.on("event", (e: { Records: S3rverRecord[] }) => {
        for (const r of e.Records) listener(r);
      });
    },
    async stop() {
      await s3rver.close();
      await new Promise<void>((resolve) => dyn.close(() => resolve()));
    },
  };
}
