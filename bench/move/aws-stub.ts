/**
 * A tiny loopback stand-in for the JSON-protocol services without a local server: Transfer
 * (StartFileTransfer), EventBridge (PutEvents) and SQS (SendMessage, SendMessageBatch, DeleteMessage,
 * ChangeMessageVisibility). Reached through AWS_ENDPOINT_URL_TRANSFER/_EVENTBRIDGE/_SQS, like any
 * endpoint override; every call is recorded for the harness to act on.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StubCall {
  readonly target: string;
  readonly input: Record<string, unknown>;
  readonly output: Record<string, unknown>;
}

export interface AwsStub {
  readonly endpoint: string;
  /** Calls not yet taken by the driver (`reset` takes them). */
  readonly calls: StubCall[];
  reset(): StubCall[];
  /** Every call since the last `takeHistory`, for counting (drivers' `reset` does not clear it). */
  takeHistory(): StubCall[];
  close(): Promise<void>;
}

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/** The response a real service gives for a successful call (only the fields clients read). */
export function stubResponse(target: string, input: Record<string, unknown>): Record<string, unknown> {
  const op = target.split(".").pop();
  switch (op) {
    case "StartFileTransfer":
      return { TransferId: randomUUID() };
    case "PutEvents": {
      const entries = (input.Entries as unknown[] | undefined) ?? [];
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
    }
    case "SendMessage":
      return { MessageId: randomUUID(), MD5OfMessageBody: md5(String(input.MessageBody ?? "")) };
    case "SendMessageBatch": {
      const entries = (input.Entries as { Id: string; MessageBody: string }[] | undefined) ?? [];
      return {
        Successful: entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody) })),
        Failed: [],
      };
    }
    case "DeleteMessageBatch": {
      const entries = (input.Entries as { Id: string }[] | undefined) ?? [];
      return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
    }
    default:
      return {};
  }
}

export async function startAwsStub(): Promise<AwsStub> {
  const calls: StubCall[] = [];
  const history: StubCall[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      let input: Record<string, unknown> = {};
      try {
        input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } catch {
        // Query-protocol callers are not expected; answer empty.
      }
      const output = stubResponse(target, input);
      calls.push({ target, input, output });
      history.push({ target, input, output });
      const text = JSON.stringify(output);
      res.writeHead(200, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": randomUUID(),
      });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    reset: () => calls.splice(0, calls.length),
    takeHistory: () => history.splice(0, history.length),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
