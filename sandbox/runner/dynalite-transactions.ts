/**
 * TransactWriteItems for a dynalite server. dynalite 4 has no transactions (it answers
 * UnknownOperationException), and the send pipeline writes the items of one transition together
 * (issue #17). This adds the operation to the server the way DynamoDB defines it for Put, Update and
 * Delete actions: all or nothing ("DynamoDB cancels a TransactWriteItems request [when] a condition
 * in one of the condition expressions is not met", TransactionCanceledException with one
 * CancellationReason per action: DynamoDB API reference), and isolated: while a transaction runs,
 * other requests to the server wait, and it waits for those in flight.
 *
 * Each action is applied as the single-item request it names (dynalite evaluates its condition),
 * answering with the item as it was (`ReturnValues: ALL_OLD`); when one is refused, the actions
 * already applied are undone from those images.
 */
import { request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const TARGET_PREFIX = "DynamoDB_20120810.";
const INTERNAL = "x-dynalite-transaction";

type Json = Record<string, unknown>;
type Key = Record<string, unknown>;

interface Action {
  readonly kind: "Put" | "Update" | "Delete" | "ConditionCheck";
  readonly params: Json;
}

/** Readers-writer gate: requests run side by side, a transaction runs alone. */
class Gate {
  private active = 0;
  private writing = false;
  private readonly waiting: (() => void)[] = [];
  private readonly writers: (() => void)[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.writing || this.writers.length) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.wake();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((r) => {
      this.writers.push(r);
      this.wake();
    });
    try {
      return await fn();
    } finally {
      this.writing = false;
      this.wake();
    }
  }

  private wake(): void {
    if (this.writing) return;
    if (this.writers.length) {
      if (this.active === 0) {
        this.writing = true;
        this.writers.shift()!();
      }
      return;
    }
    for (const r of this.waiting.splice(0)) r();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": `txn-${Date.now()}`,
  });
  res.end(text);
}

/** Adds TransactWriteItems to a listening dynalite server (call after `listen`). */
export function addTransactions(server: Server): void {
  const gate = new Gate();
  const original = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners("request");
  const keySchemas = new Map<string, string[]>();

  /** One request to dynalite itself, past the gate. */
  const call = (operation: string, body: Json): Promise<{ status: number; body: Json }> =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const port = (server.address() as AddressInfo).port;
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/",
          headers: {
            "content-type": "application/x-amz-json-1.0",
            "content-length": Buffer.byteLength(text),
            "x-amz-target": `${TARGET_PREFIX}${operation}`,
            "x-amz-date": "20260101T000000Z",
            authorization:
              "AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            [INTERNAL]: "1",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 500,
              body: JSON.parse(Buffer.concat(chunks).toString() || "{}") as Json,
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(text);
    });

  const keyOf = async (table: string, itemOrKey: Json): Promise<Key> => {
    let names = keySchemas.get(table);
    if (!names) {
      const d = await call("DescribeTable", { TableName: table });
      const schema = ((d.body.Table as Json | undefined)?.KeySchema ?? []) as { AttributeName: string }[];
      names = schema.map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    return Object.fromEntries(names.map((n) => [n, itemOrKey[n]]));
  };

  const transactWrite = async (input: Json): Promise<{ status: number; body: Json }> => {
    const items = (input.TransactItems ?? []) as Json[];
    if (items.length === 0 || items.length > 100)
      return {
        status: 400,
        body: { __type: "com.amazon.coral.validate#ValidationException", message: "1 to 100 TransactItems" },
      };
    const actions: Action[] = items.map((it) => {
      const kind = (["Put", "Update", "Delete", "ConditionCheck"] as const).find((k) => it[k] !== undefined);
      if (!kind) throw new Error("a TransactItem without an action");
      return { kind, params: it[kind] as Json };
    });
    const keys = await Promise.all(
      actions.map((a) => keyOf(String(a.params.TableName), (a.kind === "Put" ? a.params.Item : a.params.Key) as Json)),
    );
    const ids = keys.map((k, i) => `${String(actions[i]!.params.TableName)}|${JSON.stringify(k)}`);
    if (new Set(ids).size !== ids.length)
      return {
        status: 400,
        body: {
          __type: "com.amazon.coral.validate#ValidationException",
          message: "Transaction request cannot include multiple operations on one item",
        },
      };
    const undo: { table: string; key: Key; before?: Json }[] = [];
    for (const [i, a] of actions.entries()) {
      const table = String(a.params.TableName);
      const key = keys[i]!;
      let r: { status: number; body: Json };
      if (a.kind === "ConditionCheck") {
        // Checked as a conditional write of the item as it is (no item: a delete of nothing).
        const before = (await call("GetItem", { TableName: table, Key: key, ConsistentRead: true })).body.Item as
          Json | undefined;
        r = before
          ? await call("PutItem", { ...pick(a.params), TableName: table, Item: before, ReturnValues: "ALL_OLD" })
          : await call("DeleteItem", { ...pick(a.params), TableName: table, Key: key, ReturnValues: "ALL_OLD" });
      } else {
        const operation = a.kind === "Put" ? "PutItem" : a.kind === "Update" ? "UpdateItem" : "DeleteItem";
        // The write answers with the item as it was: what undoing it needs.
        r = await call(operation, {
          ...a.params,
          ReturnValuesOnConditionCheckFailure: undefined,
          ReturnValues: "ALL_OLD",
        });
      }
      if (r.status === 200) {
        const before = r.body.Attributes as Json | undefined;
        undo.push({ table, key, ...(before ? { before } : {}) });
        continue;
      }
      for (const u of undo.reverse()) {
        if (u.before) await call("PutItem", { TableName: u.table, Item: u.before });
        else await call("DeleteItem", { TableName: u.table, Key: u.key });
      }
      const failed = String(r.body.__type ?? "").endsWith("ConditionalCheckFailedException");
      if (!failed) return r;
      const reasons = actions.map((_, j) =>
        j === i ? { Code: "ConditionalCheckFailed", Message: "The conditional request failed" } : { Code: "None" },
      );
      return {
        status: 400,
        body: {
          __type: "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
          message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((x) => x.Code).join(", ")}]`,
          CancellationReasons: reasons,
        },
      };
    }
    return { status: 200, body: {} };
  };

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const pass = () => {
      for (const l of original) l.call(server, req, res);
    };
    if (req.headers[INTERNAL]) return pass();
    if (req.headers["x-amz-target"] !== `${TARGET_PREFIX}TransactWriteItems`) {
      void gate.shared(
        () =>
          new Promise<void>((done) => {
            res.on("close", () => done());
            pass();
          }),
      );
      return;
    }
    void readBody(req)
      .then((text) => gate.exclusive(() => transactWrite(JSON.parse(text || "{}") as Json)))
      .then(
        (r) => reply(res, r.status, r.body),
        (e: unknown) =>
          reply(res, 500, { __type: "com.amazon.coral.service#InternalFailure", message: (e as Error).message }),
      );
  });
}

/** The condition of a ConditionCheck action. */
function pick(p: Json): Json {
  const out: Json = {};
  for (const k of ["ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"])
    if (p[k] !== undefined) out[k] = p[k];
  return out;
}
