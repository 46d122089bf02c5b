/**
 * Transfer's two files beside a received payload: the MDN we sent (it joins the payload) and the
 * JSON status file (read into the index, then dropped). Each is handled with the requests that
 * both do the work and answer the question a HeadObject used to ask first.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { copyExact, deleteExact, headObject, safeMove } from "../shared/s3-object";
import { logger } from "../shared/logger";
import { readStatusFile } from "../shared/transfer-events";
import type { ReceiveContext } from "./context";
import type { MessageItem } from "./message-index";

function absent(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "NoSuchKey" || err?.name === "NotFound" || err?.$metadata?.httpStatusCode === 404;
}

/**
 * Moves Transfer's MDN file `from` to `to` (beside the routed payload); the key it is at then, or
 * undefined when there is no MDN. CopyObject by key comes first, with no HeadObject: its 404 says
 * there is no MDN, and its answer names what it copied (`x-amz-copy-source-version-id` on a
 * versioned bucket, else the copy's ETag, which is the source's for a single-part object without
 * SSE-KMS: S3 API reference, CopyObject response), so the delete removes exactly that object and
 * an MDN a resend wrote meanwhile survives. `If-None-Match: *` on `to` (copyExact) never replaces
 * an object. `fresh`: this invocation has just created the payload at its destination, so no
 * earlier attempt can have moved the MDN there (otherwise a missing source is looked for at `to`).
 */
export async function moveMdn(
  ctx: ReceiveContext,
  from: string,
  to: string,
  fresh: boolean,
): Promise<string | undefined> {
  const r = await copyExact(ctx.s3, ctx.bucket, { key: from, etag: "", size: 0 }, to);
  if (r.status === "copied") {
    const { copy } = r;
    if (copy.sourceVersionId) {
      await deleteExact(ctx.s3, ctx.bucket, { key: from, etag: copy.etag, size: 0, versionId: copy.sourceVersionId });
    } else if (copy.sse === "aws:kms") {
      // SSE-KMS: the copy's ETag is no digest of the bytes. S3's checksum of the source proves it is
      // what was copied: an object uploaded without one gets CRC64NVME, kept by the copy (S3 API
      // reference, Checksum and CopyObjectResult `ChecksumCRC64NVME`). None: the MDN stays (never lost).
      const now = await headObject(ctx.s3, ctx.bucket, from);
      if (now && now.checksum !== undefined && now.checksum === copy.checksum)
        await deleteExact(ctx.s3, ctx.bucket, now);
      else if (now) logger.warn("MDN changed while it was moved; the new one stays", { key: from, copy: to });
    } else {
      await deleteExact(ctx.s3, ctx.bucket, { key: from, etag: copy.etag, size: 0 });
    }
    return to;
  }
  if (r.status === "missing") {
    if (fresh) return undefined;
    // An earlier attempt (or the MDN event) may have moved it already.
    return (await headObject(ctx.s3, ctx.bucket, to)) ? to : undefined;
  }
  // `to` holds an object already (an earlier attempt's copy, whose source delete did not happen):
  // the step-by-step move verifies it against the source before deleting anything.
  const source = await headObject(ctx.s3, ctx.bucket, from);
  if (source) await safeMove(ctx.s3, ctx.bucket, source, to);
  return to;
}

/** What Transfer's status file of a delivery said, and the ETag that identifies the file read. */
export interface StatusRead {
  readonly status?: ReturnType<typeof readStatusFile>;
  /** Set when the file exists: its delete is conditional on it. */
  readonly etag?: string;
  /** The file belongs to another delivery (a resend stored under the same key): it stays for that one. */
  readonly another: boolean;
}

/**
 * Transfer's status file, if it is there and belongs to this delivery: a resend of the same
 * message id may have been stored under the same key, and its disposition (`duplicate-document`)
 * must not be written into the first delivery's record. GetObject alone: its 404 says there is
 * none, its ETag lets the later delete remove exactly the file that was read.
 */
export async function readStatus(ctx: ReceiveContext, key: string, item: MessageItem): Promise<StatusRead> {
  let text: string;
  let etag: string | undefined;
  try {
    const r = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key }));
    etag = r.ETag;
    text = await r.Body!.transformToString();
  } catch (e) {
    if (absent(e)) return { another: false };
    throw e;
  }
  try {
    const status = readStatusFile(JSON.parse(text));
    const start = status.raw["start-timestamp"];
    if (typeof start === "string" && item.startTimestamp !== undefined && start !== item.startTimestamp)
      return { etag, another: true };
    return { status, etag, another: false };
  } catch (e) {
    logger.warn("unreadable Transfer status file", { key, error: (e as Error).message });
    return { etag, another: false };
  }
}

/**
 * Drops the status file that was read (once what it said is in the index and the record), only
 * while it is that file: `If-Match` with its ETag (S3 user guide, "How to perform conditional
 * deletes": on a versioned bucket it applies to the current version and leaves a noncurrent one,
 * which lifecycle expires). A 412 means a resend's file replaced it: it stays for that delivery.
 */
export async function dropStatus(ctx: ReceiveContext, key: string, read: StatusRead): Promise<void> {
  if (read.etag === undefined || read.another) return;
  await deleteExact(ctx.s3, ctx.bucket, { key, etag: read.etag, size: 0 });
}
