/**
 * The REST API in the sandbox: a small HTTP server that does what API Gateway's HTTP API does in
 * front of the real Lambda bundle: it turns each request into a payload format 2.0 event, invokes
 * the function and writes its answer back. Authentication is stubbed: a request carries one of the
 * declared test keys (`x-api-key: <key>` or `Authorization: Bearer <key>`) and reaches the Lambda
 * as that key's client with its scopes, as a Cognito token would; anything else gets API
 * Gateway's own 401.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { API_SCOPES, oauthScope, type ApiScope } from "../../model/api/operations";

/** What a test key stands for; the sandbox gives the API Lambda these keys as its clients. */
export interface TestKey {
  readonly key: string;
  readonly scopes: readonly ApiScope[];
  readonly stations?: readonly string[];
}

/** The declared test keys: one with every scope, one that may only read. */
export const SANDBOX_API_KEYS: readonly TestKey[] = [
  { key: "sandbox-full-access", scopes: [...API_SCOPES] },
  { key: "sandbox-read-only", scopes: ["read"] },
];

/** The API Lambda's API_CLIENTS in the sandbox: one client per test key (the key is its client id). */
export function sandboxApiClients(keys: readonly TestKey[] = SANDBOX_API_KEYS): string {
  return JSON.stringify(
    keys.map((k) => ({
      name: k.key,
      clientId: k.key,
      scopes: k.scopes,
      ...(k.stations ? { stations: k.stations } : {}),
    })),
  );
}

/** HTTP APIs refuse bodies over 10 MB (HTTP API quotas, "Payload size"). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface ApiFrontOptions {
  readonly invoke: (event: unknown) => Promise<unknown>;
  readonly keys?: readonly TestKey[];
  readonly port?: number;
}

function keyOf(req: IncomingMessage): string | undefined {
  const header = req.headers["x-api-key"];
  if (typeof header === "string") return header;
  const auth = req.headers.authorization;
  return auth?.startsWith("Bearer ") ? auth.slice("Bearer ".length) : undefined;
}

export class ApiFront {
  private server?: Server;
  url = "";

  constructor(private readonly o: ApiFrontOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(this.o.port ?? 0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size > MAX_BODY_BYTES) return reply(413, JSON.stringify({ message: "Request Entity Too Large" }));
        chunks.push(c as Buffer);
      }
      const key = (this.o.keys ?? SANDBOX_API_KEYS).find((k) => k.key === keyOf(req));
      if (!key) return reply(401, JSON.stringify({ message: "Unauthorized" }));
      const url = new URL(req.url ?? "/", "http://sandbox");
      const query: Record<string, string> = {};
      // API Gateway joins repeated query parameters with commas (payload format 2.0).
      for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
      const body = Buffer.concat(chunks);
      const scopes = key.scopes.map(oauthScope);
      const event = {
        version: "2.0",
        routeKey: "$default",
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
        requestContext: {
          accountId: "123456789012",
          apiId: "sandbox",
          domainName: "127.0.0.1",
          domainPrefix: "sandbox",
          http: {
            method: req.method ?? "GET",
            path: url.pathname,
            protocol: "HTTP/1.1",
            sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
            userAgent: headers["user-agent"] ?? "",
          },
          requestId: `sandbox-${Date.now().toString(36)}`,
          routeKey: "$default",
          stage: "$default",
          time: new Date().toISOString(),
          timeEpoch: Date.now(),
          authorizer: { jwt: { claims: { client_id: key.key, scope: scopes.join(" ") }, scopes } },
        },
        ...(body.length ? { body: body.toString("base64"), isBase64Encoded: true } : { isBase64Encoded: false }),
      };
      const r = (await this.o.invoke(event)) as {
        statusCode?: number;
        headers?: Record<string, string>;
        body?: string;
      };
      res.writeHead(r.statusCode ?? 200, r.headers ?? {});
      res.end(r.body ?? "");
    } catch {
      // What API Gateway answers when the integration fails.
      reply(500, JSON.stringify({ message: "Internal Server Error" }));
    }
  }
}
