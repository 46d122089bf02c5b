/**
 * Retry of a failed transaction (for `npm run gateway -- retry-transaction <table> <id>`): the
 * transaction is read again from its source file (same ETag, same position) and a new execution is
 * started under a new name (the old name stays taken for 90 days). The workflow's conditional
 * PutItem replaces the FAILED row and never a PROCESSED one, so a retry cannot store twice.
 */
import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { PipelineDocument } from "../../model/pipeline-document";
import { splitter } from "./split";
import { open } from "./split-file";
import { messageContext } from "./transaction-message";
import { MAX_EXECUTION_NAME, transactionMessage } from "./transaction-message";

export interface RetryDeps {
  readonly s3: S3Client;
  readonly ddb: DynamoDBClient;
  readonly sfn: SFNClient;
  readonly doc: PipelineDocument;
  readonly bucket: string;
  readonly stateMachineArn: string;
}

export async function retryTransaction(deps: RetryDeps, table: string, id: string, now = Date.now()): Promise<string> {
  const item = (
    await deps.ddb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true }))
  ).Item;
  if (!item) throw new Error(`transaction ${id} is not in ${table}`);
  const status = item.status?.S;
  if (status !== "FAILED")
    throw new Error(`transaction ${id} is ${status ?? "without status"}: only FAILED transactions are retried`);
  const [station, partner] = [item.partnerKey?.S?.split("/")[0], item.partnerKey?.S?.split("/").slice(1).join("/")];
  const pipeline = deps.doc.partners.find((p) => p.station === station && p.partner === partner);
  if (!pipeline) throw new Error(`partner ${item.partnerKey?.S} has no pipeline any more`);
  const key = item.sourceKey?.S ?? "";
  const etag = item.sourceEtag?.S ?? "";
  const position = Number(item.position?.N);
  const file = await open(deps.s3, deps.bucket, [key], `"${etag}"`);
  if (!file) throw new Error(`source s3://${deps.bucket}/${key} is gone`);
  const ctx = messageContext(deps.doc, pipeline, { bucket: deps.bucket, key, etag }, item.receivedAt?.S ?? "");
  for await (const tx of splitter(pipeline.format, pipeline.xmlElement)(file.body)) {
    if (tx.position !== position) continue;
    file.body.destroy();
    const message = transactionMessage(ctx, tx);
    if (message.id !== id)
      throw new Error(`source s3://${deps.bucket}/${key} gives transaction ${message.id}, not ${id}`);
    const name = `${id}-r${now.toString(36)}`.slice(0, MAX_EXECUTION_NAME);
    await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: deps.stateMachineArn, name, input: JSON.stringify(message) }),
    );
    return name;
  }
  throw new Error(`source s3://${deps.bucket}/${key} has no transaction at position ${position}`);
}
