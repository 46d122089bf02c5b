/**
 * The cost of one message from what the bench counted: S3 and DynamoDB requests by operation, the
 * other API calls (SQS, EventBridge, Transfer), Lambda invocations and their duration, priced with
 * `./prices`. Transfer's own per-message AS2 fee is kept apart from the gateway's cost.
 */
import { PRICES } from "./prices";

export interface MessageUsage {
  /** S3 requests by operation (`HeadObject` → 4). */
  readonly s3: Readonly<Record<string, number>>;
  /** DynamoDB requests by operation (`UpdateItem` → 11). */
  readonly dynamodb: Readonly<Record<string, number>>;
  /** Items written by TransactWriteItems requests (two write units each); absent: two units per request. */
  readonly transactionItems?: number;
  /** Other API calls as the bench names them (`SQS SendMessage` → 1, `EventBridge PutEvents` → 1). */
  readonly other: Readonly<Record<string, number>>;
  /** Lambda invocations that handled the message (SQS deliveries, batch size 1). */
  readonly invocations: number;
  /** Their total duration (ms). */
  readonly lambdaMs: number;
  readonly memoryMb: number;
  /** AS2 messages Transfer bills for it (1 sent or received). */
  readonly as2Messages: number;
}

export interface MessageCost {
  /** USD per 1000 messages, by service; `transfer` is Transfer's AS2 fee, not in `gateway`. */
  readonly per1000: {
    readonly lambda: number;
    readonly s3: number;
    readonly dynamodb: number;
    readonly sqs: number;
    readonly eventbridge: number;
    readonly gateway: number;
    readonly transfer: number;
  };
  /** The counts the prices were applied to, per message. */
  readonly units: {
    readonly s3Write: number;
    readonly s3Read: number;
    readonly dynamoWriteUnits: number;
    readonly dynamoReadUnits: number;
    readonly sqsRequests: number;
    readonly customEvents: number;
    readonly gbSeconds: number;
  };
}

const S3_WRITE = new Set([
  "PutObject",
  "CopyObject",
  "PostObject",
  "ListObjects",
  "ListObjectsV2",
  "ListObjectVersions",
  "CreateMultipartUpload",
  "UploadPart",
  "UploadPartCopy",
  "CompleteMultipartUpload",
]);
const S3_FREE = new Set(["DeleteObject", "DeleteObjects", "AbortMultipartUpload"]);
/** Write request units per call for items up to 1 KB (transactions: two per item, counted apart). */
const DYNAMO_WRITES: Record<string, number> = { PutItem: 1, UpdateItem: 1, DeleteItem: 1, TransactWriteItems: 2 };
/** Read units per call, counted as strongly consistent reads of items up to 4 KB (an upper bound). */
const DYNAMO_READS: Record<string, number> = { GetItem: 1, Query: 1, Scan: 1, TransactGetItems: 2 };

const sum = (o: Readonly<Record<string, number>>, f: (k: string) => number) =>
  Object.entries(o).reduce((a, [k, n]) => a + n * f(k), 0);

/** SQS: each record a handler is given was sent (by EventBridge or our code), received and deleted. */
export function messageCost(u: MessageUsage): MessageCost {
  const s3Write = sum(u.s3, (k) => (S3_WRITE.has(k) ? 1 : 0));
  const s3Read = sum(u.s3, (k) => (S3_WRITE.has(k) || S3_FREE.has(k) ? 0 : 1));
  // Transactional writes take two write request units per item of up to 1 KB
  // (https://aws.amazon.com/dynamodb/pricing/on-demand/, "Write request unit").
  const transactionUnits =
    u.transactionItems !== undefined ? 2 * u.transactionItems : (u.dynamodb.TransactWriteItems ?? 0) * 2;
  const dynamoWriteUnits =
    sum(u.dynamodb, (k) => (k === "TransactWriteItems" ? 0 : (DYNAMO_WRITES[k] ?? 0))) + transactionUnits;
  const dynamoReadUnits = sum(u.dynamodb, (k) => DYNAMO_READS[k] ?? 0);
  const sqsRequests = 3 * u.invocations;
  const customEvents = sum(u.other, (k) => (k === "EventBridge PutEvents" ? 1 : 0));
  const gbSeconds = (u.lambdaMs / 1000) * (u.memoryMb / 1024);
  const p = PRICES;
  const lambda = 1000 * (gbSeconds * p.lambda.perGbSecondArm + (u.invocations * p.lambda.perMillionRequests) / 1e6);
  const s3 = s3Write * p.s3.perThousandWrite + s3Read * p.s3.perThousandRead;
  const dynamodb =
    (1000 * (dynamoWriteUnits * p.dynamodb.perMillionWriteUnits + dynamoReadUnits * p.dynamodb.perMillionReadUnits)) /
    1e6;
  const sqs = (1000 * sqsRequests * p.sqs.perMillionRequests) / 1e6;
  const eventbridge = (1000 * customEvents * p.eventbridge.perMillionCustomEvents) / 1e6;
  return {
    per1000: {
      lambda,
      s3,
      dynamodb,
      sqs,
      eventbridge,
      gateway: lambda + s3 + dynamodb + sqs + eventbridge,
      transfer: 1000 * u.as2Messages * p.transfer.perAs2Message,
    },
    units: { s3Write, s3Read, dynamoWriteUnits, dynamoReadUnits, sqsRequests, customEvents, gbSeconds },
  };
}

/** `$0.0123` with enough digits to see small figures. */
export function fmtUsd(n: number): string {
  if (!Number.isFinite(n)) return "–";
  return n >= 1 ? `$${n.toFixed(2)}` : n >= 0.01 ? `$${n.toFixed(3)}` : `$${n.toFixed(4)}`;
}
