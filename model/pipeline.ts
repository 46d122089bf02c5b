/**
 * The optional `pipeline` of a station (default for its partners) or a partner (issue 16): received
 * documents are split into transactions and each transaction runs through a Step Functions workflow
 * (format → optional enrich → store in DynamoDB → TRANSACTION.PROCESSED).
 *
 * Enrichment calls an HTTPS endpoint through Step Functions' HTTP Task, which always authenticates
 * through an EventBridge connection ("Call HTTPS APIs in Step Functions workflows", Step Functions
 * developer guide). Secret values never enter the customer file: the stack declares a sensitive
 * Terraform variable per connection.
 */
import { z } from "zod";

export const PIPELINE_FORMATS = ["x12", "edifact", "xml", "csv", "jsonl"] as const;
export type PipelineFormat = (typeof PIPELINE_FORMATS)[number];

/** Default DynamoDB table name suffix (`as2-<customer>-<table>`). */
export const DEFAULT_TRANSACTION_TABLE = "transactions";

const httpsUrl = z.string().refine((s) => {
  try {
    return new URL(s).protocol === "https:";
  } catch {
    return false;
  }
}, "an absolute https:// URL (the Step Functions HTTP Task only calls HTTPS endpoints)");

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/, "an HTTP header name such as x-api-key");

/** Authorization kinds of an EventBridge connection; the secret part is a Terraform variable. */
export const enrichAuthSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("apiKey"),
    header: headerName.describe("header that carries the key; its value is the Terraform variable"),
  }),
  z.strictObject({
    type: z.literal("basic"),
    username: z.string().min(1).max(512).describe("user name; the password is the Terraform variable"),
  }),
]);
export type EnrichAuth = z.infer<typeof enrichAuthSchema>;

export const pipelineSchema = z
  .strictObject({
    format: z.enum(PIPELINE_FORMATS).describe("how a received file is split into transactions"),
    enrich: z
      .strictObject({
        url: httpsUrl.describe("HTTPS endpoint that receives each formatted transaction (POST)"),
        auth: enrichAuthSchema.optional().describe("@default an API key header x-api-key"),
      })
      .optional()
      .describe("optional enrichment call between format and store"),
    table: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, "1-40 lower-case letters, digits or '-', starting with a letter")
      .default(DEFAULT_TRANSACTION_TABLE)
      .describe("table name suffix: as2-<customer>-<table>; @default transactions"),
    xmlElement: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9._-]*$/, "an XML element name such as Transaction")
      .optional()
      .describe("xml only: the element that holds one transaction"),
  })
  .superRefine((p, ctx) => {
    if (p.format === "xml" && !p.xmlElement)
      ctx.addIssue({
        code: "custom",
        path: ["xmlElement"],
        message: "format xml needs xmlElement: the element that holds one transaction (e.g. Transaction)",
        input: p.xmlElement,
      });
    if (p.format !== "xml" && p.xmlElement)
      ctx.addIssue({
        code: "custom",
        path: ["xmlElement"],
        message: `xmlElement only applies to format xml, found format ${p.format}`,
        input: p.xmlElement,
      });
  });
export type PipelineInput = z.input<typeof pipelineSchema>;
export type Pipeline = z.output<typeof pipelineSchema>;

/** A partner may take its station's pipeline (omitted), declare its own, or opt out (`false`). */
export const partnerPipelineSchema = z
  .union([pipelineSchema, z.literal(false)], {
    // A union reports only "Invalid input" when no option matches: name the pipeline's own first problem.
    error: (issue) => {
      const first = (issue as { errors?: { path: PropertyKey[]; message: string }[][] }).errors?.[0]?.[0];
      if (!first || typeof issue.input !== "object" || issue.input === null)
        return "false or a pipeline object ({ format, ... })";
      return `${first.path.length ? `${first.path.map(String).join(".")}: ` : ""}${first.message}`;
    },
  })
  .describe("transaction pipeline; @default the station's pipeline; false opts out");

/** The pipeline a partner's documents go through, or undefined when it has none. */
export function effectivePipeline(
  station: { readonly pipeline?: Pipeline | undefined } | undefined,
  partner: { readonly pipeline?: Pipeline | false | undefined },
): Pipeline | undefined {
  if (partner.pipeline === false) return undefined;
  return partner.pipeline ?? station?.pipeline;
}
