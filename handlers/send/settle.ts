/**
 * Lambda on the send queue: S3 uploads (via EventBridge), delayed re-checks, claim continuations
 * and retries. Everything that leads to StartFileTransfer goes through here.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { parseSendKey, sendBatchPrefix } from "../../model/layout";
import { decodeEventKey } from "../shared/s3-object";
import { settleContext } from "./context";
import { routeOf } from "./decide";
import { parseQueueBody } from "./messages";
import { handleFileMessage, handleBatch, advance } from "./stage";
import { retryFile } from "./transmit";
import { eachRecord, SEND_RECORD_CONCURRENCY } from "./sqs-batch";

/** What a message works on: one upload, one batch directory, or one claim (sqs-batch.ts groupOf). */
export function workOf(record: SQSRecord): string {
  const msg = parseQueueBody(record.body);
  switch (msg.kind) {
    case "file": {
      const key = msg.exact ? msg.key : decodeEventKey(msg.key);
      const parsed = parseSendKey(key);
      if (parsed.ok && parsed.value.batch !== undefined)
        return `batch:${sendBatchPrefix(routeOf(parsed.value), parsed.value.batch)}`;
      return `file:${key}`;
    }
    case "batch":
      return `batch:${msg.prefix}`;
    case "resume":
    case "retry":
      return `claim:${msg.claimId}`;
  }
}

export async function handler(event: SQSEvent, _context?: Context): Promise<SQSBatchResponse> {
  const ctx = await settleContext();
  return eachRecord(
    event,
    async (record) => {
      const msg = parseQueueBody(record.body);
      switch (msg.kind) {
        case "file":
          return handleFileMessage(ctx, msg);
        case "batch":
          return handleBatch(ctx, msg.prefix);
        case "resume":
          return advance(ctx, msg.claimId);
        case "retry":
          return retryFile(ctx, msg);
      }
    },
    { concurrency: SEND_RECORD_CONCURRENCY, groupOf: workOf },
  );
}
