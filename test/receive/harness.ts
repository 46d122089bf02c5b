/**
 * Receive tests: a customer on the local S3/DynamoDB servers, Transfer's part played by writing
 * files where Transfer writes them (agreement base directory) and by the fixture events adapted
 * to those keys, and the real Lambda handler fed with an SQS batch.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SQSEvent, SQSBatchResponse } from "aws-lambda";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { startS3Wire, type S3Wire } from "../reliability/s3-wire";
import { resetClients } from "../../handlers/shared/clients";
import { customerInput } from "../helpers/customer-factory";
import type { CustomerInput } from "../../model/customer";
import { validateCustomer } from "../../model/load";
import { buildRoutingDocument, type RoutingDocument, type RoutingPartner } from "../../model/routing";
import { inboundWorkPrefix, ROUTING_DOCUMENT_KEY, transferInboundKey } from "../../model/layout";
import { putJson } from "../../handlers/shared/s3-object";
import { forgetRouting } from "../../handlers/shared/routing-loader";
import { handler } from "../../handlers/receive/handler";
import type { DomainEvent } from "../../model/events";
import { domainEventSchema } from "../../model/event-schema";

const FIXTURES = join(__dirname, "..", "fixtures", "aws-transfer");
export const BUS = "as2-test-bus";
export const eventBridge = mockClient(EventBridgeClient);

let counter = 0;

/**
 * The local servers with the handler's S3 requests going through the wire proxy, which answers
 * `If-None-Match: *` and `If-Match` as S3 does (s3rver ignores them, and the receive path relies on
 * their 412 instead of a HeadObject first). Tests read and write s3rver directly (`aws.s3`), as
 * Transfer and the user would.
 */
export async function startReceiveAws(): Promise<LocalAws & { readonly wire: S3Wire }> {
  const aws = await startLocalAws();
  const wire = await startS3Wire(aws.s3Endpoint);
  process.env.AWS_ENDPOINT_URL_S3 = wire.endpoint;
  resetClients();
  return {
    ...aws,
    wire,
    async stop() {
      await wire.close();
      await aws.stop();
    },
  };
}

export interface TestCustomer {
  readonly bucket: string;
  readonly doc: RoutingDocument;
  partner(as2Id: string): RoutingPartner;
}

/** A fresh bucket, table and routing document, and the handler's environment pointing at them. */
export async function setUpCustomer(aws: LocalAws, overrides: Partial<CustomerInput> = {}): Promise<TestCustomer> {
  const n = ++counter;
  const bucket = `receive-${n}-${Date.now().toString(36)}`;
  const table = `state-${n}`;
  await aws.createBucket(bucket);
  await aws.createStateTable(table);
  const customer = validateCustomer(customerInput(overrides), "<test>");
  const ids = customer.partners.map((p, i) => ({
    station: p.station,
    partner: p.as2Id,
    connectorId: `c-${n}x${i}`,
    agreementId: `a-${n}x${i}`,
  }));
  const doc = buildRoutingDocument(customer, bucket, ids, inboundWorkPrefix);
  await putJson(aws.s3, bucket, ROUTING_DOCUMENT_KEY, doc);
  Object.assign(process.env, {
    BUCKET: bucket,
    EVENT_BUS_NAME: BUS,
    STATE_TABLE: table,
    ROUTING_BUCKET: bucket,
    ROUTING_KEY: ROUTING_DOCUMENT_KEY,
    ROUTING_ETAG: `etag-${n}`,
  });
  forgetRouting();
  return {
    bucket,
    doc,
    partner(as2Id) {
      const p = doc.partners.find((x) => x.partner === as2Id);
      if (!p) throw new Error(`no partner ${as2Id}`);
      return p;
    },
  };
}

export function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));
}

/** Transfer's key for a received payload in the partner's base directory. */
export function storedKey(
  p: RoutingPartner,
  fileName: string,
  messageId: string,
  outcome: "processed" | "failed" = "processed",
): string {
  return transferInboundKey(p.inboundPrefix, outcome, fileName, messageId);
}

export async function put(aws: LocalAws, bucket: string, key: string, body: string): Promise<void> {
  await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function read(aws: LocalAws, bucket: string, key: string): Promise<string | undefined> {
  try {
    const r = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await r.Body!.transformToString();
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchKey") return undefined;
    throw e;
  }
}

export async function readJson(aws: LocalAws, bucket: string, key: string): Promise<any> {
  const text = await read(aws, bucket, key);
  return text === undefined ? undefined : JSON.parse(text);
}

export async function list(aws: LocalAws, bucket: string, prefix = ""): Promise<string[]> {
  const r = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

/** User-facing keys (everything outside the gateway's private area). */
export async function userKeys(aws: LocalAws, bucket: string): Promise<string[]> {
  return (await list(aws, bucket)).filter((k) => !k.startsWith("_gateway/"));
}

interface InboundOptions {
  readonly messageId: string;
  readonly fileKey?: string;
  readonly requesterFileName?: string;
  readonly start?: string;
  readonly end?: string;
  readonly eventId?: string;
  readonly disposition?: string;
  readonly agreementId?: string;
}

function adapt(base: Record<string, any>, bucket: string, p: RoutingPartner, o: InboundOptions): Record<string, any> {
  const e = structuredClone(base);
  if (o.eventId) e.id = o.eventId;
  const d = e.detail;
  d["agreement-id"] = o.agreementId ?? p.agreementId;
  d["as2-message-id"] = o.messageId;
  d["as2-from"] = p.partner;
  d["as2-to"] = p.station;
  if (o.start) d["start-timestamp"] = o.start;
  if (o.end) d["end-timestamp"] = o.end;
  if (o.requesterFileName !== undefined) d["requester-file-name"] = o.requesterFileName;
  if (o.disposition !== undefined) d.disposition = o.disposition;
  const s3: Record<string, string> = {};
  if (o.fileKey !== undefined) Object.assign(s3, { "file-bucket": bucket, "file-key": `/${o.fileKey}` });
  d["s3-attributes"] = s3;
  return e;
}

/** `AS2 Payload Receive Completed` (AWS's documented sample) for a file Transfer stored at fileKey. */
export function payloadCompleted(c: TestCustomer, p: RoutingPartner, o: InboundOptions): Record<string, any> {
  return adapt(fixture("docs-verbatim_as2-payload-receive-completed.json"), c.bucket, p, o);
}

export function payloadFailed(
  c: TestCustomer,
  p: RoutingPartner,
  o: InboundOptions & { statusKey?: string },
): Record<string, any> {
  const e = adapt(fixture("synthesized_as2-payload-receive-failed.json"), c.bucket, p, o);
  if (o.statusKey) Object.assign(e.detail["s3-attributes"], { "json-bucket": c.bucket, "json-key": `/${o.statusKey}` });
  return e;
}

export function mdnSent(
  c: TestCustomer,
  p: RoutingPartner,
  o: InboundOptions & { failed?: boolean; mdnKey?: string },
): Record<string, any> {
  const e = adapt(
    fixture(o.failed ? "synthesized_as2-mdn-send-failed.json" : "synthesized_as2-mdn-send-completed.json"),
    c.bucket,
    p,
    o,
  );
  if (o.mdnKey) Object.assign(e.detail["s3-attributes"], { "mdn-bucket": c.bucket, "mdn-key": `/${o.mdnKey}` });
  return e;
}

let sqsIds = 0;
/** What SQS hands the function: the EventBridge events as message bodies. */
export function sqsBatch(...events: unknown[]): SQSEvent {
  return {
    Records: events.map((e) => ({
      messageId: `sqs-${++sqsIds}`,
      receiptHandle: "rh",
      body: JSON.stringify(e),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "0",
        SenderId: "events",
        ApproximateFirstReceiveTimestamp: "0",
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:as2-test-receive",
      awsRegion: "eu-west-1",
    })),
  };
}

/** The real Lambda entry point. */
export async function invoke(...events: unknown[]): Promise<SQSBatchResponse> {
  return handler(sqsBatch(...events));
}

export function publishedEvents(): DomainEvent[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => {
      expect(e.EventBusName).toBe(BUS);
      const detail = JSON.parse(e.Detail!);
      expect(e.DetailType).toBe(detail.eventType);
      // Every published event follows the documented schema (templates/domain-event.schema.json).
      expect(domainEventSchema.safeParse(detail).error).toBeUndefined();
      return detail as DomainEvent;
    });
}

export function acceptAllEvents(): void {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_: unknown, i: number) => ({ EventId: `eb-${i}` })),
  }));
}
