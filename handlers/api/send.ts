/**
 * Sending through the API: inline files go straight into the partner's send folder; large files
 * are uploaded by presigned URL into a private upload folder and moved there by the commit call;
 * a failed message is resent as a new message. The index gets a `queued` record at once, under the
 * id the send pipeline derives from the same object version, so its later transitions land on it.
 */
import { randomBytes } from "node:crypto";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import {
  apiUploadCommitKey,
  apiUploadFileKey,
  apiUploadManifestKey,
  longestRoutedKeyBytes,
  MAX_KEY_BYTES,
  segmentProblem,
  type Route,
} from "../../model/layout";
import { API_LIMITS } from "../../model/api/limits";
import { outboundMessageId, UPLOAD_ID_PATTERN } from "../../model/api/ids";
import { visibleState } from "../../model/api/index-model";
import type { ApiMessage, SendMessageRequest, SendMessageResponse } from "../../model/api/schemas";
import { getJson, headObject, putJson } from "../shared/s3-object";
import { ApiProblem } from "./http";
import { canSeeStation, type Caller } from "./auth";
import type { ApiContext } from "./context";
import { linkResend, writeTransition } from "./index-writer";
import { getIndexItem } from "./index-reader";
import { toApiMessage, visibleItem } from "./messages";
import { API_UPLOAD_META, announceSettled, placeInSendFolder, RESEND_OF_META, type Placed } from "./send-folder";
import { uploadUrl } from "./presign";
import type { SendProgress } from "./idempotency";

interface UploadManifest {
  readonly uploadId: string;
  readonly station: string;
  readonly partner: string;
  readonly test: boolean;
  readonly fileName: string;
  readonly size: number;
  readonly createdAt: string;
  readonly caller: string;
}

/** The partner's route, or a 422/403 that names what to use instead. */
export function routeFor(ctx: ApiContext, caller: Caller, station: string, partner: string): Route {
  if (!ctx.routing.station(station)) {
    const known = ctx.routing.doc.stations.map((s) => s.station).filter((s) => canSeeStation(caller, s));
    throw new ApiProblem(
      422,
      "UNKNOWN_STATION",
      `station '${station}' is not declared; use one of: ${known.map((s) => `'${s}'`).join(", ")}`,
    );
  }
  if (!canSeeStation(caller, station))
    throw new ApiProblem(403, "STATION_NOT_ALLOWED", `${caller.name} may not send for station ${station}`);
  const p = ctx.routing.partner(station, partner);
  if (!p) {
    const known = ctx.routing.doc.partners.filter((x) => x.station === station).map((x) => `'${x.partner}'`);
    throw new ApiProblem(
      422,
      "UNKNOWN_PARTNER",
      `partner '${partner}' is not a partner of station '${station}'; use one of: ${known.join(", ") || "(none declared)"}`,
    );
  }
  if (!p.enabled)
    throw new ApiProblem(
      422,
      "PARTNER_DISABLED",
      `partner '${partner}' is disabled in the customer file (enabled: false); enable it and redeploy to send`,
    );
  return { station, partner, test: p.test };
}

function checkFile(ctx: ApiContext, route: Route, fileName: string, size: number, at: string): void {
  const bad = segmentProblem(fileName, "file name");
  if (bad) throw new ApiProblem(400, "BAD_FILE_NAME", `${at}: ${bad}`);
  if (longestRoutedKeyBytes(ctx.routing.doc.layout, route, fileName) > MAX_KEY_BYTES)
    throw new ApiProblem(
      400,
      "FILE_NAME_TOO_LONG",
      `${at}: '${fileName}' is too long for the keys its message needs (S3 keys are at most ${MAX_KEY_BYTES} bytes); shorten it`,
    );
  if (size === 0 && ctx.routing.doc.send.emptyFile === "fail")
    throw new ApiProblem(
      422,
      "EMPTY_FILE",
      `${at}: the file is empty and this gateway does not send empty files (send.emptyFile: fail)`,
    );
  if (size > ctx.routing.doc.send.maxFileBytes)
    throw new ApiProblem(
      413,
      "FILE_TOO_LARGE",
      `${at}: ${size} bytes is over the ${ctx.routing.doc.send.maxFileBytes} bytes a message may carry`,
    );
}

async function queued(
  ctx: ApiContext,
  route: Route,
  fileName: string,
  placed: Placed,
  resendOf?: string,
): Promise<string> {
  const id = outboundMessageId(ctx.bucket, placed.key, placed.identity);
  await writeTransition(
    {
      id,
      direction: "outbound",
      ...route,
      state: "queued",
      at: ctx.now().toISOString(),
      files: [{ fileName, size: placed.size, key: placed.key }],
      uploadKey: placed.key,
      ...(resendOf ? { resendOf } : {}),
    },
    { client: ctx.ddb, table: ctx.table },
    ctx.now(),
  );
  await announceSettled(ctx.bucket, placed);
  return id;
}

/** With `progress` (an Idempotency-Key), files an earlier call queued are not sent again. */
export async function send(
  ctx: ApiContext,
  caller: Caller,
  req: SendMessageRequest,
  progress?: SendProgress,
): Promise<SendMessageResponse> {
  const route = routeFor(ctx, caller, req.station, req.partner);
  const decoded = req.files.map((f, i) => {
    const at = `files[${i}]`;
    if ((f.contentBase64 === undefined) === (f.size === undefined))
      throw new ApiProblem(
        400,
        "CONTENT_OR_SIZE",
        `${at}: give contentBase64 (up to ${API_LIMITS.inlineBytes} bytes) or size (to upload by URL), not both and not neither`,
      );
    const body = f.contentBase64 !== undefined ? Buffer.from(f.contentBase64, "base64") : undefined;
    if (body && body.length > API_LIMITS.inlineBytes)
      throw new ApiProblem(
        413,
        "INLINE_TOO_LARGE",
        `${at}: ${body.length} bytes is over the inline limit of ${API_LIMITS.inlineBytes}; give size instead and upload to the returned URL`,
      );
    checkFile(ctx, route, f.fileName, body?.length ?? f.size!, at);
    return { fileName: f.fileName, body, size: body?.length ?? f.size! };
  });
  // Everything is checked before anything is written: a refused request sends nothing.
  const messages: SendMessageResponse["messages"] = [];
  for (const [i, f] of decoded.entries()) {
    const earlier = progress?.done[i];
    if (earlier) {
      messages.push(earlier);
      continue;
    }
    let m: SendMessageResponse["messages"][number];
    if (f.body) {
      const owner = progress?.owner(i);
      const placed = await placeInSendFolder(
        ctx.s3,
        ctx.bucket,
        route,
        f.fileName,
        { body: f.body },
        { [API_UPLOAD_META]: owner ?? "inline" },
        owner ? { meta: API_UPLOAD_META, value: owner } : undefined,
      );
      m = { fileName: f.fileName, state: "queued", id: await queued(ctx, route, f.fileName, placed) };
    } else m = await awaitUpload(ctx, caller, route, f.fileName, f.size);
    messages.push(m);
    await progress?.record(i, m);
  }
  return { messages };
}

/** A file to be uploaded by URL: its manifest, and the URL to PUT it to. */
async function awaitUpload(
  ctx: ApiContext,
  caller: Caller,
  route: Route,
  fileName: string,
  size: number,
): Promise<SendMessageResponse["messages"][number]> {
  const uploadId = `u-${randomBytes(16).toString("hex")}`;
  const manifest: UploadManifest = {
    uploadId,
    ...route,
    fileName,
    size,
    createdAt: ctx.now().toISOString(),
    caller: caller.name,
  };
  await putJson(ctx.s3, ctx.bucket, apiUploadManifestKey(uploadId), manifest, { once: true });
  const url = await uploadUrl(ctx.s3, ctx.bucket, apiUploadFileKey(uploadId), ctx.now());
  return {
    fileName,
    state: "awaiting-upload",
    uploadId,
    upload: { url: url.url, method: "PUT", headers: {}, expiresAt: url.expiresAt },
  };
}

/**
 * Moves an uploaded file into the send folder. Repeatable: the commit marker (or, when a commit
 * stopped before writing it, the copy's own metadata) answers a repeated call with the same message.
 */
export async function commit(ctx: ApiContext, caller: Caller, uploadId: string): Promise<ApiMessage> {
  const unknown = new ApiProblem(
    404,
    "UNKNOWN_UPLOAD",
    `no upload ${uploadId}; upload ids come from POST /v1/messages`,
  );
  if (!new RegExp(UPLOAD_ID_PATTERN).test(uploadId)) throw unknown;
  const manifest = (await getJson(ctx.s3, ctx.bucket, apiUploadManifestKey(uploadId))) as UploadManifest | undefined;
  if (!manifest || !canSeeStation(caller, manifest.station)) throw unknown;
  const done = (await getJson(ctx.s3, ctx.bucket, apiUploadCommitKey(uploadId))) as { id?: string } | undefined;
  if (done?.id) return toApiMessage((await getIndexItem(done.id, ctx.ddb, ctx.table))!);
  const staged = await headObject(ctx.s3, ctx.bucket, apiUploadFileKey(uploadId));
  if (!staged)
    throw new ApiProblem(
      409,
      "NOT_UPLOADED",
      `nothing was uploaded for ${uploadId}: PUT the file to the URL POST /v1/messages returned (valid ${API_LIMITS.urlSeconds} s), then commit; after that, start again`,
    );
  if (staged.size !== manifest.size)
    throw new ApiProblem(
      409,
      "SIZE_MISMATCH",
      `the upload has ${staged.size} bytes, the send said ${manifest.size}: upload the file again to the same URL, or start again with the right size`,
    );
  const route: Route = { station: manifest.station, partner: manifest.partner, test: manifest.test };
  const placed = await placeInSendFolder(
    ctx.s3,
    ctx.bucket,
    route,
    manifest.fileName,
    { copyFrom: staged.key },
    { [API_UPLOAD_META]: uploadId },
    { meta: API_UPLOAD_META, value: uploadId },
  );
  const id = await queued(ctx, route, manifest.fileName, { ...placed, size: staged.size });
  await putJson(ctx.s3, ctx.bucket, apiUploadCommitKey(uploadId), { id, key: placed.key }, { once: true });
  // The copy is in the send folder and recorded: only now does the staged upload go.
  await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: staged.key }));
  return toApiMessage((await getIndexItem(id, ctx.ddb, ctx.table))!);
}

/** A failed outbound message sent again as a new message linked to it (its files stay in failed/). */
export async function resend(ctx: ApiContext, caller: Caller, id: string): Promise<ApiMessage> {
  const item = await visibleItem(ctx, caller, id);
  if (item.resentAs) return toApiMessage(await visibleItem(ctx, caller, item.resentAs));
  if (item.direction !== "outbound" || item.state !== "failed" || item.deletedAt)
    throw new ApiProblem(
      409,
      "NOT_FAILED",
      `${id} is ${item.direction} and ${visibleState(item)}: only a failed outbound message that is not deleted can be resent`,
    );
  const file = item.files?.[0];
  if (!file?.key)
    throw new ApiProblem(
      409,
      "NO_PAYLOAD",
      `${id} has no stored payload to resend; upload the file again with POST /v1/messages`,
    );
  const route = routeFor(ctx, caller, item.station, item.partner);
  const placed = await placeInSendFolder(
    ctx.s3,
    ctx.bucket,
    route,
    file.fileName,
    { copyFrom: file.key },
    {
      [RESEND_OF_META]: encodeURIComponent(file.key),
      [API_UPLOAD_META]: `resend-${id}`,
    },
    { meta: API_UPLOAD_META, value: `resend-${id}` },
  );
  const newId = await queued(ctx, route, file.fileName, { ...placed, size: file.size ?? placed.size }, id);
  await linkResend(id, newId, { client: ctx.ddb, table: ctx.table });
  return toApiMessage((await getIndexItem(newId, ctx.ddb, ctx.table))!);
}
