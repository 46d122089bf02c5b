/** SQS-driven handlers report partial batch failures: only failed records come back (ReportBatchItemFailures). */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { logger } from "../shared/logger";

/** Records of one SQS batch a send handler works on at the same time (a batch holds at most 10 by default). */
export const SEND_RECORD_CONCURRENCY = 10;

export interface EachRecordOptions {
  /**
   * Records worked on at the same time. Independent records gain from it: almost all of a record's
   * time is waiting on S3 and DynamoDB, so a batch processed one record after another takes ten
   * round-trip chains instead of one.
   * @default 1
   */
  readonly concurrency?: number;
  /**
   * Records with the same group (the same upload, batch directory or claim) run one after the other,
   * in the batch's order, as they always did: a repeated event then finds the work done instead of
   * racing it. Every step is a conditional write, so racing would be safe, only slower.
   */
  readonly groupOf?: (record: SQSRecord) => string | undefined;
}

export async function eachRecord(
  event: SQSEvent,
  fn: (record: SQSRecord) => Promise<void>,
  options: EachRecordOptions = {},
): Promise<SQSBatchResponse> {
  const records = event.Records ?? [];
  const failed = new Set<SQSRecord>();
  const one = async (record: SQSRecord): Promise<void> => {
    try {
      await fn(record);
    } catch (e) {
      logger.error("message failed; SQS delivers it again (then to the dead-letter queue)", {
        messageId: record.messageId,
        error: e as Error,
      });
      failed.add(record);
    }
  };
  // A lane per group (a record of no group has its own), worked through in order.
  const lanes = new Map<string, SQSRecord[]>();
  records.forEach((record, i) => {
    let lane = `#${i}`;
    try {
      const group = options.groupOf?.(record);
      if (group !== undefined) lane = group;
    } catch {
      // an unreadable record fails on its own in fn
    }
    lanes.set(lane, [...(lanes.get(lane) ?? []), record]);
  });
  const queue = [...lanes.values()];
  const worker = async (): Promise<void> => {
    for (let lane = queue.shift(); lane; lane = queue.shift()) for (const record of lane) await one(record);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 1, queue.length) }, worker));
  // In the batch's order, whatever order the records finished in.
  return { batchItemFailures: records.filter((r) => failed.has(r)).map((r) => ({ itemIdentifier: r.messageId })) };
}
