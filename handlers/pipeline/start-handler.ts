/**
 * Transaction queue → Step Functions: one execution per transaction, named by the transaction id.
 * StartExecution with a name used before is refused with ExecutionAlreadyExists (or, for an open
 * execution with the same input, succeeds without starting another): both mean "already started",
 * so a redelivered message is a success, not a retry ("StartExecution", Step Functions API reference).
 */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { eachRecord } from "../send/sqs-batch";
import { requireEnv } from "../shared/env";
import { logger } from "../shared/logger";
import { MAX_EXECUTION_NAME, type TransactionMessage } from "./transaction-message";

let sfn: SFNClient | undefined;

export async function startTransaction(
  client: SFNClient,
  stateMachineArn: string,
  body: string,
): Promise<"started" | "already"> {
  const message = JSON.parse(body) as TransactionMessage;
  if (!message.id || message.id.length > MAX_EXECUTION_NAME)
    throw new Error(`transaction id '${message.id}' is not an execution name`);
  try {
    await client.send(new StartExecutionCommand({ stateMachineArn, name: message.id, input: body }));
    return "started";
  } catch (e) {
    if (e instanceof ExecutionAlreadyExists || (e as { name?: string }).name === "ExecutionAlreadyExists")
      return "already";
    throw e;
  }
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  sfn ??= new SFNClient({});
  const arn = requireEnv("STATE_MACHINE_ARN");
  return eachRecord(event, async (record) => {
    const result = await startTransaction(sfn!, arn, record.body);
    logger.info("transaction", { messageId: record.messageId, result });
  });
}
