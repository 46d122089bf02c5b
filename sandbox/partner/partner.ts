/**
 * A trading partner's AS2 system, stood up locally: receives messages from the gateway (decrypts
 * with its key, verifies with the station's certificate), answers synchronous MDNs, and sends
 * files to the gateway's AS2 server. It can be told to misbehave, to rehearse failures.
 */
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { As2Error, buildMdn, buildMessage, generateKeyPair, parseMdn, readEnvelope, unpackMessage } from "../as2";
import type { EncryptionAlgorithm, KeyPair, ParsedMdn, SigningAlgorithm } from "../as2";
import { post } from "../transfer-emulator/http-post";

/**
 * - `ok`: accept and answer a positive MDN;
 * - `down`: nothing listens on the port;
 * - `http-500`: answer 500 without an MDN;
 * - `negative-mdn`: answer `processed/error: unexpected-processing-error`;
 * - `bad-mdn-signature`: sign the MDN with a key the gateway does not know.
 */
/**
 * `down`: nothing listens (UNABLE_TO_CONNECT_TO_REMOTE_HOST_OR_IP); `unresolvable`: the partner's
 * host name does not resolve (UNABLE_TO_RESOLVE_HOSTNAME; the sandbox's resolver asks `mode`).
 */
export type PartnerMode = "ok" | "down" | "unresolvable" | "http-500" | "negative-mdn" | "bad-mdn-signature";
export const PARTNER_MODES: readonly PartnerMode[] = [
  "ok",
  "down",
  "unresolvable",
  "http-500",
  "negative-mdn",
  "bad-mdn-signature",
];

export interface PartnerStandInOptions {
  readonly as2Id: string;
  readonly signing: KeyPair;
  readonly encryption: KeyPair;
  /** The station this partner trades with, as the partner knows it. */
  readonly station: {
    readonly as2Id: string;
    readonly signingCertificates: readonly string[];
    readonly encryptionCertificate: string;
  };
}

export interface ReceivedByPartner {
  readonly messageId: string;
  readonly from: string;
  readonly fileName?: string;
  readonly payload: Buffer;
  readonly signed: boolean;
  readonly encrypted: boolean;
  readonly compressed: boolean;
  readonly answered: string;
}

export interface SendInboundOptions {
  readonly url: string;
  readonly fileName: string;
  readonly payload: Buffer;
  /** @default SHA256 */
  readonly signing?: SigningAlgorithm | "NONE";
  /** @default AES256_CBC */
  readonly encryption?: EncryptionAlgorithm | "NONE";
  /** @default true */
  readonly compress?: boolean;
  /** Sign with a key the gateway does not know (rehearses a bad signature). */
  readonly forgeSignature?: boolean;
  /** @default "SHA256": ask for a signed MDN */
  readonly mdnSigning?: SigningAlgorithm | "NONE";
  readonly subject?: string;
}

export interface SendInboundResult {
  readonly messageId: string;
  readonly httpStatus: number;
  readonly mdn?: ParsedMdn;
  /** Why the MDN could not be read or verified. */
  readonly mdnError?: string;
  readonly micMatches?: boolean;
}

export class PartnerStandIn {
  mode: PartnerMode = "ok";
  readonly received: ReceivedByPartner[] = [];
  /**
   * Why the stand-in answered 500 on its own (something threw while handling a request), oldest
   * first: the connector only reports the status, so a failing test needs these to say why.
   */
  readonly failures: string[] = [];
  /**
   * Every answer given (time, status, AS2 message id), oldest first: a test that sees a status the
   * stand-in never gave knows something else answered on its port.
   */
  readonly answers: string[] = [];
  private server?: Server;
  private port = 0;
  private stranger?: KeyPair;

  constructor(readonly o: PartnerStandInOptions) {}

  get url(): string {
    return this.urlAt("127.0.0.1");
  }

  /** The stand-in's URL under another host name that resolves to loopback (the sandbox's resolver). */
  urlAt(host: string): string {
    return `http://${host}:${this.port}/as2`;
  }

  /** Listens on loopback (a fixed port when given, so the URL survives `down`). */
  async start(port = 0): Promise<string> {
    await this.listen(port);
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async setMode(mode: PartnerMode): Promise<void> {
    this.mode = mode;
    if (mode === "down") await this.stop();
    else if (!this.server) await this.listen(this.port);
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((req, res) => {
      res.on("finish", () =>
        this.answers.push(`${new Date().toISOString()} ${res.statusCode} ${String(req.headers["message-id"] ?? "")}`),
      );
      this.handle(req, res).catch((e: unknown) => {
        this.failures.push(`${new Date().toISOString()} ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
        if (res.headersSent) res.destroy();
        else res.writeHead(500).end((e as Error).message);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Mode, port, answers and failures, for a failing test's message. */
  report(): string {
    return [
      `${this.o.as2Id} stand-in (mode ${this.mode}, port ${this.port}): ${this.answers.length} answer(s)`,
      ...this.answers.map((a) => `  answered ${a}`),
      ...this.failures.map((f) => `  failed ${f}`),
    ].join("\n");
  }

  private strangerKey(): KeyPair {
    this.stranger ??= generateKeyPair({ commonName: `not-${this.o.as2Id}` });
    return this.stranger;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (this.mode === "http-500") {
      res.writeHead(500, { "Content-Type": "text/plain" }).end("partner stand-in told to fail with 500");
      return;
    }
    const env = readEnvelope(req.headers);
    let error: string | undefined;
    let mic;
    try {
      const m = await unpackMessage(req.headers, body, {
        decryptKeys: [this.o.encryption, this.o.signing],
        verifyCertificates: this.o.station.signingCertificates,
      });
      mic = m.mic;
      if (this.mode === "negative-mdn") error = "unexpected-processing-error";
      this.received.push({
        messageId: m.messageId,
        from: m.as2From,
        ...(m.fileName ? { fileName: m.fileName } : {}),
        payload: m.payload,
        signed: m.signed,
        encrypted: m.encrypted,
        compressed: m.compressed,
        answered: error ? `processed/error: ${error}` : "processed",
      });
    } catch (e) {
      error = e instanceof As2Error ? e.dispositionModifier : "unexpected-processing-error";
    }
    if (!env.mdn.requested) {
      res.writeHead(error ? 400 : 200).end();
      return;
    }
    const signingKey = this.mode === "bad-mdn-signature" ? this.strangerKey() : this.o.signing;
    const mdn = await buildMdn({
      from: this.o.as2Id,
      to: env.as2From,
      originalMessageId: env.messageId,
      ...(error ? { error } : {}),
      ...(mic ? { mic } : {}),
      ...(env.mdn.signed ? { signing: { algorithm: env.mdn.signed, ...signingKey } } : {}),
      subject: `Your Requested MDN Response re: ${env.subject ?? env.messageId}`,
    });
    res.writeHead(200, mdn.headers).end(mdn.body);
  }

  /** Sends a file to the gateway's AS2 server and reads its synchronous MDN. */
  async sendInbound(o: SendInboundOptions): Promise<SendInboundResult> {
    const signing = o.signing ?? "SHA256";
    const encryption = o.encryption ?? "AES256_CBC";
    const mdnSigning = o.mdnSigning ?? "SHA256";
    const signer = o.forgeSignature ? this.strangerKey() : this.o.signing;
    const built = await buildMessage({
      from: this.o.as2Id,
      to: this.o.station.as2Id,
      payload: o.payload,
      fileName: o.fileName,
      subject: o.subject ?? `File ${o.fileName} sent from ${this.o.as2Id} to ${this.o.station.as2Id}`,
      compress: o.compress ?? true,
      ...(signing !== "NONE" ? { signing: { algorithm: signing, ...signer } } : {}),
      ...(encryption !== "NONE"
        ? { encryption: { algorithm: encryption, certificatePem: this.o.station.encryptionCertificate } }
        : {}),
      mdn: mdnSigning !== "NONE" ? { signed: mdnSigning } : {},
    });
    const res = await post(o.url, built.headers, built.body);
    if (res.status !== 200)
      return { messageId: built.messageId, httpStatus: res.status, mdnError: res.body.toString("utf8") };
    try {
      const mdn = await parseMdn(res.headers, res.body, {
        verifyCertificates: this.o.station.signingCertificates,
        requireSignature: mdnSigning !== "NONE",
      });
      return {
        messageId: built.messageId,
        httpStatus: res.status,
        mdn,
        micMatches: mdn.mic?.value === built.mic.value,
      };
    } catch (e) {
      return { messageId: built.messageId, httpStatus: res.status, mdnError: (e as Error).message };
    }
  }
}
