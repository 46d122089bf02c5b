/**
 * The Transfer Family emulator: the AS2 server, the connectors, and the Transfer API endpoint the
 * handlers reach through AWS_ENDPOINT_URL_TRANSFER (the SDK's JSON 1.1 protocol, target
 * `TransferService.<Operation>`).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { S3Client } from "@aws-sdk/client-s3";
import { As2Server } from "./as2-server";
import type { InboundResult } from "./as2-server";
import { sendFile } from "./connector";
import type { OutboundResult } from "./connector";
import type { EventContext } from "./events";
import type { Agreement, Connector, EventSink } from "./types";
import type { HostLookup } from "./http-post";

export interface TransferEmulatorOptions {
  readonly s3: S3Client;
  readonly emit: EventSink;
  readonly connectors: readonly Connector[];
  readonly agreements: readonly Agreement[];
  /** @default s-0000000000000000a */
  readonly serverId?: string;
  /** @default { account: "000000000000", region: "eu-west-1" } */
  readonly ctx?: EventContext;
  readonly httpTimeoutMs?: number;
  /** Resolves partner host names for the connectors; @default the system resolver. */
  readonly lookup?: HostLookup;
  readonly onOutbound?: (r: OutboundResult & { connectorId: string }) => void;
  readonly onInbound?: (r: InboundResult) => void;
  /** Observes each StartFileTransfer call. */
  readonly onStartFileTransfer?: (connectorId: string, paths: readonly string[], transferId: string) => void;
}

/** Transfer's per-call limit. */
export const MAX_SEND_FILE_PATHS = 10;

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class TransferEmulator {
  readonly serverId: string;
  private readonly as2: As2Server;
  private api?: Server;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly ctx: EventContext;
  /** Throttle the next N StartFileTransfer calls (fault injection). */
  throttleNext = 0;

  constructor(private readonly o: TransferEmulatorOptions) {
    this.serverId = o.serverId ?? "s-0000000000000000a";
    this.ctx = o.ctx ?? { account: "000000000000", region: "eu-west-1" };
    this.as2 = new As2Server({
      serverId: this.serverId,
      agreements: o.agreements,
      s3: o.s3,
      emit: (e) => this.track(Promise.resolve(o.emit(e))),
      ctx: this.ctx,
      ...(o.onInbound ? { onMessage: o.onInbound } : {}),
    });
  }

  /** Starts the AS2 server and the API endpoint on loopback. */
  async start(ports: { as2?: number; api?: number } = {}): Promise<{ as2Url: string; apiEndpoint: string }> {
    const as2Url = await this.as2.start(ports.as2 ?? 0);
    this.api = createServer((req, res) => void this.handleApi(req, res));
    await new Promise<void>((resolve) => this.api!.listen(ports.api ?? 0, "127.0.0.1", () => resolve()));
    return { as2Url, apiEndpoint: `http://127.0.0.1:${(this.api.address() as AddressInfo).port}` };
  }

  async stop(): Promise<void> {
    await this.idle();
    await this.as2.stop();
    if (this.api) {
      this.api.closeAllConnections();
      await new Promise<void>((resolve) => this.api!.close(() => resolve()));
    }
  }

  /** Resolves when every transfer started so far has finished (status files written, events emitted). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  /** `StartFileTransfer` for an AS2 connector. Returns the TransferId; the files go out in the background. */
  startFileTransfer(connectorId: string, sendFilePaths: readonly string[]): string {
    const connector = this.o.connectors.find((c) => c.connectorId === connectorId);
    if (!connector) throw new ApiError("ResourceNotFoundException", `Unknown connector: ${connectorId}`);
    if (sendFilePaths.length === 0 || sendFilePaths.length > MAX_SEND_FILE_PATHS) {
      throw new ApiError(
        "ValidationException",
        `SendFilePaths must hold 1 to ${MAX_SEND_FILE_PATHS} paths, found ${sendFilePaths.length}`,
      );
    }
    if (this.throttleNext > 0) {
      this.throttleNext -= 1;
      throw new ApiError("ThrottlingException", "Rate exceeded");
    }
    const transferId = randomUUID();
    this.o.onStartFileTransfer?.(connectorId, sendFilePaths, transferId);
    const rt = {
      s3: this.o.s3,
      emit: this.o.emit,
      ctx: this.ctx,
      ...(this.o.httpTimeoutMs ? { httpTimeoutMs: this.o.httpTimeoutMs } : {}),
      ...(this.o.lookup ? { lookup: this.o.lookup } : {}),
    };
    const work = (async () => {
      for (const path of sendFilePaths) {
        const r = await sendFile(rt, connector, path, transferId);
        this.o.onOutbound?.({ ...r, connectorId });
      }
    })();
    void this.track(work);
    return transferId;
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers["x-amz-target"] ?? "");
    const send = (status: number, body: unknown) =>
      res
        .writeHead(status, { "Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": randomUUID() })
        .end(JSON.stringify(body));
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      if (target === "TransferService.StartFileTransfer") {
        const connectorId = String(input["ConnectorId"] ?? "");
        const paths = Array.isArray(input["SendFilePaths"]) ? (input["SendFilePaths"] as unknown[]).map(String) : [];
        send(200, { TransferId: this.startFileTransfer(connectorId, paths) });
        return;
      }
      throw new ApiError(
        "InvalidRequestException",
        `The sandbox's Transfer emulator does not implement ${target || "this operation"}`,
      );
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError("InternalServiceError", (e as Error).message, 500);
      send(err.status, { __type: err.type, Message: err.message });
    }
  }
}
