/**
 * Splits one file into transaction messages. Two streamed passes over the object: the first checks
 * the whole envelope (an IEA count that disagrees sits at the end of the file), the second enqueues.
 * So a malformed file starts no transaction at all, and memory stays flat (one transaction at a time).
 * Both passes read the same object version (GetObject IfMatch the first pass's ETag).
 */
import { CopyObjectCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { failedKey, recordKey } from "../../model/layout";
import { pipelineOf, type PipelineDocument, type PipelinePartner } from "../../model/pipeline-document";
import { copySource, putJson } from "../shared/s3-object";
import type { PipelineSource } from "./source";
import { EnvelopeError, splitter } from "./split";
import { messageContext, transactionMessage, type SourceObject, type TransactionMessage } from "./transaction-message";

/** SendMessageBatch takes at most 10 entries. */
export const ENQUEUE_BATCH = 10;
/**
 * 256 KiB: the Step Functions execution input limit ("Step Functions service quotas"), and what one
 * SendMessageBatch call may carry in all (SQS developer guide, message quotas). One transaction
 * message must fit the first; a batch, the second.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;

const messageBytes = (m: TransactionMessage): number => Buffer.byteLength(JSON.stringify(m), "utf8");

export interface SplitDeps {
  readonly s3: S3Client;
  readonly doc: PipelineDocument;
  /** Sends up to ENQUEUE_BATCH messages; throws when any is refused (the split message is retried). */
  readonly enqueue: (messages: readonly TransactionMessage[]) => Promise<void>;
}

export type SplitOutcome =
  | { readonly status: "split"; readonly transactions: number; readonly source: SourceObject }
  | { readonly status: "skipped"; readonly reason: string }
  | { readonly status: "failed"; readonly reason: string; readonly failedKey: string };

interface Opened {
  readonly key: string;
  readonly etag: string;
  readonly versionId?: string;
  readonly lastModified: Date;
  readonly body: Readable;
}

export async function open(
  s3: S3Client,
  bucket: string,
  keys: readonly string[],
  etag?: string,
): Promise<Opened | undefined> {
  for (const key of keys) {
    try {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) }));
      return {
        key,
        etag: (r.ETag ?? "").replace(/"/g, ""),
        ...(r.VersionId ? { versionId: r.VersionId } : {}),
        lastModified: r.LastModified ?? new Date(0),
        body: r.Body as Readable,
      };
    } catch (e) {
      if ((e as { name?: string }).name === "NoSuchKey") continue;
      throw e;
    }
  }
  return undefined;
}

export async function splitFile(source: PipelineSource, deps: SplitDeps): Promise<SplitOutcome> {
  const pipeline = pipelineOf(deps.doc, source.route.station, source.route.partner);
  if (!pipeline) return { status: "skipped", reason: "the partner has no pipeline" };
  if (pipeline.test !== source.route.test)
    return { status: "skipped", reason: `test level of the key (${source.route.test}) is not the partner's` };
  const first = await open(deps.s3, source.bucket, source.keys);
  if (!first) return { status: "skipped", reason: "the file is gone" };
  const split = splitter(pipeline.format, pipeline.xmlElement);
  const src: SourceObject = {
    bucket: source.bucket,
    key: first.key,
    etag: first.etag,
    ...(first.versionId ? { versionId: first.versionId } : {}),
  };
  const ctx = messageContext(deps.doc, pipeline, src, first.lastModified.toISOString());
  try {
    // Pass 1: the whole envelope, and every transaction small enough to be a message and an input.
    for await (const tx of split(first.body)) {
      const bytes = messageBytes(transactionMessage(ctx, tx));
      if (bytes > MAX_MESSAGE_BYTES)
        throw new EnvelopeError(
          `transaction ${tx.position + 1} is ${bytes} bytes as a message; SQS messages and Step Functions inputs hold at most ${MAX_MESSAGE_BYTES}`,
        );
    }
  } catch (e) {
    if (!(e instanceof EnvelopeError)) throw e;
    return { status: "failed", reason: e.reason, failedKey: await recordFailure(deps, source, first, pipeline, e) };
  }
  const second = await open(deps.s3, source.bucket, [first.key], `"${first.etag}"`);
  if (!second) return { status: "skipped", reason: "the file is gone" };
  // Batches are cut at 10 entries or at the 256 KiB a SendMessageBatch call may carry in all.
  let batch: TransactionMessage[] = [];
  let batchBytes = 0;
  let count = 0;
  for await (const tx of split(second.body)) {
    const message = transactionMessage(ctx, tx);
    const bytes = messageBytes(message);
    if (batch.length === ENQUEUE_BATCH || batchBytes + bytes > MAX_MESSAGE_BYTES) {
      await deps.enqueue(batch);
      batch = [];
      batchBytes = 0;
    }
    batch.push(message);
    batchBytes += bytes;
    count += 1;
  }
  if (batch.length) await deps.enqueue(batch);
  return { status: "split", transactions: count, source: src };
}

/**
 * The file goes to the partner's failed/ folder with a record that gives the reason; the original
 * stays where it is (inbox/ is what the partner sent and the MDN acknowledged). The failed key is
 * named by the file's LastModified, so a redelivered split message rewrites the same two objects.
 */
async function recordFailure(
  deps: SplitDeps,
  source: PipelineSource,
  file: Opened,
  pipeline: PipelinePartner,
  e: EnvelopeError,
): Promise<string> {
  file.body.destroy();
  const to = failedKey(deps.doc.layout, {
    route: source.route,
    fileName: source.fileName,
    at: file.lastModified,
    seed: file.etag,
  });
  await deps.s3.send(
    new CopyObjectCommand({ Bucket: source.bucket, Key: to, CopySource: copySource(source.bucket, file.key) }),
  );
  await putJson(deps.s3, source.bucket, recordKey(to), {
    status: "FAILED",
    stage: "split",
    format: pipeline.format,
    reason: e.reason,
    source: { bucket: source.bucket, key: file.key, etag: file.etag, via: source.via },
    receivedAt: file.lastModified.toISOString(),
  });
  return to;
}
