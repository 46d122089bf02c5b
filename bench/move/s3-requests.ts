/** Names an S3 REST request (path-style) the way the API reference does, and finds its key. */

export type S3Operation =
  | "ListObjectsV2"
  | "ListObjects"
  | "GetObject"
  | "HeadObject"
  | "PutObject"
  | "CopyObject"
  | "UploadPart"
  | "UploadPartCopy"
  | "CreateMultipartUpload"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "DeleteObject"
  | "DeleteObjects"
  | "GetObjectTagging"
  | "PutObjectTagging"
  | "HeadBucket"
  | "Other";

export interface S3Request {
  readonly op: S3Operation;
  readonly bucket: string;
  /** Decoded object key ('' for bucket-level requests). */
  readonly key: string;
}

export function classifyS3Request(
  method: string,
  url: string,
  headers: Record<string, string | string[] | undefined>,
): S3Request {
  const u = new URL(url, "http://local");
  const [, bucket = "", ...rest] = u.pathname.split("/");
  const key = rest.map((s) => decodeURIComponent(s)).join("/");
  const q = u.searchParams;
  const copy = headers["x-amz-copy-source"] !== undefined;
  const m = method.toUpperCase();
  const op = ((): S3Operation => {
    if (!key) {
      if (m === "GET") return q.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
      if (m === "POST" && q.has("delete")) return "DeleteObjects";
      if (m === "HEAD") return "HeadBucket";
      return "Other";
    }
    if (q.has("tagging")) return m === "GET" ? "GetObjectTagging" : m === "PUT" ? "PutObjectTagging" : "Other";
    switch (m) {
      case "GET":
        return "GetObject";
      case "HEAD":
        return "HeadObject";
      case "PUT":
        if (q.has("partNumber")) return copy ? "UploadPartCopy" : "UploadPart";
        return copy ? "CopyObject" : "PutObject";
      case "POST":
        if (q.has("uploads")) return "CreateMultipartUpload";
        if (q.has("uploadId")) return "CompleteMultipartUpload";
        return "Other";
      case "DELETE":
        return q.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
      default:
        return "Other";
    }
  })();
  return { op, bucket: decodeURIComponent(bucket), key };
}

/** A request seen by the counting proxy: an S3 operation, or a JSON-protocol one (`PutItem`). */
export interface CountedRequest {
  readonly op: string;
  readonly bucket: string;
  readonly key: string;
  readonly status: number;
  /** Body bytes sent to S3 (PutObject, UploadPart) and received from it (GetObject). */
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** From the request's arrival at the proxy to the end of the response. */
  readonly ms: number;
  /** Items written by a DynamoDB transaction (each costs two write units). */
  readonly items?: number;
}

/** JSON-protocol services name the operation in a header: `DynamoDB_20120810.PutItem` → `PutItem`. */
export function classifyJsonRequest(
  _method: string,
  _url: string,
  headers: Record<string, string | string[] | undefined>,
): { op: string; bucket: string; key: string } {
  const target = String(headers["x-amz-target"] ?? "");
  return { op: target.slice(target.lastIndexOf(".") + 1) || "Other", bucket: "", key: "" };
}

/** Items a DynamoDB TransactWriteItems request writes (what it is billed by), else undefined. */
export function transactionItems(op: string, body: Buffer): number | undefined {
  if (op !== "TransactWriteItems") return undefined;
  try {
    return ((JSON.parse(body.toString("utf8")) as { TransactItems?: unknown[] }).TransactItems ?? []).length;
  } catch {
    return undefined;
  }
}

/** Requests per operation, `{ HeadObject: 3, CopyObject: 1 }`, in a stable order. */
export function countByOperation(reqs: readonly CountedRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of reqs) out[r.op] = (out[r.op] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** `HeadObject ×3, CopyObject ×1` */
export function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([op, n]) => `${op} ×${n}`)
    .join(", ");
}

/** Operations whose bodies are object data (the others carry XML about objects). */
const DATA_IN: ReadonlySet<string> = new Set<S3Operation>(["PutObject", "UploadPart"]);
const DATA_OUT: ReadonlySet<string> = new Set<S3Operation>(["GetObject"]);

/** Object data sent to or read from S3 by the caller, all keys. */
export function dataBytes(reqs: readonly CountedRequest[]): number {
  return reqs.reduce(
    (a, r) => a + (DATA_IN.has(r.op) ? r.requestBytes : 0) + (DATA_OUT.has(r.op) ? r.responseBytes : 0),
    0,
  );
}

/**
 * Payload bytes that passed through the caller: object data on the payload's keys (the payload
 * wherever it is moved to; its MDN and JSON record beside it are not payload).
 */
export function payloadBytes(reqs: readonly CountedRequest[], isPayloadKey: (key: string) => boolean): number {
  return dataBytes(reqs.filter((r) => isPayloadKey(r.key)));
}
