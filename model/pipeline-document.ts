/**
 * The pipeline document: what the split handler knows about each opted-in partner. The stack writes
 * it as one S3 object (PIPELINE_DOCUMENT_KEY) with its SHA-256 in the handler's environment, like the
 * routing document: a Lambda environment (4 KB) cannot hold one entry per partner.
 * Free of zod: the handler reads it with the checks below.
 */
import { createHash } from "node:crypto";
import type { Customer } from "./customer";
import type { LayoutPreset } from "./layout";
import { effectivePipeline, type PipelineFormat } from "./pipeline";

export const PIPELINE_DOCUMENT_VERSION = 1;

export interface PipelinePartner {
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly format: PipelineFormat;
  readonly xmlElement?: string;
  /** Physical DynamoDB table name. */
  readonly table: string;
  /** Enrichment endpoint, when the partner has one (the state machine holds its connection). */
  readonly enrichUrl?: string;
}

export interface PipelineDocument {
  readonly version: typeof PIPELINE_DOCUMENT_VERSION;
  readonly customer: string;
  readonly layout: LayoutPreset;
  readonly partners: readonly PipelinePartner[];
}

/** Physical name of a transaction table: `as2-<customer>-<table>`. */
export function transactionTableName(customer: string, table: string): string {
  return `as2-${customer}-${table}`;
}

/** Every opted-in partner with its effective pipeline (station default, own, or none). */
export function buildPipelineDocument(customer: Customer): PipelineDocument {
  const partners: PipelinePartner[] = [];
  for (const p of customer.partners) {
    const station = customer.stations.find((s) => s.as2Id === p.station);
    const pipeline = effectivePipeline(station, p);
    if (!pipeline) continue;
    partners.push({
      station: p.station,
      partner: p.as2Id,
      test: p.test,
      format: pipeline.format,
      ...(pipeline.xmlElement ? { xmlElement: pipeline.xmlElement } : {}),
      table: transactionTableName(customer.name, pipeline.table),
      ...(pipeline.enrich ? { enrichUrl: pipeline.enrich.url } : {}),
    });
  }
  return { version: PIPELINE_DOCUMENT_VERSION, customer: customer.name, layout: customer.layout, partners };
}

export function pipelineDocumentText(doc: PipelineDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

const FORMATS: readonly string[] = ["x12", "edifact", "xml", "csv", "jsonl"];

/** Checks the shape the handler relies on; throws with the first problem. */
export function parsePipelineDocument(json: unknown): PipelineDocument {
  const fail = (what: string): never => {
    throw new Error(`pipeline document: ${what}`);
  };
  const doc = json as Partial<PipelineDocument> | null;
  if (!doc || typeof doc !== "object") return fail("not an object");
  if (doc.version !== PIPELINE_DOCUMENT_VERSION)
    fail(`version ${String(doc.version)}, expected ${PIPELINE_DOCUMENT_VERSION}`);
  if (typeof doc.customer !== "string") fail("customer is not a string");
  if (doc.layout !== "mftgateway" && doc.layout !== "as2gateway") fail(`layout ${String(doc.layout)}`);
  if (!Array.isArray(doc.partners)) return fail("partners is not a list");
  (doc.partners as unknown[]).forEach((raw, i) => {
    const p = (raw ?? {}) as Partial<PipelinePartner>;
    if (typeof p.station !== "string" || typeof p.partner !== "string" || typeof p.table !== "string")
      fail(`partners[${i}]: station, partner and table must be strings`);
    if (typeof p.test !== "boolean") fail(`partners[${i}].test is not a boolean`);
    if (!FORMATS.includes(String(p.format))) fail(`partners[${i}].format '${String(p.format)}'`);
    if (p.format === "xml" && typeof p.xmlElement !== "string") fail(`partners[${i}]: xml without xmlElement`);
  });
  return doc as PipelineDocument;
}

/** Lookup by station and partner. */
export function pipelineOf(doc: PipelineDocument, station: string, partner: string): PipelinePartner | undefined {
  return doc.partners.find((p) => p.station === station && p.partner === partner);
}

/** Keys of a transaction table: one item per transaction id; index by-partner on partner and arrival time. */
export const TRANSACTION_TABLE_KEY = {
  partitionKey: "id",
  byPartnerIndex: "by-partner",
  partnerKey: "partnerKey",
  timeKey: "receivedAt",
} as const;
