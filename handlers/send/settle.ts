/**
 * Lambda on the send queue: S3 uploads (via EventBridge), delayed re-checks, claim continuations
 * and retries. Everything that leads to StartFileTransfer goes through here.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { sendContext } from "./context";
import { parseQueueBody } from "./messages";
import { handleFileMessage, handleBatch, advance } from "./stage";
import { retryFile } from "./transmit";
import { eachRecord } from "./sqs-batch";

export async function handler(event: SQSEvent, _context?: Context): Promise<SQSBatchResponse> {
  const ctx = await sendContext();
  return eachRecord(event, async (record) => {
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
  });
}
