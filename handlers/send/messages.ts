/**
 * What travels on the send queue: S3 "Object Created" events (from EventBridge), and the
 * pipeline's own messages (a delayed re-check, the continuation of a claim, a retry). Each
 * message names what to look at, never what to conclude: the handler re-reads S3 and the ledger.
 */
import { z } from "zod";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { sqsDelay } from "./decide";

/** `exact`: the key is a plain S3 key (the pipeline's own messages), not an event's possibly encoded one. */
const fileMsg = z.object({
  kind: z.literal("file"),
  bucket: z.string(),
  key: z.string(),
  etag: z.string().optional(),
  exact: z.boolean().optional(),
});
const batchMsg = z.object({ kind: z.literal("batch"), bucket: z.string(), prefix: z.string() });
const resumeMsg = z.object({ kind: z.literal("resume"), claimId: z.string() });
const retryMsg = z.object({
  kind: z.literal("retry"),
  claimId: z.string(),
  fileName: z.string(),
  /** The attempt this message starts (2 for the first retry). */
  attempt: z.number().int().min(2),
  dueAt: z.string().optional(),
  throttled: z.number().int().min(0).default(0),
});

export const pipelineMessageSchema = z.discriminatedUnion("kind", [fileMsg, batchMsg, resumeMsg, retryMsg]);
export type PipelineMessage = z.infer<typeof pipelineMessageSchema>;
export type RetryMessage = z.infer<typeof retryMsg>;

const s3EventSchema = z.object({
  source: z.literal("aws.s3"),
  "detail-type": z.string(),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({
      key: z.string(),
      etag: z.string().optional(),
      size: z.number().optional(),
      "version-id": z.string().optional(),
    }),
  }),
});

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
  const s3 = s3EventSchema.safeParse(json);
  if (s3.success) {
    const o = s3.data.detail.object;
    return { kind: "file", bucket: s3.data.detail.bucket.name, key: o.key, ...(o.etag ? { etag: o.etag } : {}) };
  }
  const own = pipelineMessageSchema.safeParse(json);
  if (own.success) return own.data;
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
