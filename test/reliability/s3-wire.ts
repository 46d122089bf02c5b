/**
 * A loopback proxy in front of s3rver that makes the wire visible and the fake honest:
 * - records every request of the code under test: operation, key, `versionId`, `If-None-Match`,
 *   `If-Match`, copy source and its `x-amz-copy-source-if-match`, the objects a DeleteObjects
 *   names, and the status answered;
 * - enforces the conditional requests s3rver ignores (`If-None-Match: *` on PutObject/CopyObject,
 *   `If-Match` on DeleteObject, `x-amz-copy-source-if-match`) with S3's answer (412), serialised
 *   per key so that concurrent writers meet the same race S3 arbitrates;
 * - optionally plays a versioned bucket's headers (`x-amz-version-id` derived from key, ETag and
 *   time) and strips `versionId` before s3rver sees it (s3rver keeps one version per key);
 * - injects faults: the next requests matching a predicate get a given status and S3 error code
 *   (412 PreconditionFailed, 409 ConditionalRequestConflict, 403 AccessDenied, 500 ...).
 * The handlers talk to it through AWS_ENDPOINT_URL_S3; tests talk to s3rver directly.
 */
import { createHash } from "node:crypto";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { S3Client, HeadObjectCommand } from "@aws-sdk/client-s3";
import { classifyS3Request, type S3Operation } from "../../bench/move/s3-requests";

export interface WireRequest {
  readonly op: S3Operation;
  readonly key: string;
  readonly versionId?: string;
  readonly ifNoneMatch?: string;
  readonly ifMatch?: string;
  readonly copySource?: string;
  readonly copySourceIfMatch?: string;
  /** DeleteObjects: the objects its body names (key, and the version or ETag it is conditional on). */
  readonly objects?: readonly DeletedObject[];
  status: number;
}

export interface DeletedObject {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === "#"
      ? String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      : (XML_ENTITIES[e] ?? m),
  );
}

/** The `<Object>` entries of a DeleteObjects body (S3 API reference, Delete and ObjectIdentifier). */
export function deleteObjectsOf(body: string): DeletedObject[] {
  const field = (xml: string, name: string) => {
    const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
    return m ? unescapeXml(m[1]!) : undefined;
  };
  return [...body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map(([, xml]) => {
    const versionId = field(xml!, "VersionId");
    const etag = field(xml!, "ETag");
    return { key: field(xml!, "Key") ?? "", ...(versionId ? { versionId } : {}), ...(etag ? { etag } : {}) };
  });
}

export interface Fault {
  readonly when: (r: WireRequest) => boolean;
  readonly status: number;
  readonly code: string;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface S3Wire {
  readonly endpoint: string;
  readonly requests: WireRequest[];
  readonly faults: Fault[];
  readonly hooks: Hook[];
  /** Counts a write made directly to s3rver (a new version of `key`). */
  bump(key: string): void;
  /** The version id `key` has now (versioned play). */
  currentVersion(key: string): string;
  /** Play a versioned bucket (version ids on responses, `versionId` stripped before s3rver). */
  versioned: boolean;
  /** Writes (PutObject, CopyObject) that succeeded, per destination key. */
  writesPerKey(): Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

function header(h: IncomingMessage["headers"], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function errorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} (injected)</Message></Error>`;
}

/** The version id of the `generation`-th write of a key. */
export function fakeVersionId(key: string, generation: number): string {
  return `v${generation}-${createHash("sha256").update(key).digest("hex").slice(0, 8)}`;
}

export interface Hook {
  readonly when: (r: WireRequest) => boolean;
  /** Runs before the request reaches s3rver (e.g. a user re-uploading in the middle of a move). */
  readonly run: () => Promise<void>;
  times?: number;
}

export async function startS3Wire(target: string): Promise<S3Wire> {
  const t = new URL(target);
  const requests: WireRequest[] = [];
  const faults: Fault[] = [];
  const hooks: Hook[] = [];
  const generation = new Map<string, number>();
  const locks = new Map<string, Promise<void>>();

  const forward = (
    method: string,
    path: string,
    headers: IncomingMessage["headers"],
    body?: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const up = request({ host: t.hostname, port: t.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      up.on("error", reject);
      up.end(body);
    });

  const direct = new S3Client({
    region: "eu-west-1",
    endpoint: target,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  /** The object at a path-style `/bucket/key` (decoded), or undefined. */
  const headOf = async (path: string) => {
    const [, bucket = "", ...rest] = path.split("/");
    try {
      const r = await direct.send(
        new HeadObjectCommand({ Bucket: bucket, Key: rest.map((x) => decodeURIComponent(x)).join("/") }),
      );
      return { etag: r.ETag };
    } catch {
      return undefined;
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const u = new URL(req.url ?? "/", "http://local");
    const what = classifyS3Request(req.method ?? "GET", req.url ?? "/", req.headers);
    const rawSource = header(req.headers, "x-amz-copy-source");
    const rec: WireRequest = {
      op: what.op,
      key: what.key,
      ...(u.searchParams.get("versionId") ? { versionId: u.searchParams.get("versionId")! } : {}),
      ...(header(req.headers, "if-none-match") ? { ifNoneMatch: header(req.headers, "if-none-match")! } : {}),
      ...(header(req.headers, "if-match") ? { ifMatch: header(req.headers, "if-match")! } : {}),
      ...(rawSource ? { copySource: rawSource } : {}),
      ...(header(req.headers, "x-amz-copy-source-if-match")
        ? { copySourceIfMatch: header(req.headers, "x-amz-copy-source-if-match")! }
        : {}),
      ...(what.op === "DeleteObjects" ? { objects: deleteObjectsOf(body.toString("utf8")) } : {}),
      status: 0,
    };
    requests.push(rec);
    const reply = (status: number, headers: IncomingMessage["headers"], payload: Buffer | string) => {
      rec.status = status;
      res.writeHead(status, headers);
      res.end(req.method === "HEAD" ? undefined : payload);
    };
    const fault = faults.find((f) => (f.times ?? 1) > 0 && f.when(rec));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      reply(fault.status, { "content-type": "application/xml" }, errorXml(fault.code));
      return;
    }
    const hook = hooks.find((x) => (x.times ?? 1) > 0 && x.when(rec));
    if (hook) {
      hook.times = (hook.times ?? 1) - 1;
      await hook.run();
    }
    // What s3rver gets: no versionId (it keeps one version), no conditional headers it would misread.
    u.searchParams.delete("versionId");
    const path = `${u.pathname}${u.search}`;
    const headers = { ...req.headers };
    if (rawSource) headers["x-amz-copy-source"] = rawSource.split("?")[0];
    const keyPath = u.pathname;

    if (rec.ifNoneMatch === "*" && (what.op === "PutObject" || what.op === "CopyObject")) {
      if (await headOf(keyPath))
        return reply(412, { "content-type": "application/xml" }, errorXml("PreconditionFailed"));
    }
    if (rec.ifMatch && what.op === "DeleteObject" && !rec.versionId) {
      const h = await headOf(keyPath);
      if (h && h.etag !== rec.ifMatch)
        return reply(412, { "content-type": "application/xml" }, errorXml("PreconditionFailed"));
    }
    if (rec.copySourceIfMatch && rawSource) {
      const srcPath = `/${rawSource.split("?")[0]!.replace(/^\//, "")}`;
      const h = await headOf(srcPath);
      if (h && h.etag !== rec.copySourceIfMatch)
        return reply(412, { "content-type": "application/xml" }, errorXml("PreconditionFailed"));
    }
    if (
      wire.versioned &&
      rec.versionId &&
      (what.op === "HeadObject" || what.op === "GetObject" || what.op === "DeleteObject")
    ) {
      // Only the current version exists in s3rver: another version id is a version that is gone.
      const h = await headOf(keyPath);
      const current = h ? fakeVersionId(what.key, generation.get(what.key) ?? 0) : undefined;
      if (current !== rec.versionId) {
        if (what.op === "DeleteObject") return reply(204, { "x-amz-version-id": rec.versionId }, "");
        return reply(404, { "content-type": "application/xml" }, errorXml("NoSuchVersion"));
      }
    }
    const r = await forward(req.method ?? "GET", path, headers, body);
    const out = { ...r.headers };
    if (r.status === 200 && (what.op === "PutObject" || what.op === "CopyObject"))
      generation.set(what.key, (generation.get(what.key) ?? 0) + 1);
    if (wire.versioned && r.status === 200 && (what.op === "HeadObject" || what.op === "GetObject")) {
      out["x-amz-version-id"] = fakeVersionId(what.key, generation.get(what.key) ?? 0);
    }
    reply(r.status, out, r.body);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const key = classifyS3Request(req.method ?? "GET", req.url ?? "/", req.headers).key;
      const previous = locks.get(key) ?? Promise.resolve();
      const run = previous
        .then(() => handle(req, res, Buffer.concat(chunks)))
        .catch((e: unknown) => {
          res.writeHead(502);
          res.end(String(e));
        });
      locks.set(key, run);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const wire: S3Wire = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    faults,
    hooks,
    versioned: false,
    bump(key) {
      generation.set(key, (generation.get(key) ?? 0) + 1);
    },
    currentVersion(key) {
      return fakeVersionId(key, generation.get(key) ?? 0);
    },
    writesPerKey() {
      const m = new Map<string, number>();
      for (const r of requests) {
        if ((r.op === "PutObject" || r.op === "CopyObject") && r.status === 200) m.set(r.key, (m.get(r.key) ?? 0) + 1);
      }
      return m;
    },
    reset() {
      requests.length = 0;
      faults.length = 0;
      hooks.length = 0;
      wire.versioned = false;
    },
    close: () =>
      new Promise<void>((r) => {
        direct.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return wire;
}
