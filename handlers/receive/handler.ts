/**
 * Receive pipeline Lambda: SQS batch of Transfer events (EventBridge rule → queue). Each record is
 * handled on its own; failures are reported per record (ReportBatchItemFailures), so SQS retries
 * just those and its redrive policy moves them to the dead-letter queue in the end.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { s3Client } from "../shared/clients";
import { eventBridgeClient } from "../shared/domain-events";
import { requireEnv } from "../shared/env";
import { logger } from "../shared/logger";
import { loadRouting } from "../shared/routing-loader";
import type { ReceiveContext } from "./context";
import { processTransferEvent } from "./process-event";

export async function handleBatch(
  event: SQSEvent,
  ctxFactory: () => Promise<ReceiveContext> = defaultContext,
): Promise<SQSBatchResponse> {
  const ctx = await ctxFactory();
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    try {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        throw new Error(`SQS message ${record.messageId} is not JSON: expected an EventBridge event`);
      }
      const outcome = await processTransferEvent(ctx, body);
      logger.info("transfer event handled", { messageId: record.messageId, ...outcome });
    } catch (e) {
      const err = e as Error;
      logger.error("transfer event failed; SQS will retry it, then keep it in the dead-letter queue", {
        messageId: record.messageId,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        error: err.name,
        reason: err.message,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export async function defaultContext(): Promise<ReceiveContext> {
  const s3 = s3Client();
  return {
    s3,
    eventBridge: eventBridgeClient(),
    bucket: requireEnv("BUCKET"),
    eventBusName: requireEnv("EVENT_BUS_NAME"),
    routing: await loadRouting(s3),
    now: () => new Date(),
  };
}

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => handleBatch(event);
