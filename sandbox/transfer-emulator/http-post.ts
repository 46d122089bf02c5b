/** One HTTP(S) POST with a timeout; the response body is read whole (sync MDNs are small). */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { lookup as systemLookup } from "node:dns";
import type { LookupAddress } from "node:dns";

/**
 * Resolves a host name: an IPv4 address, `null` when the name does not resolve (ENOTFOUND, as
 * getaddrinfo reports it), `undefined` to ask the system resolver.
 */
export type HostLookup = (hostname: string) => string | null | undefined;

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
    /** Node's error code (ECONNREFUSED, ENOTFOUND, ...). */
    readonly code?: string,
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
  hostLookup?: HostLookup,
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
        ...(hostLookup ? { lookup: lookupWith(hostLookup) } : {}),
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
              (e as NodeJS.ErrnoException).code,
            ),
      ),
    );
    req.end(body);
  });
}

/** A `net` lookup function over a HostLookup: a name it does not know fails as getaddrinfo does. */
function lookupWith(hostLookup: HostLookup) {
  return (
    hostname: string,
    options: { all?: boolean },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const address = hostLookup(hostname);
    if (address === undefined) {
      if (options.all) systemLookup(hostname, { all: true }, (err, addresses) => callback(err, addresses));
      else systemLookup(hostname, (err, addr, family) => callback(err, addr, family));
      return;
    }
    if (address === null) {
      const err: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: "ENOTFOUND",
        syscall: "getaddrinfo",
      });
      callback(err, options.all ? [] : "", 4);
      return;
    }
    if (options.all) callback(null, [{ address, family: 4 }]);
    else callback(null, address, 4);
  };
}
