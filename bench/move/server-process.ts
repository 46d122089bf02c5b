/**
 * s3rver and dynalite in a process of their own (forked by servers.ts): the message benchmark then
 * measures the movers' work (handlers, SDK) rather than the fakes', whose CPU dominates when they
 * share the process (a CPU profile of the send throughput run: about half its samples in dynalite,
 * s3rver and their dependencies, 1.5 % in the handlers). Both the gateway and the naive baseline
 * talk to these same servers through the same counting proxies, so the comparison stays fair.
 * Prints nothing; tells its parent the ports over IPC and stops when asked.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { reencodeCopySource, serializeS3rverDeletes } from "../../sandbox/runner/s3rver-fixes";
import { addTransactions } from "../../sandbox/runner/dynalite-transactions";

const S3rver = require("s3rver");

const dynalite = require("dynalite");

/** CPU time this process has used (user + system), in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface ServerPorts {
  readonly s3Port: number;
  readonly dynamoPort: number;
}

/** Starts both on loopback; `stop` closes them. Used here in the child, and in-process when asked. */
export async function startFakes(dir: string): Promise<ServerPorts & { stop(): Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [] });
  const s3Addr = (await s3rver.run()) as AddressInfo;
  serializeS3rverDeletes(s3rver); // its DeleteObjects races on shared folders (sandbox/runner/s3rver-fixes.ts)
  // Same adaptation as the integration tests: s3rver mis-decodes a correctly encoded copy source.
  const fixCopySource = (req: { headers: Record<string, string | string[] | undefined> }) => {
    const source = req.headers["x-amz-copy-source"];
    if (typeof source === "string") req.headers["x-amz-copy-source"] = reencodeCopySource(source);
  };
  s3rver.httpServer.prependListener("request", fixCopySource);
  const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((r) => dyn.listen(0, "127.0.0.1", () => r()));
  addTransactions(dyn); // dynalite has no TransactWriteItems
  return {
    s3Port: s3Addr.port,
    dynamoPort: (dyn.address() as AddressInfo).port,
    async stop() {
      await s3rver.close();
      await new Promise<void>((r) => dyn.close(() => r()));
    },
  };
}

if (require.main === module && process.send) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: server-process.ts <s3rver directory>");
  void startFakes(dir).then((fakes) => {
    process.on("message", (m) => {
      if (m === "stop") void fakes.stop().then(() => process.exit(0));
      if (m === "cpu") process.send!({ cpuMs: cpuMs() });
    });
    // Orphaned (the bench died): nothing to serve.
    process.on("disconnect", () => process.exit(0));
    process.send!({ s3Port: fakes.s3Port, dynamoPort: fakes.dynamoPort } satisfies ServerPorts);
  });
}
