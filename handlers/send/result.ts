/**
 * Lambda on the results queue: Transfer's outbound AS2 events for this customer's connectors, and
 * the files the settle function hands off to be finished (hand-off.ts).
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { parseOutboundWorkKey } from "../../model/layout";
import { parseTransferEvent } from "../shared/transfer-events";
import { sendContextWithoutTransfer as sendContext } from "./context";
import { parseHandOff } from "./hand-off";
import { finishHandedOff } from "./outcome";
import { handleTransferEvent } from "./results";
import { eachRecord, SEND_RECORD_CONCURRENCY } from "./sqs-batch";

/** The sent file a result is about (its claim), else its transfer: results of one run one after another. */
export function resultOf(record: SQSRecord): string | undefined {
  const json: unknown = JSON.parse(record.body);
  const handedOff = parseHandOff(json);
  if (handedOff) return `claim:${handedOff.claimId}`;
  const ev = parseTransferEvent(json);
  const staged = ev.file?.key ? parseOutboundWorkKey(ev.file.key) : undefined;
  return staged ? `claim:${staged.claimId}` : ev.transferId && `transfer:${ev.transferId}`;
}

export async function handler(event: SQSEvent, _context?: Context): Promise<SQSBatchResponse> {
  const ctx = await sendContext();
  return eachRecord(
    event,
    async (record) => {
      const json: unknown = JSON.parse(record.body);
      const handedOff = parseHandOff(json);
      return handedOff ? finishHandedOff(ctx, handedOff) : handleTransferEvent(ctx, json);
    },
    { concurrency: SEND_RECORD_CONCURRENCY, groupOf: resultOf },
  );
}
