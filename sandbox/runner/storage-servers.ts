/**
 * Local S3 (s3rver) and DynamoDB (dynalite) API servers for the sandbox, on loopback ports.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";

/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   s3rver and dynalite ship no types; their few calls used here are covered by the sandbox tests. */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite");

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
 * s3rver decodes x-amz-copy-source with decodeURI, which leaves %40 ('@'), %2B ('+') and other
 * reserved characters encoded; real S3 decodes them. Handlers send what S3 expects (each segment
 * encodeURIComponent-encoded); this rewrites the header into the form s3rver decodes to the same
 * key, so the fake behaves like S3 (DESIGN.md) instead of the handlers bending to it.
 */
export function reencodeCopySource(header: string): string {
  const [path, query] = header.split("?", 2);
  const decoded = path!
    .split("/")
    .map((seg) => decodeURIComponent(seg))
    .join("/");
  return `${encodeURI(decoded)}${query !== undefined ? `?${query}` : ""}`;
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
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [] });
  const addr = (await s3rver.run()) as AddressInfo;
  s3rver.httpServer.prependListener("request", (req: { headers: Record<string, string> }) => {
    const source = req.headers["x-amz-copy-source"];
    if (source) req.headers["x-amz-copy-source"] = reencodeCopySource(source);
  });
  const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dyn.listen(0, "127.0.0.1", () => resolve()));
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
