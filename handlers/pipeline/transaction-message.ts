/**
 * One SQS message per transaction, and the execution input it becomes.
 *
 * Exactly once: the id is derived from the partner, the source object's content version (its ETag)
 * and the transaction's position in it. It is the Step Functions execution name: a Standard workflow
 * refuses a second execution with a name used in the last 90 days (ExecutionAlreadyExists), and the
 * store is a conditional PutItem on the same id. So a redelivered SQS message, a repeated source
 * event, a split retried after a partial failure, or the same file sent twice adds no second row.
 * Why the ETag and not the S3 VersionId: a file sent twice is two uploads with two version ids but
 * one ETag (MD5 of the bytes for a single-part upload). Execution names allow 1-80 characters of
 * [0-9A-Za-z_-] among others ("StartExecution", Step Functions API reference): the id is 32 hex
 * characters, '-' and the position.
 */
import { createHash } from "node:crypto";
import type { PipelineDocument, PipelinePartner } from "../../model/pipeline-document";
import type { Transaction } from "./split/types";

export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  /** The object's ETag (quotes removed): its content version. */
  readonly etag: string;
  /** S3 VersionId when the bucket is versioned (kept for the record only). */
  readonly versionId?: string;
}

/** What every message of one source shares (a split file, or a transaction posted to the REST API). */
export function messageContext(
  doc: PipelineDocument,
  pipeline: PipelinePartner,
  source: SourceObject,
  receivedAt: string,
) {
  return {
    customer: doc.customer,
    station: pipeline.station,
    partner: pipeline.partner,
    test: pipeline.test,
    format: pipeline.format,
    table: pipeline.table,
    source,
    receivedAt,
    ...(pipeline.enrichUrl ? { enrich: { url: pipeline.enrichUrl } } : {}),
  };
}

export interface TransactionMessage {
  readonly id: string;
  readonly customer: string;
  readonly station: string;
  readonly partner: string;
  /** `<station>/<partner>`: the transaction table's partition key of the by-partner index. */
  readonly partnerKey: string;
  readonly test: boolean;
  readonly format: string;
  readonly table: string;
  readonly position: number;
  readonly source: SourceObject;
  /** When the source file arrived (its LastModified): the sort key of the by-partner index. */
  readonly receivedAt: string;
  readonly envelope: Readonly<Record<string, string>>;
  readonly body: string;
  readonly enrich?: { readonly url: string };
}

export const MAX_EXECUTION_NAME = 80;

export function transactionId(station: string, partner: string, etag: string, position: number): string {
  const digest = createHash("sha256").update(`${station}\n${partner}\n${etag}`).digest("hex").slice(0, 32);
  return `${digest}-${position}`;
}

export function transactionMessage(
  ctx: Omit<TransactionMessage, "id" | "partnerKey" | "position" | "envelope" | "body">,
  tx: Transaction,
): TransactionMessage {
  return {
    id: transactionId(ctx.station, ctx.partner, ctx.source.etag, tx.position),
    ...ctx,
    partnerKey: `${ctx.station}/${ctx.partner}`,
    position: tx.position,
    envelope: tx.envelope,
    body: tx.body,
  };
}
