/**
 * Clients the send pipeline adds to the shared ones: Transfer (StartFileTransfer) and SQS
 * (delayed re-checks and retries). Standard SDK configuration, so AWS_ENDPOINT_URL_TRANSFER and
 * AWS_ENDPOINT_URL_SQS redirect them (tests, sandbox).
 */
import { TransferClient } from "@aws-sdk/client-transfer";
import { SQSClient } from "@aws-sdk/client-sqs";

let transfer: TransferClient | undefined;
let sqs: SQSClient | undefined;

export function transferClient(): TransferClient {
  transfer ??= new TransferClient({});
  return transfer;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({});
  return sqs;
}

export function resetSendClients(): void {
  transfer = undefined;
  sqs = undefined;
}
