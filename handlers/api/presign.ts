/**
 * Presigned S3 URLs: downloads and uploads go straight between the client and S3, so no payload
 * byte passes through the Lambda (nor its 6 MB payload limit). The URL carries the Lambda role's
 * session credentials and is valid for API_LIMITS.urlSeconds or until they expire, whichever comes first.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { API_LIMITS } from "../../model/api/limits";

async function presigned(
  s3: S3Client,
  command: GetObjectCommand | PutObjectCommand,
  now: Date,
): Promise<{ url: string; expiresAt: string }> {
  const url = await getSignedUrl(s3, command, { expiresIn: API_LIMITS.urlSeconds });
  return { url, expiresAt: new Date(now.getTime() + API_LIMITS.urlSeconds * 1000).toISOString() };
}

export function downloadUrl(s3: S3Client, bucket: string, key: string, now: Date, fileName?: string) {
  const disposition = fileName && `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`;
  return presigned(
    s3,
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ...(disposition ? { ResponseContentDisposition: disposition } : {}),
    }),
    now,
  );
}

export function uploadUrl(s3: S3Client, bucket: string, key: string, now: Date) {
  return presigned(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), now);
}
