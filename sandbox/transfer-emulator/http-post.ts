/** One HTTP(S) POST with a timeout; the response body is read whole (sync MDNs are small). */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { IncomingHttpHeaders } from "node:http";

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = "ConnectError";
  }
}

export function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs = 30_000,
): Promise<HttpResponse> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: "POST",
        headers: { ...headers, "Content-Length": String(body.length) },
        timeout: timeoutMs,
        ...(u.protocol === "https:" ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", (e) => reject(new ConnectError(e.message, false)));
      },
    );
    req.on("timeout", () => req.destroy(new ConnectError("Connection to endpoint timed out.", true)));
    req.on("error", (e) =>
      reject(
        e instanceof ConnectError
          ? e
          : new ConnectError(
              `Unable to connect to ${u.host}: ${(e as NodeJS.ErrnoException).code ?? e.message}`,
              false,
            ),
      ),
    );
    req.end(body);
  });
}
