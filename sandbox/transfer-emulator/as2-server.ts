/**
 * The AS2 server (`aws_transfer_server` with protocol AS2): accepts messages for its agreements,
 * decrypts, verifies and decompresses them, writes payload, status JSON and MDN into the
 * agreement's base directory with Transfer's naming, answers a synchronous MDN (signed when the
 * sender asks) and emits `AS2 Payload Receive *` / `AS2 MDN Send *` events.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { As2Error, buildMdn, readEnvelope, unpackMessage } from "../as2";
import type { As2Envelope, BuiltMdn, ReceivedMessage } from "../as2";
import { isoNow, transferEvent } from "./events";
import type { As2DetailType, EventContext } from "./events";
import { eventKey, inboundLanding } from "./paths";
import type { Agreement, EventSink } from "./types";

export interface As2ServerOptions {
  readonly serverId: string;
  readonly agreements: readonly Agreement[];
  readonly s3: S3Client;
  readonly emit: EventSink;
  readonly ctx: EventContext;
  /** Observes each processed message (live log, tests). */
  readonly onMessage?: (r: InboundResult) => void;
}

export interface InboundResult {
  readonly agreementId?: string;
  readonly as2From: string;
  readonly as2To: string;
  readonly messageId: string;
  readonly outcome: "processed" | "failed";
  readonly failureCode?: string;
  readonly failureMessage?: string;
  readonly fileKey?: string;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export class As2Server {
  private server?: Server;
  constructor(private readonly o: As2ServerOptions) {}

  /** Listens on loopback; returns the URL partners post to. */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        res.writeHead(500, { "Content-Type": "text/plain" }).end(`internal error: ${(e as Error).message}`);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", () => resolve()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async put(at: { bucket: string; key: string }, body: Buffer | string, contentType?: string): Promise<void> {
    await this.o.s3.send(
      new PutObjectCommand({
        Bucket: at.bucket,
        Key: at.key,
        Body: body,
        ...(contentType ? { ContentType: contentType } : {}),
      }),
    );
  }

  private findAgreement(env: As2Envelope): Agreement | undefined {
    return this.o.agreements.find((a) => a.local.as2Id === env.as2To && a.partner.as2Id === env.as2From);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "POST" }).end();
      return;
    }
    const start = isoNow();
    const body = await readBody(req);
    const env = readEnvelope(req.headers);
    const clientIp = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const agreement = this.findAgreement(env);
    const messageId = env.messageId || `${randomUUID()}@unknown`;
    const common = {
      "server-id": this.o.serverId,
      "as2-from": env.as2From,
      "as2-to": env.as2To,
      "as2-message-id": messageId,
      "client-ip": clientIp,
      "message-subject": env.subject,
    };
    const emit = (type: As2DetailType, detail: Record<string, unknown>) =>
      this.o.emit(transferEvent(this.o.ctx, type, { kind: "server", id: this.o.serverId }, { ...common, ...detail }));

    if (!agreement) {
      const message = `No agreement found on server ${this.o.serverId} for AS2-From '${env.as2From}' and AS2-To '${env.as2To}'`;
      await emit("AS2 Payload Receive Failed", {
        "start-timestamp": start,
        "end-timestamp": isoNow(),
        "status-code": "FAILED",
        "failure-code": "AGREEMENT_NOT_FOUND",
        "failure-message": message,
      });
      this.o.onMessage?.({
        as2From: env.as2From,
        as2To: env.as2To,
        messageId,
        outcome: "failed",
        failureCode: "AGREEMENT_NOT_FOUND",
        failureMessage: message,
      });
      if (env.mdn.requested) {
        const mdn = await buildMdn({
          from: env.as2To,
          to: env.as2From,
          originalMessageId: messageId,
          error: "unknown-trading-partner",
        });
        res.writeHead(200, mdn.headers).end(mdn.body);
      } else {
        res.writeHead(403, { "Content-Type": "text/plain" }).end(message);
      }
      return;
    }

    let received: ReceivedMessage | undefined;
    let failure: As2Error | undefined;
    try {
      received = await unpackMessage(req.headers, body, {
        decryptKeys: [agreement.local.encryption, agreement.local.signing],
        verifyCertificates: agreement.partner.signingCertificates,
        requireSignature: agreement.enforceMessageSigning ?? true,
      });
    } catch (e) {
      // AWS documents no code for an unexpected failure: INVALID_REQUEST, with the message.
      failure = e instanceof As2Error ? e : new As2Error("INVALID_REQUEST", (e as Error).message);
    }
    // A message refused for its signature still has a name and a payload: keep them in failed/.
    let refused: ReceivedMessage | undefined;
    if (failure?.code.startsWith("VERIFICATION_FAILED")) {
      refused = await unpackMessage(req.headers, body, {
        decryptKeys: [agreement.local.encryption, agreement.local.signing],
        verifyCertificates: [],
        skipSignatureVerification: true,
      }).catch(() => undefined);
    }

    const outcome = failure ? "failed" : "processed";
    const requesterFileName = received?.fileName ?? refused?.fileName;
    const storedName = requesterFileName ?? randomUUID();
    const landing = inboundLanding(agreement, outcome, storedName, messageId, agreement.preserveFilename ?? false);
    const payload = received?.payload ?? refused?.payload ?? body;
    await this.put(landing.file, payload);

    let mdn: BuiltMdn | undefined;
    if (env.mdn.requested) {
      mdn = await buildMdn({
        from: env.as2To,
        to: env.as2From,
        originalMessageId: messageId,
        ...(failure ? { error: failure.dispositionModifier } : {}),
        ...(received ? { mic: received.mic } : {}),
        ...(env.mdn.signed ? { signing: { algorithm: env.mdn.signed, ...agreement.local.signing } } : {}),
        subject: `Message Disposition Notification`,
      });
    }
    const now = isoNow();
    const status = {
      "requester-content-type": received?.contentType ?? String(req.headers["content-type"] ?? ""),
      subject: env.subject,
      "client-ip": clientIp,
      ...(requesterFileName ? { "requester-file-name": requesterFileName } : {}),
      "as2-from": env.as2From,
      "as2-to": env.as2To,
      "as2-message-id": messageId,
      "status-code": failure ? "FAILED" : "COMPLETED",
      ...(failure ? { "failure-code": failure.code, "failure-message": failure.message } : {}),
      ...(mdn ? { disposition: mdn.disposition, "mdn-subject": mdn.subject, "mdn-message-id": mdn.messageId } : {}),
      "transfer-size": payload.length,
      "agreement-id": agreement.agreementId,
      "file-path": landing.filePath,
      "server-id": this.o.serverId,
      timestamp: now,
    };
    await this.put(landing.json, JSON.stringify(status, null, 2), "application/json");
    if (mdn) {
      const head = Object.entries(mdn.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      await this.put(landing.mdn, Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), mdn.body]));
    }

    const s3Attributes = {
      "file-bucket": landing.file.bucket,
      "file-key": eventKey(landing.file.key),
      "json-bucket": landing.json.bucket,
      "json-key": eventKey(landing.json.key),
    };
    await emit(failure ? "AS2 Payload Receive Failed" : "AS2 Payload Receive Completed", {
      "agreement-id": agreement.agreementId,
      "requester-file-name": requesterFileName,
      bytes: payload.length,
      // Documented for Payload Receive Completed (event detail reference); the path partners post to.
      "request-path": failure ? undefined : (req.url ?? "/"),
      "start-timestamp": start,
      "end-timestamp": now,
      "status-code": failure ? "FAILED" : "COMPLETED",
      "failure-code": failure?.code,
      "failure-message": failure?.message,
      "s3-attributes": s3Attributes,
    });
    this.o.onMessage?.({
      agreementId: agreement.agreementId,
      as2From: env.as2From,
      as2To: env.as2To,
      messageId,
      outcome,
      ...(failure ? { failureCode: failure.code, failureMessage: failure.message } : {}),
      fileKey: landing.file.key,
    });
    if (!mdn) {
      res.writeHead(failure ? 400 : 200, { "Content-Type": "text/plain" }).end(failure ? failure.message : "OK");
      return;
    }
    res.writeHead(200, mdn.headers).end(mdn.body);
    await emit("AS2 MDN Send Completed", {
      "agreement-id": agreement.agreementId,
      "requester-file-name": requesterFileName,
      bytes: payload.length,
      "request-path": req.url ?? "/",
      "mdn-message-id": `<${mdn.messageId}>`,
      "mdn-subject": mdn.subject,
      "mdn-type": "SYNC",
      disposition: mdn.disposition,
      "start-timestamp": start,
      "end-timestamp": isoNow(),
      "status-code": "COMPLETED",
      "s3-attributes": { ...s3Attributes, "mdn-bucket": landing.mdn.bucket, "mdn-key": eventKey(landing.mdn.key) },
    });
  }
}
