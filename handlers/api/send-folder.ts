/**
 * Puts a file into a partner's send folder for the send pipeline to take, never over an existing
 * object: each candidate name is checked, then written with `If-None-Match: *` (S3 user guide,
 * "Conditional writes": PutObject and CopyObject refuse with 412 when the key exists), and a taken
 * name moves on to `name (1).ext`. Used by the API (send, commit, resend) and by
 * `npm run gateway -- resend`.
 *
 * Why the send folder and not the send queue: the upload then is an ordinary upload (its S3 event,
 * the claim on its object version, the reconciler if an event is lost), so the API adds no second
 * way into the pipeline; the cost is the settle wait (settle.fileSeconds), which the send handler
 * applies to every upload.
 */
import { CopyObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { sendKey, withCollisionSuffix, type Route } from "../../model/layout";
import { copySource, isPreconditionFailed } from "../shared/s3-object";
import { objectIdentity } from "../send/decide";

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
        return { key, identity: identityOf(there), size: there.ContentLength ?? 0 };
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
      return {
        key,
        identity: versionId ? `v:${versionId}` : identityOf(h!),
        size: h?.ContentLength ?? ("body" in source ? source.body.length : 0),
      };
    } catch (e) {
      if (isPreconditionFailed(e)) continue;
      throw e;
    }
  }
  throw new Error(`no free name for ${fileName} in ${sendKey(route, fileName)} after ${MAX_NAMES} tries`);
}
