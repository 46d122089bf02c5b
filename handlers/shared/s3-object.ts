/**
 * The S3 operations every handler needs, written once: robust key resolution for events, safe
 * server-side moves (nothing is deleted before its copy is verified), JSON records.
 */
import {
  S3Client,
  HeadObjectCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  PutObjectCommand,
  GetObjectCommand,
  type HeadObjectCommandOutput,
} from "@aws-sdk/client-s3";

export interface ObjectInfo {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified?: Date;
  readonly versionId?: string;
  /** Server-side encryption: with aws:kms, ETags are not content digests. */
  readonly sse?: string;
  readonly checksum?: string;
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "NotFound" || err?.name === "NoSuchKey" || err?.$metadata?.httpStatusCode === 404;
}

/**
 * 409 ConditionalRequestConflict: a concurrent conditional write to the same key was in flight; S3
 * asks the caller to retry (S3 API reference, PutObject/CopyObject `If-None-Match`).
 */
export function isConditionalConflict(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err?.name === "ConditionalRequestConflict" ||
    err?.Code === "ConditionalRequestConflict" ||
    err?.$metadata?.httpStatusCode === 409
  );
}

export function isPreconditionFailed(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err?.name === "PreconditionFailed" || err?.Code === "PreconditionFailed" || err?.$metadata?.httpStatusCode === 412
  );
}

function info(key: string, h: HeadObjectCommandOutput): ObjectInfo {
  return {
    key,
    etag: h.ETag ?? "",
    size: h.ContentLength ?? 0,
    ...(h.LastModified ? { lastModified: h.LastModified } : {}),
    ...(h.VersionId ? { versionId: h.VersionId } : {}),
    ...(h.ServerSideEncryption ? { sse: h.ServerSideEncryption } : {}),
    ...(h.ChecksumSHA256 || h.ChecksumCRC64NVME || h.ChecksumCRC32
      ? { checksum: h.ChecksumSHA256 ?? h.ChecksumCRC64NVME ?? h.ChecksumCRC32 }
      : {}),
  };
}

/** HeadObject (of one version when `versionId` is given), or undefined when it does not exist. */
export async function headObject(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<ObjectInfo | undefined> {
  try {
    return info(
      key,
      await s3.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: key,
          ChecksumMode: "ENABLED",
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      ),
    );
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Decoding of S3 notification keys: URL-encoded, with '+' for space. */
export function decodeEventKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
}

/**
 * Finds the object an event names. S3 notifications URL-encode keys; whether EventBridge does is
 * not settled in AWS's docs (DESIGN.md), so try the decoded key first, then the raw one. When the
 * event carries the object's ETag, a candidate with another ETag is not it: `a+b.xml` and
 * `a b.xml` may both exist.
 */
export async function resolveEventKey(
  s3: S3Client,
  bucket: string,
  rawKey: string,
  etag?: string,
): Promise<ObjectInfo | undefined> {
  const matches = (o: ObjectInfo | undefined) => o !== undefined && (etag === undefined || sameEtag(o.etag, etag));
  const decoded = decodeEventKey(rawKey);
  const found = await headObject(s3, bucket, decoded);
  if (matches(found) || decoded === rawKey) return matches(found) ? found : undefined;
  const raw = await headObject(s3, bucket, rawKey);
  if (matches(raw)) return raw;
  // Neither matches the ETag: the object changed after the event. Report the decoded key's object.
  return found ?? raw;
}

/** Events carry ETags without quotes; S3 responses with them. */
export function sameEtag(a: string, b: string): boolean {
  return a.replace(/"/g, "") === b.replace(/"/g, "");
}

/** CopySource for CopyObject: each key segment encodeURIComponent-encoded (what real S3 requires). */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}

export class MoveError extends Error {
  override readonly name = "MoveError";
  constructor(
    message: string,
    readonly reason: "source-changed" | "source-missing" | "verify-failed" | "destination-taken",
  ) {
    super(message);
  }
}

/** Whether `copy` is a faithful copy of `source`. With SSE-KMS, ETags are not content digests. */
export function copyMatches(source: ObjectInfo, copy: ObjectInfo): boolean {
  return copy.size === source.size && copyIsSource(source, copy);
}

export interface MoveResult {
  readonly to: ObjectInfo;
  /** False when the source had already been moved (a retried event): the copy was found in place. */
  readonly moved: boolean;
}

/** What a move needs to know of its source: the exact version when the bucket is versioned. */
export type MoveSource = Pick<ObjectInfo, "key" | "etag" | "size"> & Partial<Pick<ObjectInfo, "versionId">>;

const COPY_CONFLICT_RETRIES = 3;

/** What CopyObject answered about the copy it made (S3 API reference, CopyObject response and CopyObjectResult). */
export interface CopiedObject {
  readonly etag: string;
  readonly lastModified?: Date;
  /** The new object's version (versioned buckets). */
  readonly versionId?: string;
  /** The source version that was copied (`x-amz-copy-source-version-id`). */
  readonly sourceVersionId?: string;
  readonly sse?: string;
  /** Present when the source had one; S3 adds CRC64NVME to every new object (CopyObjectResult). */
  readonly checksum?: string;
}

export type CopyOutcome =
  { readonly status: "copied"; readonly copy: CopiedObject } | { readonly status: "exists" | "changed" | "missing" };

/**
 * Server-side copy that never overwrites: `If-None-Match: *` on the destination (CopyObject
 * supports it: S3 API reference, CopyObject `IfNoneMatch`, "Copies the object only if the object
 * key name at the destination does not already exist"), the exact source version (`?versionId=`)
 * or, unversioned, `x-amz-copy-source-if-match` ("Copies the object if its entity tag (ETag)
 * matches the specified tag", else 412 Precondition Failed: S3 API reference, CopyObject; private
 * working files that only the gateway writes are copied by key when no ETag is given). Returns
 * "exists" when the destination already holds an object (a 412 whose source is unchanged),
 * "changed" when the source no longer matches, "missing" when it is gone. A 409
 * ConditionalRequestConflict (a concurrent write to the same key) is retried, as S3 asks.
 */
export async function copyExact(
  s3: S3Client,
  bucket: string,
  source: MoveSource,
  to: string,
  extra: { contentType?: string; metadata?: Record<string, string> } = {},
): Promise<CopyOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          CopySource: copySource(bucket, source.key, source.versionId),
          ...(source.versionId || !source.etag ? {} : { CopySourceIfMatch: source.etag }),
          IfNoneMatch: "*",
          ...(extra.metadata
            ? {
                MetadataDirective: "REPLACE",
                Metadata: extra.metadata,
                ...(extra.contentType ? { ContentType: extra.contentType } : {}),
              }
            : {}),
        }),
      );
      const c = r.CopyObjectResult ?? {};
      const checksum = c.ChecksumSHA256 ?? c.ChecksumCRC64NVME ?? c.ChecksumCRC32;
      return {
        status: "copied",
        copy: {
          etag: c.ETag ?? "",
          ...(c.LastModified ? { lastModified: c.LastModified } : {}),
          ...(r.VersionId ? { versionId: r.VersionId } : {}),
          ...(r.CopySourceVersionId ? { sourceVersionId: r.CopySourceVersionId } : {}),
          ...(r.ServerSideEncryption ? { sse: r.ServerSideEncryption } : {}),
          ...(checksum ? { checksum } : {}),
        },
      };
    } catch (e) {
      if (isConditionalConflict(e) && attempt < COPY_CONFLICT_RETRIES) continue;
      if (isConditionalConflict(e)) return { status: "exists" };
      if (isPreconditionFailed(e)) {
        // One status for two conditions: tell them apart by looking at the destination.
        return { status: (await headObject(s3, bucket, to)) ? "exists" : "changed" };
      }
      if (isNotFound(e)) return { status: "missing" };
      throw e;
    }
  }
}

/**
 * Whether the copy CopyObject reports is the source that was asked for. The copy was conditional on
 * the source's version or ETag, so what is left to check is S3's own answer: the version it copied,
 * the checksum, or the ETag. With SSE-KMS an ETag is no content digest, and a source uploaded in
 * parts has an ETag of its parts (`…-N`) that a single-part copy cannot have: then the condition
 * on the source is the check.
 */
export function copyIsSource(source: MoveSource & Partial<Pick<ObjectInfo, "sse" | "checksum">>, copy: CopiedObject) {
  if (source.versionId && copy.sourceVersionId && copy.sourceVersionId !== source.versionId) return false;
  if (source.checksum && copy.checksum) return source.checksum === copy.checksum;
  if (source.sse === "aws:kms" || copy.sse === "aws:kms") return true;
  if (!source.etag || /-\d+"?$/.test(source.etag)) return true;
  return sameEtag(copy.etag, source.etag);
}

/**
 * Server-side move of one exact object version: copy it (never over an existing object, only while
 * the source is the claimed version), verify the copy from CopyObject's answer, then delete exactly
 * that version (`VersionId`) or, unversioned, only while it still has its ETag (`If-Match`, S3
 * conditional deletes on general purpose buckets: "How to perform conditional deletes", S3 user
 * guide). A re-upload of identical bytes during the move is another version: it survives and is
 * sent as its own message. Two requests when nothing went wrong; when the destination is taken or
 * the source gone (a retried event), the destination is read: a verified copy there from an earlier
 * attempt means that attempt got that far, and nothing is done twice.
 */
export async function safeMove(
  s3: S3Client,
  bucket: string,
  source: MoveSource & Partial<Pick<ObjectInfo, "sse" | "checksum">>,
  to: string,
  extra: { contentType?: string; metadata?: Record<string, string> } = {},
): Promise<MoveResult> {
  const first = await copyExact(s3, bucket, source, to, extra);
  if (first.status === "changed")
    throw new MoveError(`s3://${bucket}/${source.key} is no longer the version that was claimed`, "source-changed");
  if (first.status === "copied" && !copyIsSource(source, first.copy))
    throw new MoveError(
      `copy of s3://${bucket}/${source.key} at ${to} does not match its source; the source was kept`,
      "verify-failed",
    );
  if (first.status !== "copied") {
    // Read the destination: an earlier attempt's copy (a retried event), or another object.
    const there = await headObject(s3, bucket, to);
    if (first.status === "missing") {
      if (there && there.size === source.size) return { to: there, moved: false };
      throw new MoveError(`s3://${bucket}/${source.key} no longer exists and no copy is at ${to}`, "source-missing");
    }
    if (!there || !copyMatches(source, there))
      throw new MoveError(
        `${to} already holds another object; s3://${bucket}/${source.key} was kept`,
        "destination-taken",
      );
    await deleteExact(s3, bucket, source);
    return { to: there, moved: true };
  }
  const { copy } = first;
  const versionId = copy.sourceVersionId ?? source.versionId;
  await deleteExact(s3, bucket, { ...source, ...(versionId ? { versionId } : {}) });
  return {
    to: {
      key: to,
      etag: copy.etag,
      size: source.size,
      ...(copy.lastModified ? { lastModified: copy.lastModified } : {}),
      ...(copy.versionId ? { versionId: copy.versionId } : {}),
      ...(copy.sse ? { sse: copy.sse } : {}),
      ...(copy.checksum ? { checksum: copy.checksum } : {}),
    },
    moved: true,
  };
}

/**
 * Deletes exactly the version that was copied. Unversioned, `If-Match` keeps a changed object (a
 * new upload under the same name). A 412 means it changed: keep it, it is a new file.
 */
export async function deleteExact(s3: S3Client, bucket: string, source: MoveSource): Promise<void> {
  try {
    await s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: source.key,
        ...(source.versionId ? { VersionId: source.versionId } : { IfMatch: source.etag }),
      }),
    );
  } catch (e) {
    if (!isPreconditionFailed(e) && !isNotFound(e)) throw e;
  }
}

/** An object a multi-object delete left in place, with S3's per-key error code. */
export interface NotDeleted {
  readonly key: string;
  readonly code: string;
}

/**
 * Deletes several objects in one request (DeleteObjects, at most 1000 keys: S3 refuses more). S3
 * answers 200 even when some keys fail: the failures are per key in `Errors` and are returned here,
 * for the caller to judge; a key that does not exist counts as deleted (S3 API reference,
 * DeleteObjects). Quiet mode: the answer lists the failures only. Each key is authorized as its own
 * delete (`s3:DeleteObject`; DeleteObjects "Permissions"): a key the role may not delete is an
 * `AccessDenied` in `Errors`, not a failed request. Throws when the request itself fails. By key
 * only: `ObjectIdentifier` also takes a VersionId or an ETag condition per object (S3 API reference,
 * ObjectIdentifier; S3 user guide, "How to perform conditional deletes"), which no caller needs yet.
 */
export async function deleteMany(s3: S3Client, bucket: string, keys: readonly string[]): Promise<NotDeleted[]> {
  if (keys.length === 0) return [];
  const r = await s3.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: keys.map((Key) => ({ Key })) } }),
  );
  return (r.Errors ?? []).map((e) => ({ key: e.Key ?? "", code: e.Code ?? "Unknown" }));
}

/**
 * Writes a JSON object. With `once`, never over an existing object (`If-None-Match: *`, supported
 * by PutObject: S3 user guide "Conditional writes"); a 412 is fine when the object there is this
 * writer's own earlier attempt, which callers establish by reserving the key first.
 */
export async function putJson(
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
  opts: { once?: boolean } = {},
): Promise<"written" | "exists"> {
  for (let attempt = 1; ; attempt++) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: `${JSON.stringify(value, null, 2)}\n`,
          ContentType: "application/json",
          ...(opts.once ? { IfNoneMatch: "*" } : {}),
        }),
      );
      return "written";
    } catch (e) {
      if (opts.once && isConditionalConflict(e) && attempt < COPY_CONFLICT_RETRIES) continue;
      if (opts.once && (isPreconditionFailed(e) || isConditionalConflict(e))) return "exists";
      throw e;
    }
  }
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await r.Body!.transformToString();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Reads a JSON object, or undefined when absent. Throws on malformed JSON with the key in the message. */
export async function getJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
  const text = await getText(s3, bucket, key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`s3://${bucket}/${key} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}
