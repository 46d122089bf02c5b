/** SQS-driven handlers report partial batch failures: only failed records come back (ReportBatchItemFailures). */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { logger } from "../shared/logger";

export async function eachRecord(event: SQSEvent, fn: (record: SQSRecord) => Promise<void>): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records ?? []) {
    try {
      await fn(record);
    } catch (e) {
      logger.error("message failed; SQS delivers it again (then to the dead-letter queue)", {
        messageId: record.messageId,
        error: e as Error,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
