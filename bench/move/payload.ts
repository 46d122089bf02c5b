/** Payloads of a given size, streamed so that 200 MB never sits in memory twice. */
import { Readable } from "node:stream";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

const CHUNK = Buffer.alloc(1024 * 1024, "ISA*00*BENCH~");

export function payloadStream(size: number): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, CHUNK.length);
      left -= n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

export async function putPayload(s3: S3Client, bucket: string, key: string, size: number): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: payloadStream(size),
      ContentLength: size,
      ContentType: "application/edi-x12",
    }),
  );
}
