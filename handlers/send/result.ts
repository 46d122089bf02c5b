/** Lambda on the results queue: Transfer's outbound AS2 events for this customer's connectors. */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { sendContextWithoutTransfer as sendContext } from "./context";
import { handleTransferEvent } from "./results";
import { eachRecord } from "./sqs-batch";

export async function handler(event: SQSEvent, _context?: Context): Promise<SQSBatchResponse> {
  const ctx = await sendContext();
  return eachRecord(event, async (record) => handleTransferEvent(ctx, JSON.parse(record.body)));
}
