/**
 * An in-process SQS for the sandbox, speaking the AWS JSON 1.0 protocol the SDK v3 SQS client uses
 * (AWS_ENDPOINT_URL_SQS points the handlers at it), and giving the event source mappings direct
 * access. Honours what the stack declares: delay_seconds, visibility_timeout_seconds, per-message
 * DelaySeconds, and the redrive policy (maxReceiveCount, dead-letter queue).
 *
 * Why not fauxqs: it needs Node >= 22.5 (Node 20 here; the `node@22` npm package would add a
 * second runtime to every install), and the event source mappings are simpler and exact when the
 * poller shares the queues' memory. `timeScale` shortens every delay for rehearsals.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface QueueConfig {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  /** @default 0 */
  readonly delaySeconds?: number;
  /** @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  readonly redrive?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly sentAt: number;
  readonly attributes: Record<string, unknown>;
  receiveCount: number;
  firstReceiveAt?: number;
  visibleAt: number;
  receiptHandle?: string;
}

export interface Queue extends QueueConfig {
  readonly messages: SqsMessage[];
}

export type SqsObserver = (e: {
  kind: "sent" | "dead-lettered" | "deleted";
  queue: string;
  message: SqsMessage;
  delayMs?: number;
}) => void;

class SqsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalSqs {
  private readonly queues = new Map<string, Queue>();
  private server?: Server;
  endpoint = "";

  constructor(
    private readonly timeScale = 1,
    private readonly observe?: SqsObserver,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  createQueue(config: QueueConfig): void {
    this.queues.set(config.arn, { ...config, messages: [] });
  }

  list(): Queue[] {
    return [...this.queues.values()];
  }

  byArn(arn: string): Queue | undefined {
    return this.queues.get(arn);
  }

  private byUrlOrName(urlOrName: string): Queue {
    const name = urlOrName.split("/").pop()!;
    const q = [...this.queues.values()].find((x) => x.url === urlOrName || x.name === name);
    if (!q)
      throw new SqsError("com.amazonaws.sqs#QueueDoesNotExist", `The specified queue does not exist: ${urlOrName}`);
    return q;
  }

  private scaled(seconds: number): number {
    return (seconds * 1000) / this.timeScale;
  }

  send(q: Queue, body: string, delaySeconds?: number, attributes: Record<string, unknown> = {}): SqsMessage {
    const delay = this.scaled(delaySeconds ?? q.delaySeconds ?? 0);
    const now = Date.now();
    const m: SqsMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: createHash("md5").update(body).digest("hex"),
      sentAt: now,
      attributes,
      receiveCount: 0,
      visibleAt: now + delay,
    };
    q.messages.push(m);
    this.observe?.({ kind: "sent", queue: q.name, message: m, delayMs: delay });
    return m;
  }

  /** Receives up to `max` visible messages; those past maxReceiveCount go to the dead-letter queue first. */
  receive(q: Queue, max: number): SqsMessage[] {
    const now = Date.now();
    const out: SqsMessage[] = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (q.redrive && m.receiveCount >= q.redrive.maxReceiveCount) {
        q.messages.splice(q.messages.indexOf(m), 1);
        const dlq = this.queues.get(q.redrive.deadLetterTargetArn);
        if (dlq) {
          dlq.messages.push({ ...m, visibleAt: now, receiptHandle: undefined });
          this.observe?.({ kind: "dead-lettered", queue: q.name, message: m });
        }
        continue;
      }
      m.receiveCount += 1;
      m.firstReceiveAt ??= now;
      m.visibleAt = now + this.scaled(q.visibilityTimeoutSeconds ?? 30);
      m.receiptHandle = `${m.messageId}:${randomUUID()}`;
      out.push(m);
    }
    return out;
  }

  delete(q: Queue, receiptHandle: string): void {
    const i = q.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (i >= 0) {
      const [m] = q.messages.splice(i, 1);
      this.observe?.({ kind: "deleted", queue: q.name, message: m! });
    }
  }

  changeVisibility(q: Queue, receiptHandle: string, seconds: number): void {
    const m = q.messages.find((x) => x.receiptHandle === receiptHandle);
    if (m) m.visibleAt = Date.now() + this.scaled(seconds);
  }

  /** Messages not yet deleted (visible or in flight). */
  depth(q: Queue): number {
    return q.messages.length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const op = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSQS\./, "");
    const reply = (status: number, body: unknown) =>
      res
        .writeHead(status, { "Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": randomUUID() })
        .end(JSON.stringify(body));
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      reply(200, this.operation(op, input));
    } catch (e) {
      const err = e instanceof SqsError ? e : new SqsError("com.amazonaws.sqs#InternalError", (e as Error).message);
      reply(400, { __type: err.type, message: err.message });
    }
  }

  private operation(op: string, input: Record<string, unknown>): unknown {
    const q = () => this.byUrlOrName(String(input["QueueUrl"] ?? input["QueueName"] ?? ""));
    const toWire = (m: SqsMessage) => ({
      MessageId: m.messageId,
      ReceiptHandle: m.receiptHandle,
      MD5OfBody: m.md5OfBody,
      Body: m.body,
      Attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
      },
    });
    switch (op) {
      case "SendMessage": {
        const m = this.send(
          q(),
          String(input["MessageBody"]),
          input["DelaySeconds"] as number | undefined,
          (input["MessageAttributes"] as Record<string, unknown>) ?? {},
        );
        return { MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody };
      }
      case "SendMessageBatch": {
        const queue = q();
        const entries = (input["Entries"] as Array<Record<string, unknown>>) ?? [];
        return {
          Successful: entries.map((e) => {
            const m = this.send(queue, String(e["MessageBody"]), e["DelaySeconds"] as number | undefined);
            return { Id: e["Id"], MessageId: m.messageId, MD5OfMessageBody: m.md5OfBody };
          }),
          Failed: [],
        };
      }
      case "ReceiveMessage":
        return { Messages: this.receive(q(), Number(input["MaxNumberOfMessages"] ?? 1)).map(toWire) };
      case "DeleteMessage":
        this.delete(q(), String(input["ReceiptHandle"]));
        return {};
      case "DeleteMessageBatch": {
        const queue = q();
        const entries = (input["Entries"] as Array<Record<string, unknown>>) ?? [];
        for (const e of entries) this.delete(queue, String(e["ReceiptHandle"]));
        return { Successful: entries.map((e) => ({ Id: e["Id"] })), Failed: [] };
      }
      case "ChangeMessageVisibility":
        this.changeVisibility(q(), String(input["ReceiptHandle"]), Number(input["VisibilityTimeout"]));
        return {};
      case "ChangeMessageVisibilityBatch": {
        const queue = q();
        const entries = (input["Entries"] as Array<Record<string, unknown>>) ?? [];
        for (const e of entries)
          this.changeVisibility(queue, String(e["ReceiptHandle"]), Number(e["VisibilityTimeout"]));
        return { Successful: entries.map((e) => ({ Id: e["Id"] })), Failed: [] };
      }
      case "GetQueueUrl":
        return { QueueUrl: q().url };
      case "GetQueueAttributes": {
        const queue = q();
        return {
          Attributes: {
            QueueArn: queue.arn,
            ApproximateNumberOfMessages: String(queue.messages.length),
            DelaySeconds: String(queue.delaySeconds ?? 0),
            VisibilityTimeout: String(queue.visibilityTimeoutSeconds ?? 30),
          },
        };
      }
      case "PurgeQueue":
        q().messages.length = 0;
        return {};
      default:
        throw new SqsError("com.amazonaws.sqs#UnsupportedOperation", `the sandbox's SQS does not implement ${op}`);
    }
  }
}
