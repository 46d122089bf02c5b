/**
 * The baseline the gateway's movers are compared with: what a quick script does, reading the
 * object through the function and writing it back (streamed, so memory is not the limit; every
 * payload byte still crosses the function twice).
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";

export async function naiveMove(s3: S3Client, bucket: string, from: string, to: string): Promise<void> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: from }));
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: to, Body: got.Body as Readable, ContentLength: got.ContentLength }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: from }));
}
