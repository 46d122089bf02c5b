/**
 * The REST API's Lambda (API Gateway HTTP API, payload format 2.0): one function for every route
 * under /v1 (model/api/operations.ts). It routes on method and path itself, so the sandbox's HTTP
 * front and API Gateway drive it alike. Errors are RFC 9457 problem details.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import requestSchemas from "../../templates/api-requests.schema.json";
import { API_LIMITS } from "../../model/api/limits";
import type { OperationId } from "../../model/api/operations";
import { OPERATION_ROUTES } from "../../model/api/operations";
import type { PostTransactionRequest, SendMessageRequest } from "../../model/api/schemas";
import { logger } from "../shared/logger";
import { ApiProblem, json, problem } from "./http";
import { callerOf, requireScope, type Caller } from "./auth";
import { apiContext, type ApiContext } from "./context";
import { validate, type JsonSchema } from "./validate";
import { bulkRemove, files, list, mdn, patch, remove, toApiMessage, visibleItem } from "./messages";
import { commit, resend, send } from "./send";
import { postTransaction } from "./transactions";
import { idempotencyKeyOf, idempotentSend } from "./idempotency";

/** The request components of templates/openapi.json, without their prose (model/api/openapi.ts). */
const SCHEMAS = requestSchemas as unknown as Record<string, JsonSchema>;

interface Matched {
  readonly op: OperationId;
  readonly id?: string;
}

/** Each operation's path as a pattern. No two operations of one method match the same path. */
const ROUTES = Object.entries(OPERATION_ROUTES).map(([op, [method, path]]) => ({
  op: op as OperationId,
  method,
  pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, "([^/]+)")}$`),
}));

/** Method and path → operation (and its id); undefined for no route at all. */
export function matchRoute(method: string, path: string): Matched | { readonly allowed: string[] } | undefined {
  const p = path.replace(/\/+$/, "");
  const candidates = ROUTES.map((r) => ({ ...r, m: r.pattern.exec(p) })).filter((r) => r.m);
  if (!candidates.length) return undefined;
  const hit = candidates.find((c) => c.method === method);
  if (!hit) return { allowed: candidates.map((c) => c.method) };
  const raw = hit.m![1];
  return { op: hit.op, id: raw && decodeURIComponent(raw) };
}

const FORM = "application/x-www-form-urlencoded";

/** A form body as an object of its fields; a field given twice is ambiguous, so refused. */
function formFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (k in fields) throw new ApiProblem(400, "DUPLICATE_FIELD", `the form gives '${k}' more than once; give it once`);
    fields[k] = v;
  }
  return fields;
}

function bodyOf(
  event: APIGatewayProxyEventV2,
  schema: string,
  types: readonly string[] = ["application/json"],
): unknown {
  const raw = event.body ?? "";
  const bytes = event.isBase64Encoded ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  if (bytes.length > API_LIMITS.bodyBytes)
    throw new ApiProblem(
      413,
      "BODY_TOO_LARGE",
      `the body has ${bytes.length} bytes, at most ${API_LIMITS.bodyBytes} are read; send large files by upload URL (give size instead of contentBase64)`,
    );
  const type = (event.headers?.["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (!types.includes(type))
    throw new ApiProblem(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `send the body as ${types.join(" or ")} (found ${type || "no content-type"})`,
    );
  let value: unknown;
  if (type === FORM) value = formFields(bytes.toString("utf8"));
  else
    try {
      value = JSON.parse(bytes.toString("utf8"));
    } catch (e) {
      throw new ApiProblem(400, "MALFORMED_JSON", `the body is not valid JSON: ${(e as Error).message}`);
    }
  const issues = validate(SCHEMAS[schema]!, value);
  if (issues.length)
    throw new ApiProblem(
      400,
      "INVALID_BODY",
      `the body does not match ${schema} (templates/openapi.json): ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      issues,
    );
  return value;
}

async function run(
  ctx: ApiContext,
  caller: Caller,
  event: APIGatewayProxyEventV2,
  r: Matched,
): Promise<APIGatewayProxyStructuredResultV2> {
  const query = (event.queryStringParameters ?? {}) as Record<string, string | undefined>;
  const id = r.id ?? "";
  switch (r.op) {
    case "sendMessage": {
      const req = bodyOf(event, "SendMessageRequest") as SendMessageRequest;
      const key = idempotencyKeyOf(event);
      if (key === undefined) return json(202, await send(ctx, caller, req));
      const r = await idempotentSend(ctx, caller, req, key, (progress) => send(ctx, caller, req, progress));
      return json(202, r.response, r.replayed ? { "idempotent-replayed": "true" } : {});
    }
    case "commitMessage":
      return json(202, await commit(ctx, caller, id));
    case "resendMessage":
      return json(202, await resend(ctx, caller, id));
    case "listInbox":
      return json(200, await list(ctx, caller, "inbound", query));
    case "listOutbox":
      return json(200, await list(ctx, caller, "outbound", query));
    case "getMessage":
      return json(200, toApiMessage(await visibleItem(ctx, caller, id)));
    case "patchMessage":
      return json(200, await patch(ctx, caller, id, (bodyOf(event, "PatchMessageRequest") as { read: boolean }).read));
    case "getMessageFiles":
      return json(200, await files(ctx, caller, id));
    case "getMessageMdn":
      return json(200, await mdn(ctx, caller, id));
    case "deleteMessage":
      return json(200, await remove(ctx, caller, id));
    case "postTransaction":
      return json(
        202,
        await postTransaction(
          ctx,
          caller,
          bodyOf(event, "PostTransactionRequest", ["application/json", FORM]) as PostTransactionRequest,
          query,
        ),
      );
    case "bulkDelete":
      return json(200, await bulkRemove(ctx, caller, (bodyOf(event, "BulkDeleteRequest") as { ids: string[] }).ids));
  }
}

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const path = event.rawPath;
  try {
    const matched = matchRoute(event.requestContext.http.method, path);
    if (!matched)
      throw new ApiProblem(
        404,
        "NO_ROUTE",
        `no operation at ${path}; see templates/openapi.json for the routes under /v1`,
      );
    if ("allowed" in matched)
      throw new ApiProblem(
        405,
        "METHOD_NOT_ALLOWED",
        `${event.requestContext.http.method} ${path} is not an operation; use ${matched.allowed.join(" or ")}`,
      );
    const ctx = await apiContext();
    const caller = callerOf(event, ctx.clients);
    requireScope(caller, OPERATION_ROUTES[matched.op][2]);
    return await run(ctx, caller, event, matched);
  } catch (e) {
    if (e instanceof ApiProblem) return problem(e, path);
    logger.error("API operation failed", { path, error: (e as Error).message, stack: (e as Error).stack });
    return problem(
      new ApiProblem(
        500,
        "INTERNAL",
        `the gateway could not complete the request; retry, and report request id ${event.requestContext.requestId} if it persists`,
      ),
      path,
    );
  }
}
