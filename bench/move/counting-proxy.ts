/**
 * A loopback HTTP proxy in front of a local API server (s3rver, dynalite) that records every
 * request the code under test makes: operation, key, status and body bytes in each direction. The harness itself (uploads,
 * what the Transfer stub writes) talks to the server directly, so only the handlers are counted.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { classifyS3Request, type CountedRequest } from "./s3-requests";

type Classify = (
  method: string,
  url: string,
  headers: IncomingMessage["headers"],
) => { op: string; bucket: string; key: string };

export interface CountingProxy {
  readonly endpoint: string;
  readonly requests: CountedRequest[];
  reset(): CountedRequest[];
  close(): Promise<void>;
}

export async function startCountingProxy(
  target: string,
  classify: Classify = classifyS3Request,
  /** Reads the request body for what the count needs (DynamoDB: items of a transaction). */
  itemsOf?: (op: string, body: Buffer) => number | undefined,
): Promise<CountingProxy> {
  const t = new URL(target);
  const requests: CountedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const what = classify(req.method ?? "GET", req.url ?? "/", req.headers);
    const t0 = process.hrtime.bigint();
    let requestBytes = 0;
    let responseBytes = 0;
    const body: Buffer[] = [];
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.on("data", (c: Buffer) => (responseBytes += c.length));
        upRes.pipe(res);
        upRes.on("end", () => {
          const items = itemsOf?.(what.op, Buffer.concat(body));
          requests.push({
            ...what,
            status: upRes.statusCode ?? 0,
            requestBytes,
            responseBytes,
            ms: Number(process.hrtime.bigint() - t0) / 1e6,
            ...(items !== undefined ? { items } : {}),
          });
        });
      },
    );
    up.on("error", (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.on("data", (c: Buffer) => {
      requestBytes += c.length;
      if (itemsOf) body.push(c);
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    reset() {
      return requests.splice(0, requests.length);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
