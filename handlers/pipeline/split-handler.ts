/**
 * Split queue → transaction queue. Each SQS message is an EventBridge event naming one file (see
 * source.ts); the file is split (split-file.ts) and every transaction becomes one message on the
 * transaction queue. A failed split (S3 or SQS error) is retried by SQS: the ids are stable, so the
 * transactions already enqueued by the failed attempt are absorbed downstream.
 */
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { eachRecord } from "../send/sqs-batch";
import { s3Client } from "../shared/clients";
import { requireEnv } from "../shared/env";
import { logger } from "../shared/logger";
import { loadPipelineDocument } from "./config";
import { pipelineSource } from "./source";
import { splitFile } from "./split-file";
import type { TransactionMessage } from "./transaction-message";

let sqs: SQSClient | undefined;

export async function enqueueTransactions(
  client: SQSClient,
  queueUrl: string,
  messages: readonly TransactionMessage[],
): Promise<void> {
  const r = await client.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m) })),
    }),
  );
  if (r.Failed?.length)
    throw new Error(
      `SQS refused ${r.Failed.length} transaction message(s): ${r.Failed.map((f) => `${f.Code}: ${f.Message}`).join("; ")}`,
    );
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  sqs ??= new SQSClient({});
  const queueUrl = requireEnv("TRANSACTION_QUEUE_URL");
  const s3 = s3Client();
  const doc = await loadPipelineDocument(s3);
  return eachRecord(event, async (record) => {
    const source = pipelineSource(record.body);
    if ("ignored" in source) {
      logger.info("not a pipeline file", { reason: source.ignored });
      return;
    }
    const outcome = await splitFile(source, { s3, doc, enqueue: (m) => enqueueTransactions(sqs!, queueUrl, m) });
    logger.info("split", { ...outcome, station: source.route.station, partner: source.route.partner });
  });
}
