/**
 * The API's message operations on the index: show, list, read/unread, download links, delete.
 * A message of a station the caller may not see answers 404, as an unknown one does.
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { filesRoot } from "../../model/layout";
import { API_LIMITS } from "../../model/api/limits";
import { MESSAGE_STATES, isFinal, visibleState, type Direction, type IndexItem } from "../../model/api/index-model";
import type { ApiMessage, BulkDeleteResponse, FileLinks, MdnLink, MessageList } from "../../model/api/schemas";
import { directionOfId } from "../../model/api/ids";
import { ApiProblem } from "./http";
import { canSeeStation, type Caller } from "./auth";
import type { ApiContext } from "./context";
import { getIndexItem, listMessages, CursorError, type ListQuery } from "./index-reader";
import { markDeleted, setRead } from "./index-writer";
import { downloadUrl } from "./presign";

/** Absent facts are left undefined: JSON.stringify leaves them out of the answer. */
export function toApiMessage(item: IndexItem): ApiMessage {
  const mdn = item.mdn;
  return {
    id: item.pk,
    direction: item.direction,
    station: item.station,
    partner: item.partner,
    test: item.test,
    state: visibleState(item),
    read: item.read === true,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    files: (item.files ?? []).map((f) => ({ fileName: f.fileName, size: f.size })),
    as2MessageId: item.as2MessageId,
    subject: item.subject,
    mdn: mdn && {
      available: mdn.key !== undefined && !item.deletedAt,
      status: mdn.status,
      disposition: mdn.disposition,
    },
    failure:
      item.failureCode === undefined
        ? undefined
        : { code: item.failureCode, reason: item.failureReason ?? item.failureCode },
    attempts: item.attempts,
    resendOf: item.resendOf,
    resentAs: item.resentAs,
    deletedAt: item.deletedAt,
  };
}

/** The message, or 404 when it is unknown or belongs to a station the caller may not see. */
export async function visibleItem(ctx: ApiContext, caller: Caller, id: string): Promise<IndexItem> {
  const item = directionOfId(id) ? await getIndexItem(id, ctx.ddb, ctx.table) : undefined;
  if (!item || !canSeeStation(caller, item.station))
    throw new ApiProblem(
      404,
      "NOT_FOUND",
      `no message ${id}; ids come from GET /v1/inbox, GET /v1/outbox or POST /v1/messages`,
    );
  return item;
}

const badQuery = (detail: string) => new ApiProblem(400, "BAD_QUERY", detail);

function one(q: Record<string, string | undefined>, name: string): string | undefined {
  const v = q[name];
  if (v !== undefined && v.includes(",")) throw badQuery(`give ${name} once (found ${JSON.stringify(v)})`);
  return v === "" ? undefined : v;
}

function isoParam(q: Record<string, string | undefined>, name: string): string | undefined {
  const v = one(q, name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(v))
    throw badQuery(`${name} must be an ISO-8601 date-time such as 2026-12-01T00:00:00Z, found ${JSON.stringify(v)}`);
  return new Date(t).toISOString();
}

const LIST_PARAMS = new Set(["station", "partner", "state", "from", "to", "unread", "limit", "cursor"]);

export async function list(
  ctx: ApiContext,
  caller: Caller,
  direction: Direction,
  q: Record<string, string | undefined>,
): Promise<MessageList> {
  const unknown = Object.keys(q).filter((k) => !LIST_PARAMS.has(k));
  if (unknown.length)
    throw badQuery(`unknown query parameter ${unknown.join(", ")}; use ${[...LIST_PARAMS].join(", ")}`);
  const state = one(q, "state");
  if (state !== undefined && !(MESSAGE_STATES as readonly string[]).includes(state))
    throw badQuery(`state must be one of ${MESSAGE_STATES.join(", ")}, found ${JSON.stringify(state)}`);
  const unread = one(q, "unread");
  if (unread !== undefined && unread !== "true" && unread !== "false")
    throw badQuery(`unread is true or false, found ${JSON.stringify(unread)}`);
  const limitText = one(q, "limit");
  const limit = limitText === undefined ? API_LIMITS.pageSize.default : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > API_LIMITS.pageSize.max)
    throw badQuery(`limit is an integer from 1 to ${API_LIMITS.pageSize.max}, found ${JSON.stringify(limitText)}`);
  const station = one(q, "station");
  if (station !== undefined && !canSeeStation(caller, station))
    throw new ApiProblem(
      403,
      "STATION_NOT_ALLOWED",
      `${caller.name} may not see station ${station}; allowed: ${[...(caller.stations ?? [])].join(", ")}`,
    );
  // Filters not given stay undefined (the cursor's hash and the query plan skip them).
  const query: ListQuery = {
    direction,
    limit,
    station,
    partner: one(q, "partner"),
    state: state as ListQuery["state"],
    unread: unread === "true" || undefined,
    from: isoParam(q, "from"),
    to: isoParam(q, "to"),
    cursor: one(q, "cursor"),
    stations: caller.stations && [...caller.stations].sort(),
  };
  try {
    const page = await listMessages(query, ctx.ddb, ctx.table);
    return { items: page.items.map(toApiMessage), nextCursor: page.nextCursor };
  } catch (e) {
    if (e instanceof CursorError) throw new ApiProblem(400, "BAD_CURSOR", e.message);
    throw e;
  }
}

export async function patch(ctx: ApiContext, caller: Caller, id: string, read: boolean): Promise<ApiMessage> {
  const item = await visibleItem(ctx, caller, id);
  if (item.direction !== "inbound")
    throw new ApiProblem(
      409,
      "NOT_INBOUND",
      `${id} is an outbound message: only received messages are marked read or unread`,
    );
  if (!(await setRead(id, read, { client: ctx.ddb, table: ctx.table }, ctx.now()))) {
    const now = await visibleItem(ctx, caller, id);
    throw new ApiProblem(
      409,
      "NOT_RECEIVED",
      `${id} is ${visibleState(now)}: only a received message that is not deleted is marked read or unread`,
    );
  }
  return toApiMessage(await visibleItem(ctx, caller, id));
}

function notDeleted(item: IndexItem): void {
  if (item.deletedAt)
    throw new ApiProblem(
      409,
      "DELETED",
      `${item.pk} was deleted at ${item.deletedAt}; its files are no longer in the folders`,
    );
}

export async function files(ctx: ApiContext, caller: Caller, id: string): Promise<FileLinks> {
  const item = await visibleItem(ctx, caller, id);
  notDeleted(item);
  const now = ctx.now();
  const items = await Promise.all(
    (item.files ?? [])
      .filter((f) => f.key !== undefined)
      .map(async (f) => ({
        fileName: f.fileName,
        size: f.size,
        ...(await downloadUrl(ctx.s3, ctx.bucket, f.key!, now, f.fileName)),
      })),
  );
  return { items };
}

export async function mdn(ctx: ApiContext, caller: Caller, id: string): Promise<MdnLink> {
  const item = await visibleItem(ctx, caller, id);
  notDeleted(item);
  if (!item.mdn?.key)
    throw new ApiProblem(
      404,
      "NO_MDN",
      `${id} has no stored MDN (state ${visibleState(item)}${item.mdn?.status ? `, MDN ${item.mdn.status}` : ""}); an MDN is stored once the message is sent or received`,
    );
  return {
    ...(await downloadUrl(ctx.s3, ctx.bucket, item.mdn.key, ctx.now())),
    disposition: item.mdn.disposition,
  };
}

/**
 * Deletes a finished message's payload, MDN and record (the versioned bucket keeps them as
 * noncurrent versions for the documented days), then marks the index. Only keys in the routed
 * folders are deleted: a payload left at its upload key stays for the user to decide.
 * Repeating a delete deletes nothing more and answers the same.
 */
export async function remove(ctx: ApiContext, caller: Caller, id: string): Promise<ApiMessage> {
  const item = await visibleItem(ctx, caller, id);
  if (!item.deletedAt) {
    if (!isFinal(item.state))
      throw new ApiProblem(409, "IN_PROGRESS", `${id} is ${item.state}: delete it once it is sent or failed`);
    const root = filesRoot(ctx.routing.doc.layout);
    const keys = [...(item.files ?? []).map((f) => f.key), item.mdn?.key, item.recordKey].filter(
      (k): k is string => k !== undefined && k.startsWith(root),
    );
    for (const key of keys) await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: key }));
    await markDeleted(id, { client: ctx.ddb, table: ctx.table }, ctx.now());
  }
  return toApiMessage(await visibleItem(ctx, caller, id));
}

/** Deletes of one bulk call run this many at a time: 100 ids stay well inside the 29 s timeout. */
const BULK_CONCURRENCY = 10;

export async function bulkRemove(ctx: ApiContext, caller: Caller, ids: readonly string[]): Promise<BulkDeleteResponse> {
  const results: BulkDeleteResponse["results"] = ids.map((id) => ({ id, status: 500 }));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      const id = ids[i]!;
      try {
        await remove(ctx, caller, id);
        results[i] = { id, status: 200 };
      } catch (e) {
        if (!(e instanceof ApiProblem)) throw e;
        results[i] = { id, status: e.status, code: e.code, detail: e.detail };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, ids.length) }, worker));
  return { results };
}
