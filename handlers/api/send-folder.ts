/**
 * Puts a file into a partner's send folder for the send pipeline to take, never over an existing
 * object: each candidate name is checked, then written with `If-None-Match: *` (S3 user guide,
 * "Conditional writes": PutObject and CopyObject refuse with 412 when the key exists), and a taken
 * name moves on to `name (1).ext`. Used by the API (send, commit, resend) and by
 * `npm run gateway -- resend`.
 *
 * Why the send folder and not only the send queue: the upload then is an ordinary upload (its S3
 * event, the claim on its object version, the reconciler if an event is lost), so the API adds no
 * second way into the pipeline. The settle wait is what it spares: the API knows when its write is
 * complete, so it announces the exact version on the send queue (`announceSettled`) and the send
 * handler takes that version at once; the S3 event that follows finds the same claim.
 */
import { CopyObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { sendKey, withCollisionSuffix, type Route } from "../../model/layout";
import { copySource, isPreconditionFailed } from "../shared/s3-object";
import { objectIdentity } from "../send/decide";
import type { FileMessage } from "../send/messages";

/** Metadata the API puts on what it writes, so a repeated commit recognises its own copy. */
export const API_UPLOAD_META = "as2-api-upload";
export const RESEND_OF_META = "as2-resend-of";
const MAX_NAMES = 100;

export type SendSource = { readonly body: Uint8Array } | { readonly copyFrom: string };

export interface Placed {
  readonly key: string;
  /** The object version's identity as the send pipeline computes it (claims are per version). */
  readonly identity: string;
  readonly size: number;
  /** ETag and version of what was written: the send handler checks them before it skips the settle wait. */
  readonly etag?: string;
  readonly versionId?: string;
}

async function head(s3: S3Client, bucket: string, key: string) {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (e as { name?: string }).name === "NotFound") return undefined;
    throw e;
  }
}

function identityOf(h: { ETag?: string; LastModified?: Date; VersionId?: string }): string {
  return objectIdentity({
    etag: h.ETag ?? "",
    ...(h.LastModified ? { lastModified: h.LastModified } : {}),
    ...(h.VersionId ? { versionId: h.VersionId } : {}),
  });
}

/**
 * Writes `source` under the first free name. With `owner` set, an object already carrying that
 * owner's metadata is this caller's earlier attempt and is returned instead of writing again.
 */
export async function placeInSendFolder(
  s3: S3Client,
  bucket: string,
  route: Route,
  fileName: string,
  source: SendSource,
  metadata: Record<string, string>,
  owner?: { readonly meta: string; readonly value: string },
  batch?: string,
): Promise<Placed> {
  for (let n = 0; n < MAX_NAMES; n++) {
    const key = sendKey(route, withCollisionSuffix(fileName, n), batch);
    const there = await head(s3, bucket, key);
    if (there) {
      if (owner && there.Metadata?.[owner.meta] === owner.value)
        return { key, identity: identityOf(there), size: there.ContentLength ?? 0, ...versionOf(there) };
      continue;
    }
    try {
      const written =
        "body" in source
          ? await s3.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: source.body,
                IfNoneMatch: "*",
                Metadata: metadata,
              }),
            )
          : await s3.send(
              new CopyObjectCommand({
                Bucket: bucket,
                Key: key,
                CopySource: copySource(bucket, source.copyFrom),
                IfNoneMatch: "*",
                MetadataDirective: "REPLACE",
                Metadata: metadata,
              }),
            );
      // A versioned bucket names the version at once; otherwise the identity needs LastModified.
      const versionId = written.VersionId && written.VersionId !== "null" ? written.VersionId : undefined;
      const h = versionId ? undefined : await head(s3, bucket, key);
      if (!versionId && !h) throw new Error(`s3://${bucket}/${key} vanished right after it was written; retry`);
      const etag =
        "body" in source
          ? (written as { ETag?: string }).ETag
          : (written as { CopyObjectResult?: { ETag?: string } }).CopyObjectResult?.ETag;
      return {
        key,
        identity: versionId ? `v:${versionId}` : identityOf(h!),
        size: h?.ContentLength ?? ("body" in source ? source.body.length : 0),
        ...versionOf({ ETag: h?.ETag ?? etag, VersionId: versionId }),
      };
    } catch (e) {
      if (isPreconditionFailed(e)) continue;
      throw e;
    }
  }
  throw new Error(`no free name for ${fileName} in ${sendKey(route, fileName)} after ${MAX_NAMES} tries`);
}

function versionOf(h: { ETag?: string; VersionId?: string }): Pick<Placed, "etag" | "versionId"> {
  return {
    ...(h.ETag ? { etag: h.ETag } : {}),
    ...(h.VersionId && h.VersionId !== "null" ? { versionId: h.VersionId } : {}),
  };
}

/** Where the send handler takes its uploads (set on the API function when the gateway sends). */
export const SEND_QUEUE_ENV = "SEND_QUEUE_URL";
let sqs: SQSClient | undefined;

/**
 * Tells the send handler that `placed` is complete: a `file` message for that exact version,
 * marked settled, delivered at once (DelaySeconds 0 overrides the send queue's default delay, which
 * is the settle time: SQS developer guide, "Message timers"). Call it once the index holds the
 * message, so the pipeline's transitions follow the API's `queued`. Without a queue (the operator
 * CLI) the upload simply settles like any other; a repeated announcement finds the same claim.
 */
export async function announceSettled(bucket: string, placed: Placed, client?: SQSClient): Promise<void> {
  const queueUrl = process.env[SEND_QUEUE_ENV];
  if (!queueUrl || !placed.etag) return;
  const message: FileMessage = {
    kind: "file",
    bucket,
    key: placed.key,
    etag: placed.etag,
    exact: true,
    settled: true,
    ...(placed.versionId ? { versionId: placed.versionId } : {}),
  };
  await (client ?? (sqs ??= new SQSClient({}))).send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: 0 }),
  );
}
