/**
 * Scripted rehearsals: a JSON scenario uploads files, makes partners send or misbehave, and states
 * what must happen (a file in outbox/ with a verified MDN, a file in inbox/ under its original
 * name, a file in failed/ with a failure code, a domain event). Every expectation waits up to the
 * scenario's timeout. The result says which expectations failed and why.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { z } from "zod";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  folderPrefix,
  isSidecarKey,
  mdnKey,
  PIPELINE_DOCUMENT_KEY,
  recordKey,
  ROUTING_DOCUMENT_KEY,
  sendKey,
} from "../../model/layout";
import { parsePipelineDocument } from "../../model/pipeline-document";
import { Routing } from "../../model/routing";
import { parseMdn } from "../as2/mdn";
import { PARTNER_MODES } from "../partner/partner";
import type { PartnerMode } from "../partner/partner";
import type { Sandbox } from "./sandbox";

/** File content: text (`content`) or bytes (`base64`). */
const content = { content: z.string().optional(), base64: z.string().optional() };
const route = { station: z.string(), partner: z.string(), file: z.string() };

export const stepSchema = z.union([
  z.strictObject({ upload: z.strictObject({ ...route, batch: z.string().optional(), ...content }) }),
  z.strictObject({
    sendInbound: z.strictObject({
      partner: z.string(),
      file: z.string(),
      forgeSignature: z.boolean().optional(),
      ...content,
    }),
  }),
  z.strictObject({
    partnerMode: z.strictObject({
      partner: z.string(),
      mode: z.enum(PARTNER_MODES as [PartnerMode, ...PartnerMode[]]),
    }),
  }),
  z.strictObject({ runSchedules: z.literal(true) }),
  z.strictObject({
    expect: z.union([
      z.strictObject({
        folder: z.enum(["inbox", "outbox", "failed"]),
        ...route,
        verifiedMdn: z.boolean().optional(),
        failureCode: z.string().optional(),
        sameContentAs: z.string().optional(),
        /** At least this many payloads named `file` in the folder (e.g. two messages with one name). */
        count: z.number().int().min(1).optional(),
      }),
      z.strictObject({ partnerReceived: z.strictObject({ partner: z.string(), file: z.string() }) }),
      z.strictObject({ domainEvent: z.string(), count: z.number().int().min(1).optional() }),
      /** Exactly `count` rows of the partner in its transaction table (status PROCESSED unless given). */
      z.strictObject({
        transactions: z.strictObject({
          station: z.string(),
          partner: z.string(),
          count: z.number().int().min(0),
          status: z.enum(["PROCESSED", "FAILED"]).optional(),
        }),
      }),
    ]),
  }),
]);
export type ScenarioStep = z.infer<typeof stepSchema>;

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  /** Customer name or file; @default example */
  customer: z.string().default("example"),
  /** Merged into a copy of a JSON customer file (e.g. a short settle time). */
  overrides: z.record(z.string(), z.unknown()).optional(),
  /** Partners played by external AS2 software: AS2 ID → URL (like `--partner ID=url`). */
  externalPartners: z.record(z.string(), z.string().regex(/^https?:\/\//, "an http:// or https:// URL")).optional(),
  /** How long each expectation may take. */
  timeoutSeconds: z.number().positive().default(120),
  steps: z.array(stepSchema).min(1),
});
export type Scenario = z.infer<typeof scenarioSchema>;

export interface ScenarioResult {
  readonly ok: boolean;
  readonly failures: string[];
  readonly passed: string[];
}

function bytesOf(c: { content?: string; base64?: string }): Buffer {
  return c.base64 !== undefined ? Buffer.from(c.base64, "base64") : Buffer.from(c.content ?? "", "utf8");
}

async function read(sb: Sandbox, bucket: string, key: string): Promise<Buffer> {
  const o = await sb.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await o.Body!.transformToByteArray());
}

async function routing(sb: Sandbox, bucket: string): Promise<Routing> {
  return Routing.parse(JSON.parse((await read(sb, bucket, ROUTING_DOCUMENT_KEY)).toString("utf8")));
}

function describe(step: ScenarioStep): string {
  if ("expect" in step) {
    const e = step.expect;
    if ("folder" in e)
      return `${e.file} in ${e.station}/${e.partner} ${e.folder}/${e.verifiedMdn ? " with a verified MDN" : ""}${e.failureCode ? ` (${e.failureCode})` : ""}`;
    if ("partnerReceived" in e) return `partner ${e.partnerReceived.partner} received ${e.partnerReceived.file}`;
    if ("transactions" in e) {
      const t = e.transactions;
      return `${t.count} ${t.status ?? "PROCESSED"} transaction(s) of ${t.station}/${t.partner}`;
    }
    return `domain event ${e.domainEvent}${e.count ? ` ×${e.count}` : ""}`;
  }
  return JSON.stringify(step);
}

/** Checks one expectation once; returns undefined when met, else what is missing. */
async function check(
  sb: Sandbox,
  bucket: string,
  step: Extract<ScenarioStep, { expect: unknown }>,
  uploads: Map<string, Buffer[]>,
): Promise<string | undefined> {
  const e = step.expect;
  if ("domainEvent" in e) {
    const n = sb.domainEvents().filter((d) => d["detail-type"] === e.domainEvent).length;
    return n >= (e.count ?? 1) ? undefined : `${n} ${e.domainEvent} event(s) so far`;
  }
  if ("transactions" in e) return checkTransactions(sb, bucket, e.transactions);
  if ("partnerReceived" in e) {
    const p = sb.partners.get(e.partnerReceived.partner);
    if (!p) return `no partner ${e.partnerReceived.partner}`;
    return p.received.some((r) => r.fileName === e.partnerReceived.file)
      ? undefined
      : `partner has received ${p.received.map((r) => r.fileName).join(", ") || "nothing"}`;
  }
  const r = await routing(sb, bucket);
  const partner = r.partner(e.station, e.partner);
  if (!partner) return `${e.station}/${e.partner} is not in the routing document`;
  const prefix = folderPrefix(r.doc.layout, { station: e.station, partner: e.partner, test: partner.test }, e.folder);
  const list = await sb.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const keys = (list.Contents ?? []).map((c) => c.Key!);
  const named = keys.filter((k) => !isSidecarKey(k) && (k.split("/").pop() === e.file || k.endsWith(`_${e.file}`)));
  const payloadKey = named[0];
  if (!payloadKey) return `nothing named ${e.file} under ${prefix} (found: ${keys.join(", ") || "nothing"})`;
  if (e.count !== undefined && named.length < e.count)
    return `${named.length} of ${e.count} payloads named ${e.file} under ${prefix} (found: ${named.join(", ")})`;
  // Every body sent under that name (several with `count`) must be among the payloads named so.
  const sent = uploads.get(e.sameContentAs ?? e.file) ?? [];
  const stored = await Promise.all(named.map((k) => read(sb, bucket, k)));
  const wanted = e.count !== undefined ? sent : sent.slice(-1);
  for (const body of wanted)
    if (!stored.some((b) => b.equals(body))) return `no payload named ${e.file} under ${prefix} has what was sent`;
  if (e.verifiedMdn) {
    if (!keys.includes(mdnKey(payloadKey))) return `no MDN beside ${payloadKey}`;
    const raw = await read(sb, bucket, mdnKey(payloadKey));
    const sep = raw.indexOf("\r\n\r\n");
    const headers: Record<string, string> = {};
    for (const line of raw.subarray(0, sep).toString("latin1").split("\r\n"))
      headers[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
    const standIn = sb.partners.get(e.partner);
    const mdn = await parseMdn(headers, raw.subarray(sep + 4), {
      verifyCertificates: standIn ? [standIn.o.signing.certificatePem] : [],
      requireSignature: true,
    }).catch((err: Error) => err);
    if (mdn instanceof Error) return `MDN beside ${payloadKey} does not verify: ${mdn.message}`;
    if (mdn.status !== "processed") return `MDN says ${mdn.disposition}`;
  }
  if (e.failureCode) {
    const record = keys.includes(recordKey(payloadKey))
      ? (await read(sb, bucket, recordKey(payloadKey))).toString("utf8")
      : undefined;
    if (record === undefined) return `no record beside ${payloadKey}`;
    if (!record.includes(e.failureCode))
      return `record ${recordKey(payloadKey)} does not name ${e.failureCode}: ${record.slice(0, 300)}`;
  }
  return undefined;
}

/** Rows of a partner in the transaction table the pipeline document names for it. */
async function checkTransactions(
  sb: Sandbox,
  bucket: string,
  t: { station: string; partner: string; count: number; status?: string | undefined },
): Promise<string | undefined> {
  const status = t.status ?? "PROCESSED";
  const doc = parsePipelineDocument(JSON.parse((await read(sb, bucket, PIPELINE_DOCUMENT_KEY)).toString("utf8")));
  const p = doc.partners.find((x) => x.station === t.station && x.partner === t.partner);
  if (!p) return `${t.station}/${t.partner} has no pipeline`;
  const env = sb.clientEnv;
  const ddb = new DynamoDBClient({
    region: sb.region,
    endpoint: env["AWS_ENDPOINT_URL_DYNAMODB"],
    credentials: { accessKeyId: env["AWS_ACCESS_KEY_ID"]!, secretAccessKey: env["AWS_SECRET_ACCESS_KEY"]! },
  });
  try {
    const items = (
      await ddb.send(
        new ScanCommand({
          TableName: p.table,
          FilterExpression: "partnerKey = :p AND #s = :s",
          ExpressionAttributeNames: { "#s": "status" },
          ExpressionAttributeValues: { ":p": { S: `${t.station}/${t.partner}` }, ":s": { S: status } },
          ConsistentRead: true,
        }),
      )
    ).Items;
    const n = items?.length ?? 0;
    return n === t.count ? undefined : `${n} ${status} row(s) in ${p.table}`;
  } finally {
    ddb.destroy();
  }
}

export async function runScenario(
  sb: Sandbox,
  scenario: Scenario,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const bucket = sb.buckets[0]!;
  const failures: string[] = [];
  const passed: string[] = [];
  const uploads = new Map<string, Buffer[]>();
  const remember = (name: string, body: Buffer) => uploads.set(name, [...(uploads.get(name) ?? []), body]);
  for (const step of scenario.steps) {
    if ("upload" in step) {
      const u = step.upload;
      const r = await routing(sb, bucket);
      const test = r.partner(u.station, u.partner)?.test ?? false;
      const body = bytesOf(u);
      remember(u.file, body);
      await sb.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: sendKey({ station: u.station, partner: u.partner, test }, u.file, u.batch),
          Body: body,
        }),
      );
    } else if ("sendInbound" in step) {
      const body = bytesOf(step.sendInbound);
      remember(step.sendInbound.file, body);
      await sb.sendInbound(
        step.sendInbound.partner,
        step.sendInbound.file,
        body,
        step.sendInbound.forgeSignature ? { forgeSignature: true } : {},
      );
    } else if ("partnerMode" in step) {
      const p = sb.partners.get(step.partnerMode.partner);
      if (!p) {
        failures.push(`partnerMode: no partner ${step.partnerMode.partner}`);
        continue;
      }
      await p.setMode(step.partnerMode.mode);
      log(`[scenario] partner ${step.partnerMode.partner} is now '${step.partnerMode.mode}'`);
    } else if ("runSchedules" in step) {
      await sb.runSchedules();
    } else {
      const what = describe(step);
      const end = Date.now() + scenario.timeoutSeconds * 1000;
      let last: string | undefined = "not checked";
      while (Date.now() < end) {
        last = await check(sb, bucket, step, uploads);
        if (last === undefined) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      if (last === undefined) {
        passed.push(what);
        log(`[scenario] ✔ ${what}`);
      } else {
        failures.push(`${what}: ${last}`);
        log(`[scenario] ✘ ${what}: ${last}`);
      }
    }
  }
  return { ok: failures.length === 0, failures, passed };
}
