/**
 * What travels on the send queue: S3 "Object Created" events (from EventBridge), and the
 * pipeline's own messages (a delayed re-check, the continuation of a claim, a retry). Each
 * message names what to look at, never what to conclude: the handler re-reads S3 and the ledger.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { sqsDelay } from "./decide";

/** `exact`: the key is a plain S3 key (the pipeline's own messages), not an event's possibly encoded one. */
export interface FileMessage {
  kind: "file";
  bucket: string;
  key: string;
  etag?: string;
  exact?: boolean;
  /** From an S3 event: what S3 said about the object, so that the handler need not ask again. */
  size?: number;
  versionId?: string;
  /** The event's time: when S3 finished the upload. */
  time?: string;
  /**
   * From the API, which wrote this exact version (`etag`, and `versionId` when versioned) and knows
   * it complete: no settle wait for it, and for it only (stage.ts isAnnouncedVersion).
   */
  settled?: boolean;
}
export interface BatchMessage {
  kind: "batch";
  bucket: string;
  prefix: string;
}
export interface ResumeMessage {
  kind: "resume";
  claimId: string;
}
export interface RetryMessage {
  kind: "retry";
  claimId: string;
  fileName: string;
  /** The attempt this message starts (2 for the first retry). */
  attempt: number;
  dueAt?: string;
  throttled: number;
}
export type PipelineMessage = FileMessage | BatchMessage | ResumeMessage | RetryMessage;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const isInt = (v: unknown, min: number): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= min;

/** One of the pipeline's own messages (unknown fields dropped), or undefined. */
function ownMessage(j: unknown): PipelineMessage | undefined {
  if (!isObj(j)) return undefined;
  switch (j.kind) {
    case "file":
      if (!isStr(j.bucket) || !isStr(j.key) || !optional(j.etag, isStr)) return undefined;
      if (!optional(j.exact, (v) => typeof v === "boolean") || !optional(j.versionId, isStr)) return undefined;
      return {
        kind: "file",
        bucket: j.bucket,
        key: j.key,
        ...(j.etag !== undefined ? { etag: j.etag as string } : {}),
        ...(j.exact !== undefined ? { exact: j.exact as boolean } : {}),
        ...(j.versionId !== undefined ? { versionId: j.versionId as string } : {}),
        ...(j.settled === true ? { settled: true } : {}),
      };
    case "batch":
      return isStr(j.bucket) && isStr(j.prefix) ? { kind: "batch", bucket: j.bucket, prefix: j.prefix } : undefined;
    case "resume":
      return isStr(j.claimId) ? { kind: "resume", claimId: j.claimId } : undefined;
    case "retry":
      if (!isStr(j.claimId) || !isStr(j.fileName) || !isInt(j.attempt, 2) || !optional(j.dueAt, isStr))
        return undefined;
      if (!optional(j.throttled, (v) => isInt(v, 0))) return undefined;
      return {
        kind: "retry",
        claimId: j.claimId,
        fileName: j.fileName,
        attempt: j.attempt,
        ...(j.dueAt !== undefined ? { dueAt: j.dueAt as string } : {}),
        throttled: (j.throttled as number | undefined) ?? 0,
      };
    default:
      return undefined;
  }
}

/** An S3 "Object Created" event from EventBridge as a `file` message with its raw key, or undefined. */
function s3EventMessage(j: unknown): FileMessage | undefined {
  if (!isObj(j) || j.source !== "aws.s3" || !isStr(j["detail-type"]) || !isObj(j.detail)) return undefined;
  const { bucket, object: o } = j.detail;
  if (!isObj(bucket) || !isStr(bucket.name) || !isObj(o) || !isStr(o.key)) return undefined;
  if (!optional(o.etag, isStr) || !optional(o["version-id"], isStr)) return undefined;
  if (!optional(o.size, (v) => typeof v === "number" && Number.isFinite(v))) return undefined;
  return {
    kind: "file",
    bucket: bucket.name,
    key: o.key,
    ...(o.etag ? { etag: o.etag as string } : {}),
    ...(o.size !== undefined ? { size: o.size as number } : {}),
    ...(o["version-id"] ? { versionId: o["version-id"] as string } : {}),
    ...(isStr(j.time) && Number.isFinite(Date.parse(j.time)) ? { time: j.time } : {}),
  };
}

export class BadMessage extends Error {
  override readonly name = "BadMessage";
}

/** Turns an SQS body into a pipeline message. S3 events become `file` messages with their raw key. */
export function parseQueueBody(body: string): PipelineMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new BadMessage(`message body is not JSON: ${body.slice(0, 200)}`);
  }
  const message = s3EventMessage(json) ?? ownMessage(json);
  if (message) return message;
  throw new BadMessage(
    `message is neither an S3 Object Created event nor a send pipeline message: ${body.slice(0, 200)}`,
  );
}

/** Sends a message to the send queue, delivered after `delaySeconds` (longer waits carry `dueAt`). */
export async function enqueue(
  sqs: SQSClient,
  queueUrl: string,
  message: PipelineMessage,
  delaySeconds = 0,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(message),
      DelaySeconds: sqsDelay(delaySeconds),
    }),
  );
}
