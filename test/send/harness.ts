/**
 * The send pipeline's handlers as Lambda calls them, against S3 (s3rver) and DynamoDB (dynalite)
 * served over HTTP. Transfer, SQS and EventBridge are mocked (no local server): the SQS mock keeps
 * what the handlers enqueue so a test delivers it, after moving the injected clock on.
 */
import { mockClient } from "aws-sdk-client-mock";
import { TransferClient, StartFileTransferCommand, type StartFileTransferCommandInput } from "@aws-sdk/client-transfer";
import { SQSClient, SendMessageCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { PutObjectCommand, ListObjectsV2Command, GetObjectCommand } from "@aws-sdk/client-s3";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { startS3Wire, type S3Wire } from "../reliability/s3-wire";
import { resetClients } from "../../handlers/shared/clients";
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { validateCustomer } from "../../model/load";
import { buildRoutingDocument } from "../../model/routing";
import { inboundWorkPrefix, ROUTING_DOCUMENT_KEY } from "../../model/layout";
import type { DomainEvent } from "../../model/events";
import { headObject, type ObjectInfo } from "../../handlers/shared/s3-object";
import { forgetRouting } from "../../handlers/shared/routing-loader";
import { logger } from "../../handlers/shared/logger";
import { setClock, resetClock } from "../../handlers/send/context";
import { handler as settleHandler } from "../../handlers/send/settle";
import { handler as resultHandler } from "../../handlers/send/result";
import { handler as sweepHandler } from "../../handlers/send/sweep";
import type { SweepResult } from "../../handlers/send/sweep";
import { CONTINUATION_DELAY_SECONDS } from "../../handlers/send/stage";

export const BUCKET = "acme-gateway";
export const TABLE = "as2-acme-state";
const QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/111122223333/as2-acme-send-uploads";
const RECEIVE_QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/111122223333/as2-acme-receive";
export const BUS = "as2-acme";
export const RESULTS_QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/111122223333/as2-acme-send-results";
const cert = { signing: { pem: SAMPLE_CERT_PEM } };

export interface Queued {
  readonly body: Record<string, unknown>;
  readonly delaySeconds: number;
}

export class SendHarness {
  readonly transfer = mockClient(TransferClient);
  readonly sqs = mockClient(SQSClient);
  readonly eventBridge = mockClient(EventBridgeClient);
  /** What StartFileTransfer was asked, in order. */
  readonly transfers: StartFileTransferCommandInput[] = [];
  /** The transfer id returned for each of `transfers`. */
  readonly transferIds: string[] = [];
  private queued: Queued[] = [];
  /** What the settle function handed off to the result function (results queue), not yet delivered. */
  private handedOff: Record<string, unknown>[] = [];
  /**
   * Hand-offs are delivered to the result function when a settle invocation returns (as the results
   * queue would, soon after); a test that loses or duplicates them sets this false and takes them.
   */
  deliverHandOffs = true;
  /** Claim continuations (scheduled before an upload is moved), kept apart: they matter when an invocation stops. */
  private continuations: Queued[] = [];
  /** Transfer events put on the results queue (by the send reconciler), for the result function. */
  private results: unknown[] = [];
  /** Transfer events put on the receive queue (by the receive reconciler), for the receive function. */
  private received: unknown[] = [];
  private transferSeq = 0;
  private now = new Date();
  /** Next StartFileTransfer outcomes (errors to throw), consumed in order before succeeding. */
  readonly transferFailures: Error[] = [];

  private wireProxy: S3Wire | undefined;

  private constructor(readonly aws: LocalAws) {}

  /** The wire proxy the handlers' S3 requests go through (started with `{ wire: true }`). */
  get wire(): S3Wire {
    if (!this.wireProxy) throw new Error("this harness was started without the wire proxy ({ wire: true })");
    return this.wireProxy;
  }

  /**
   * @param opts.wire the handlers reach S3 through the wire proxy (test/reliability/s3-wire.ts):
   * S3's conditional-write answers, which s3rver ignores, and a log of every request
   */
  static async start(opts: { layout?: "mftgateway" | "as2gateway"; wire?: boolean } = {}): Promise<SendHarness> {
    const aws = await startLocalAws();
    const h = new SendHarness(aws);
    if (opts.wire) {
      h.wireProxy = await startS3Wire(aws.s3Endpoint);
      process.env.AWS_ENDPOINT_URL_S3 = h.wireProxy.endpoint;
      resetClients();
    }
    await aws.createBucket(BUCKET);
    await aws.createStateTable(TABLE);
    const customer = validateCustomer(
      customerInput({
        ...(opts.layout ? { layout: opts.layout } : {}),
        partners: [
          { as2Id: "PARTNER", station: "ACME", url: "https://p.example/as2", certificates: cert },
          {
            as2Id: "QUICK",
            station: "ACME",
            url: "https://q.example/as2",
            certificates: cert,
            outbound: { mdn: "NONE" },
          },
          { as2Id: "TESTER", station: "ACME", url: "https://t.example/as2", test: true, certificates: cert },
        ],
      }),
      "<test>",
    );
    const ids = customer.partners.map((p) => ({
      station: p.station,
      partner: p.as2Id,
      connectorId: `c-${p.as2Id.toLowerCase()}`,
      agreementId: `a-${p.as2Id.toLowerCase()}`,
    }));
    const doc = buildRoutingDocument(customer, BUCKET, ids, inboundWorkPrefix);
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: ROUTING_DOCUMENT_KEY, Body: JSON.stringify(doc) }));
    Object.assign(process.env, {
      BUCKET,
      SEND_QUEUE_URL: QUEUE_URL,
      RESULTS_QUEUE_URL,
      RECEIVE_QUEUE_URL,
      EVENT_BUS_NAME: BUS,
      STATE_TABLE: TABLE,
      ROUTING_BUCKET: BUCKET,
      ROUTING_KEY: ROUTING_DOCUMENT_KEY,
      ROUTING_ETAG: "test",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    logger.setLogLevel(process.env.DEBUG_SEND ? "INFO" : "SILENT");
    forgetRouting();
    h.reset();
    setClock(() => h.now);
    return h;
  }

  reset(): void {
    this.wireProxy?.reset();
    this.transfer.reset();
    this.sqs.reset();
    this.eventBridge.reset();
    this.transfers.length = 0;
    this.transferIds.length = 0;
    this.queued = [];
    this.handedOff = [];
    this.deliverHandOffs = true;
    this.continuations = [];
    this.results = [];
    this.received = [];
    this.transferFailures.length = 0;
    this.transfer.on(StartFileTransferCommand).callsFake((input: StartFileTransferCommandInput) => {
      const failure = this.transferFailures.shift();
      if (failure) throw failure;
      this.transfers.push(input);
      this.transferIds.push(`t-${++this.transferSeq}`);
      return { TransferId: this.transferIds.at(-1) };
    });
    this.sqs
      .on(SendMessageCommand)
      .callsFake((input: { QueueUrl: string; MessageBody: string; DelaySeconds?: number }) => {
        if (input.QueueUrl === RESULTS_QUEUE_URL) {
          // Two kinds share the results queue: settle's hand-offs of files that failed before sending
          // ({kind: "finish"}) and Transfer events the send reconciler puts back.
          const body = JSON.parse(input.MessageBody) as Record<string, unknown>;
          if (body.kind === "finish") {
            this.handedOff.push(body);
            return { MessageId: `h-${this.handedOff.length}` };
          }
          this.results.push(body);
          return { MessageId: `r-${this.results.length}` };
        }
        if (input.QueueUrl === RECEIVE_QUEUE_URL) {
          this.received.push(JSON.parse(input.MessageBody));
          return { MessageId: `i-${this.received.length}` };
        }
        const m = {
          body: JSON.parse(input.MessageBody) as Record<string, unknown>,
          delaySeconds: input.DelaySeconds ?? 0,
        };
        if (m.body.kind === "resume" && m.delaySeconds === CONTINUATION_DELAY_SECONDS) this.continuations.push(m);
        else this.queued.push(m);
        return { MessageId: `m-${this.queued.length}` };
      });
    this.sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
      for (const e of input.Entries) this.queued.push({ body: JSON.parse(e.MessageBody), delaySeconds: 0 });
      return {
        Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: "" })),
        Failed: [],
      };
    });
    this.eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })),
    }));
  }

  async stop(): Promise<void> {
    resetClock();
    this.transfer.restore();
    this.sqs.restore();
    this.eventBridge.restore();
    if (this.wireProxy) {
      await this.wireProxy.close();
      delete process.env.AWS_ENDPOINT_URL_S3;
      resetClients();
    }
    await this.aws.stop();
  }

  /** Sets the clock `seconds` after `from` (an object's LastModified, typically). */
  at(from: Date, seconds: number): void {
    this.now = new Date(from.getTime() + seconds * 1000);
  }

  async upload(key: string, body: string | Uint8Array): Promise<ObjectInfo> {
    await this.aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    const o = await headObject(this.aws.s3, BUCKET, key);
    if (!o) throw new Error(`upload of ${key} not found`);
    return o;
  }

  /** EventBridge "Object Created" envelope as the rule delivers it to SQS (key URL-encoded like S3 notifications). */
  s3Event(o: ObjectInfo): Record<string, unknown> {
    const encoded = o.key
      .split("/")
      .map((s) => encodeURIComponent(s).replace(/%20/g, "+"))
      .join("/");
    return {
      version: "0",
      id: `ev-${o.key}`,
      "detail-type": "Object Created",
      source: "aws.s3",
      account: "111122223333",
      // When S3 finished the upload (its LastModified, to the second here).
      time: (o.lastModified ?? new Date()).toISOString(),
      region: "eu-west-1",
      resources: [`arn:aws:s3:::${BUCKET}`],
      detail: {
        version: "0",
        bucket: { name: BUCKET },
        // A versioned bucket's events name the version (S3 user guide, EventBridge event message structure).
        object: {
          key: encoded,
          size: o.size,
          etag: o.etag.replace(/"/g, ""),
          ...(o.versionId ? { "version-id": o.versionId } : {}),
          sequencer: "0",
        },
        reason: "PutObject",
      },
    };
  }

  private sqsEvent(bodies: readonly unknown[]): SQSEvent {
    return {
      Records: bodies.map((b, i) => ({
        messageId: `msg-${i}-${Math.random().toString(36).slice(2)}`,
        receiptHandle: "rh",
        body: JSON.stringify(b),
        attributes: {} as SQSRecord["attributes"],
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:q",
        awsRegion: "eu-west-1",
      })),
    };
  }

  async settle(...bodies: unknown[]) {
    const r = await settleHandler(this.sqsEvent(bodies), {} as never);
    if (this.deliverHandOffs) await this.deliverHandedOff();
    return r;
  }

  /** Hand-offs sent since the last call (results queue), without delivering them. */
  takeHandedOff(): Record<string, unknown>[] {
    const q = this.handedOff;
    this.handedOff = [];
    return q;
  }

  /** Delivers the hand-offs to the result function; a record it fails is an error of the test. */
  async deliverHandedOff(): Promise<number> {
    const q = this.takeHandedOff();
    if (!q.length) return 0;
    const r = await this.result(...q);
    if (r.batchItemFailures.length) throw new Error(`result reported ${r.batchItemFailures.length} failure(s)`);
    return q.length;
  }

  result(...events: unknown[]) {
    return resultHandler(this.sqsEvent(events), {} as never);
  }

  sweep(): Promise<SweepResult> {
    return sweepHandler({}, {} as never);
  }

  /** Messages enqueued since the last call. */
  takeQueued(): Queued[] {
    const q = this.queued;
    this.queued = [];
    return q;
  }

  /** Events put on the receive queue since the last call. */
  takeReceiveQueued(): unknown[] {
    const r = this.received;
    this.received = [];
    return r;
  }

  /** Events put on the results queue since the last call. */
  takeResults(): unknown[] {
    const r = this.results;
    this.results = [];
    return r;
  }

  /** Claim continuations enqueued since the last call. */
  takeContinuations(): Queued[] {
    const q = this.continuations;
    this.continuations = [];
    return q;
  }

  /** The clock now. */
  clock(): Date {
    return this.now;
  }

  /** Delivers messages once their delay has passed on the clock. */
  async deliver(q: readonly Queued[]) {
    this.at(this.now, Math.max(0, ...q.map((m) => m.delaySeconds)));
    return this.settle(...q.map((m) => m.body));
  }

  /** Delivers what was enqueued (each after its delay on the clock) until nothing more is, at most `rounds` times. */
  async drain(rounds = 20): Promise<number> {
    let delivered = 0;
    for (let i = 0; i < rounds; i++) {
      const results = this.takeResults();
      if (results.length) {
        const r = await this.result(...results);
        if (r.batchItemFailures.length) throw new Error(`result reported ${r.batchItemFailures.length} failure(s)`);
        delivered += results.length;
      }
      const q = this.takeQueued();
      if (!q.length && !results.length) return delivered;
      if (!q.length) continue;
      const delay = Math.max(...q.map((m) => m.delaySeconds));
      this.at(this.now, delay);
      const r = await this.settle(...q.map((m) => m.body));
      if (r.batchItemFailures.length) throw new Error(`settle reported ${r.batchItemFailures.length} failure(s)`);
      delivered += q.length;
    }
    throw new Error("the queue did not drain");
  }

  domainEvents(): DomainEvent[] {
    return this.eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail!) as DomainEvent));
  }

  async keys(prefix: string): Promise<string[]> {
    const r = await this.aws.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
  }

  async text(key: string): Promise<string> {
    const r = await this.aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return r.Body!.transformToString();
  }

  async json(key: string): Promise<Record<string, unknown>> {
    return JSON.parse(await this.text(key));
  }

  /** A Transfer outbound event for a staged file, as Transfer would publish it. */
  transferEvent(
    detailType:
      "AS2 Payload Send Completed" | "AS2 Payload Send Failed" | "AS2 MDN Receive Completed" | "AS2 MDN Receive Failed",
    stagedKey: string,
    transferId: string,
    extra: Record<string, unknown> = {},
    s3Extra: Record<string, string> = {},
  ): Record<string, unknown> {
    const name = stagedKey.slice(stagedKey.lastIndexOf("/") + 1);
    // The connector that made the transfer, as Transfer's events name it.
    const connector = this.transfers[this.transferIds.indexOf(transferId)]?.ConnectorId ?? "c-partner";
    return {
      version: "0",
      id: `tev-${Math.random().toString(36).slice(2)}`,
      "detail-type": detailType,
      source: "aws.transfer",
      account: "111122223333",
      time: new Date().toISOString(),
      region: "eu-west-1",
      resources: [`arn:aws:transfer:eu-west-1:111122223333:connector/${connector}`],
      detail: {
        "connector-id": connector,
        "transfer-id": transferId,
        "as2-from": "ACME",
        "as2-to": "PARTNER",
        "as2-message-id": `${transferId}-msg@acme`,
        "requester-file-name": name,
        "status-code": detailType.endsWith("Failed") ? "FAILED" : "COMPLETED",
        "s3-attributes": { "file-bucket": BUCKET, "file-key": `/${stagedKey}`, ...s3Extra },
        ...extra,
      },
    };
  }
}

/** Where Transfer writes the MDN of a sent file (`<parent>/processed/name.<transferId>.<messageId>.ext.mdn`). */
export function transferMdnKey(stagedKey: string, transferId: string): string {
  const dir = stagedKey.slice(0, stagedKey.lastIndexOf("/") + 1);
  const name = stagedKey.slice(dir.length);
  return `${dir}processed/${name}.${transferId}.${transferId}-msg@acme.mdn`;
}
