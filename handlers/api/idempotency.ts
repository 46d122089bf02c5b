/**
 * `Idempotency-Key` on POST /v1/messages: a client that retries a send (a timeout, a lost answer)
 * gets the first call's answer instead of a second send. The key is remembered for
 * API_LIMITS.idempotencyHours in the index table, scoped to the caller and station, with the hash of
 * the body it was used for:
 * - the first call claims the key with a conditional write, so of concurrent duplicates exactly one
 *   sends; the others get 409 while it runs, then the stored answer;
 * - the same key with another body is refused (422): the key names one request, not a slot;
 * - a call holds the key under a lease (longer than the function runs) and records each file once it
 *   is queued, so a retry after a crash finishes the files that were not done and repeats none; a
 *   file placed but not yet recorded is found again by the owner tag on its object (send-folder.ts).
 *
 * Expired items can still be read until DynamoDB's TTL removes them ("items that have expired and
 * not been deleted will still show up in reads", DynamoDB API reference, UpdateTimeToLive), so a
 * claim treats an item past `expiresAt` as absent.
 */
import { GetItemCommand, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { createHash, randomBytes } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { API_LIMITS } from "../../model/api/limits";
import { IDEMPOTENCY_KEY_PATTERN, idempotencyRecordId } from "../../model/api/ids";
import { INDEX_TABLE_KEY, INDEX_TTL_ATTRIBUTE } from "../../model/api/index-model";
import type { SendMessageRequest, SendMessageResponse } from "../../model/api/schemas";
import { fromAttributes, toAttributes } from "../shared/attribute-values";
import { conditionally } from "../shared/ledger";
import { ApiProblem } from "./http";
import type { Caller } from "./auth";
import type { ApiContext } from "./context";

export type SentFile = SendMessageResponse["messages"][number];

/** What send() needs to be repeatable under one key. */
export interface SendProgress {
  /** Files an earlier call with this key queued, by position in the request. */
  readonly done: Readonly<Record<string, SentFile>>;
  /** The tag the file at a position carries in the send folder, the same in every call with this key. */
  owner(position: number): string;
  record(position: number, file: SentFile): Promise<void>;
}

interface KeyItem {
  readonly bodyHash: string;
  readonly token: string;
  readonly leaseUntil: number;
  readonly expiresAt: number;
  readonly files?: Record<string, SentFile>;
  readonly response?: string;
}

/** The header's value; undefined without one. API Gateway passes header names in lower case. */
export function idempotencyKeyOf(event: APIGatewayProxyEventV2): string | undefined {
  const key = event.headers?.["idempotency-key"];
  if (key === undefined) return undefined;
  if (!new RegExp(IDEMPOTENCY_KEY_PATTERN).test(key))
    throw new ApiProblem(
      400,
      "BAD_IDEMPOTENCY_KEY",
      "Idempotency-Key is 1 to 255 printable ASCII characters; a UUID per send is a good choice",
    );
  return key;
}

export interface Sent {
  readonly response: SendMessageResponse;
  /** True when the answer is the stored one of an earlier call. */
  readonly replayed: boolean;
}

/** Attribute names of the key's item, all aliased (several are DynamoDB reserved words); none is a prefix of another. */
const NAMES: Record<string, string> = {
  "#pk": INDEX_TABLE_KEY,
  "#hash": "bodyHash",
  "#token": "token",
  "#lease": "leaseUntil",
  "#expires": INDEX_TTL_ATTRIBUTE,
  "#files": "files",
  "#response": "response",
};

/** One conditional UpdateItem on the key's item; false when the condition does not hold. */
function writer(ctx: ApiContext, key: Record<string, AttributeValue>) {
  return (expression: string, condition: string, values: Record<string, unknown>, position?: number) => {
    const text = `${expression} ${condition}`;
    return conditionally(() =>
      ctx.ddb.send(
        new UpdateItemCommand({
          TableName: ctx.table,
          Key: key,
          UpdateExpression: expression,
          ConditionExpression: condition,
          // DynamoDB refuses names and values an expression does not use.
          ExpressionAttributeNames: {
            ...Object.fromEntries(Object.entries(NAMES).filter(([n]) => text.includes(n))),
            ...(position !== undefined ? { "#i": String(position) } : {}),
          },
          ExpressionAttributeValues: toAttributes(values),
        }),
      ),
    );
  };
}

const IN_PROGRESS =
  "a request with this Idempotency-Key is still being processed; retry in a few seconds to get its answer";

export async function idempotentSend(
  ctx: ApiContext,
  caller: Caller,
  req: SendMessageRequest,
  key: string,
  send: (progress: SendProgress) => Promise<SendMessageResponse>,
): Promise<Sent> {
  const id = idempotencyRecordId(caller.name, req.station, key);
  const pk = { [INDEX_TABLE_KEY]: { S: id } };
  const write = writer(ctx, pk);
  const bodyHash = createHash("sha256").update(JSON.stringify(req)).digest("base64url");
  const token = randomBytes(12).toString("hex");
  const now = ctx.now().getTime();
  const lease = now + API_LIMITS.idempotencyLeaseSeconds * 1000;

  let done: Record<string, SentFile> = {};
  const claimed = await write(
    "SET #hash = :hash, #token = :token, #lease = :lease, #expires = :expires, #files = :none REMOVE #response",
    "attribute_not_exists(#pk) OR #expires < :nowSeconds",
    {
      ":hash": bodyHash,
      ":token": token,
      ":lease": lease,
      ":expires": Math.floor(now / 1000) + API_LIMITS.idempotencyHours * 3600,
      ":none": {},
      ":nowSeconds": Math.floor(now / 1000),
    },
  );
  if (!claimed) {
    const r = await ctx.ddb.send(new GetItemCommand({ TableName: ctx.table, Key: pk, ConsistentRead: true }));
    const item = r.Item ? (fromAttributes(r.Item) as unknown as KeyItem) : undefined;
    if (!item) throw new ApiProblem(409, "IDEMPOTENCY_KEY_IN_PROGRESS", IN_PROGRESS);
    if (item.bodyHash !== bodyHash)
      throw new ApiProblem(
        422,
        "IDEMPOTENCY_KEY_REUSED",
        `this Idempotency-Key was used for another request body in the last ${API_LIMITS.idempotencyHours} hours; use a new key for a new send`,
      );
    if (item.response !== undefined)
      return { response: JSON.parse(item.response) as SendMessageResponse, replayed: true };
    // A call that stopped (or failed) before answering: take over its work, keep what it recorded.
    const takeover =
      item.leaseUntil < now &&
      (await write("SET #token = :token, #lease = :lease", "#token = :old AND #lease < :now", {
        ":token": token,
        ":lease": lease,
        ":old": item.token,
        ":now": now,
      }));
    if (!takeover) throw new ApiProblem(409, "IDEMPOTENCY_KEY_IN_PROGRESS", IN_PROGRESS);
    done = item.files ?? {};
  }

  const mine = { ":token": token };
  const ownerTag = createHash("sha256").update(`${id}\n${bodyHash}`).digest("hex").slice(0, 24);
  const progress: SendProgress = {
    done,
    owner: (i) => `idem-${ownerTag}-${i}`,
    record: async (i, file) => {
      if (!(await write("SET #files.#i = :file", "#token = :token", { ...mine, ":file": file }, i)))
        throw new Error("the Idempotency-Key was taken over while this call held its lease");
    },
  };
  try {
    const response = await send(progress);
    await write("SET #response = :response", "#token = :token", { ...mine, ":response": JSON.stringify(response) });
    return { response, replayed: false };
  } catch (e) {
    // Let a retry take over now rather than after the lease; what was recorded stays recorded.
    await write("SET #lease = :zero", "#token = :token", { ...mine, ":zero": 0 }).catch(() => false);
    throw e;
  }
}
