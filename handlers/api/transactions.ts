/**
 * POST /v1/transactions (issue 16, the real-time source): one transaction per call onto the partner's
 * transaction queue, where the start handler runs it like a transaction split from a file.
 *
 * Exactly once: the caller's transactionId plays the part a file's ETag plays for split transactions
 * (handlers/pipeline/transaction-message.ts), at position 0. The gateway's id is therefore the same for
 * every retry of a POST; it is the Step Functions execution name (a second StartExecution with that name
 * is refused) and the key of the conditional PutItem, so a retried or concurrently duplicated POST adds
 * no second execution and no second row. The first message wins: a retry with another text under the
 * same transactionId is absorbed, as an idempotency key would be.
 * The prefix `rest:` keeps these ids apart from the transactions of files: an S3 ETag is hex (with
 * `-<parts>` for multipart uploads), never `rest:…`.
 *
 * Station and partner: from the body, else the `station`/`partner` query parameters (AWS's sample
 * form has neither), else inferred when only one choice exists for the caller.
 */
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { pipelineOf, type PipelineDocument, type PipelinePartner } from "../../model/pipeline-document";
import type { PostTransactionRequest, TransactionAccepted } from "../../model/api/schemas";
import { loadPipelineDocument } from "../pipeline/config";
import { messageContext, transactionMessage } from "../pipeline/transaction-message";
import { canSeeStation, type Caller } from "./auth";
import type { ApiContext } from "./context";
import { ApiProblem } from "./http";
import { routeFor } from "./send";

/** What a REST transaction's `source` says in the message and the table row (no S3 object behind it). */
export const REST_SOURCE_KEY_PREFIX = "rest:/v1/transactions/";

/**
 * 256 KiB: the Step Functions execution input limit, as handlers/pipeline/split-file.ts checks for split
 * transactions (a test holds the two equal). Not imported from there: that module brings every splitter,
 * and the XML parser, into the API bundle.
 */
export const MAX_POSTED_MESSAGE_BYTES = 256 * 1024;

let sqs: SQSClient | undefined;

/** What stands for the ETag in transactionId() for a posted transaction. */
export function postedTransactionEtag(callerTransactionId: string): string {
  return `rest:${callerTransactionId}`;
}

async function pipelineDocument(ctx: ApiContext): Promise<PipelineDocument | undefined> {
  // The stack sets these only when some partner has a pipeline (stacks/api/rest-api.ts).
  if (!process.env.PIPELINE_KEY || !process.env.TRANSACTION_QUEUE_URL) return undefined;
  return loadPipelineDocument(ctx.s3);
}

/**
 * The envelope facts a splitter would have kept that the transaction itself carries (the format
 * handler types a row by them): X12 ST01/ST02, EDIFACT UNH's message type, the XML element's name.
 * A posted transaction has no interchange around it, so no interchange or group numbers.
 */
export function postedEnvelope(format: string, transactionId: string, body: string): Record<string, string> {
  const text = body.trimStart();
  const facts: Record<string, string> = { transactionId };
  const x12 = format === "x12" ? /^ST(.)(\w+)\1(\w+)/.exec(text) : null;
  if (x12) Object.assign(facts, { transactionSetId: x12[2]!, transactionControlNumber: x12[3]! });
  const edi = format === "edifact" ? /^UNH\+[^+]*\+(\w+)/.exec(text) : null;
  if (edi) facts.messageType = edi[1]!;
  const xml = format === "xml" ? /^(?:<\?[^>]*\?>\s*)?<([A-Za-z_][\w.-]*)/.exec(text) : null;
  if (xml) facts.element = xml[1]!;
  return facts;
}

function noPipeline(station: string, partner: string): ApiProblem {
  return new ApiProblem(
    409,
    "NO_PIPELINE",
    `partner '${partner}' of station '${station}' has no transaction pipeline; declare \`pipeline: { format }\` on the partner (or as its station's default) in the customer file and redeploy`,
  );
}

function only(choices: readonly string[], what: string, param: string): string {
  if (choices.length === 1) return choices[0]!;
  throw new ApiProblem(
    400,
    `${what.toUpperCase()}_REQUIRED`,
    choices.length
      ? `name the ${what} in the body or the '${param}' query parameter; one of: ${choices.map((c) => `'${c}'`).join(", ")}`
      : `name the ${what} in the body or the '${param}' query parameter (no ${what} with a transaction pipeline is open to this caller)`,
  );
}

function choose(
  doc: PipelineDocument | undefined,
  caller: Caller,
  body: PostTransactionRequest,
  query: Record<string, string | undefined>,
): { station: string; partner: string } {
  const piped = (doc?.partners ?? []).filter((p) => canSeeStation(caller, p.station));
  const station =
    body.station ?? (query.station || only([...new Set(piped.map((p) => p.station))], "station", "station"));
  const partner =
    body.partner ??
    (query.partner ||
      only(
        piped.filter((p) => p.station === station).map((p) => p.partner),
        "partner",
        "partner",
      ));
  return { station, partner };
}

export async function postTransaction(
  ctx: ApiContext,
  caller: Caller,
  body: PostTransactionRequest,
  query: Record<string, string | undefined>,
): Promise<TransactionAccepted> {
  const doc = await pipelineDocument(ctx);
  const { station, partner } = choose(doc, caller, body, query);
  // Unknown station or partner, a station the caller may not use, a disabled partner: as for a send.
  routeFor(ctx, caller, station, partner);
  const pipeline: PipelinePartner | undefined = doc && pipelineOf(doc, station, partner);
  if (!doc || !pipeline) throw noPipeline(station, partner);
  const etag = postedTransactionEtag(body.transactionId);
  const message = transactionMessage(
    messageContext(
      doc,
      pipeline,
      { bucket: ctx.bucket, key: `${REST_SOURCE_KEY_PREFIX}${body.transactionId}`, etag },
      ctx.now().toISOString(),
    ),
    {
      position: 0,
      body: body.transactionMessage,
      envelope: postedEnvelope(pipeline.format, body.transactionId, body.transactionMessage),
    },
  );
  const text = JSON.stringify(message);
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_POSTED_MESSAGE_BYTES)
    throw new ApiProblem(
      413,
      "TRANSACTION_TOO_LARGE",
      `the transaction is ${bytes} bytes as a pipeline message; SQS messages and Step Functions inputs hold at most ${MAX_POSTED_MESSAGE_BYTES}: send it as a file instead`,
    );
  sqs ??= new SQSClient({});
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.TRANSACTION_QUEUE_URL, MessageBody: text }));
  return { id: message.id, station, partner, transactionId: body.transactionId, state: "accepted" };
}
