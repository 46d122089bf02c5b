/**
 * The OpenAPI 3.1 document of the REST API, generated from the zod schemas (model/api/schemas.ts)
 * and the operation table (model/api/operations.ts) into templates/openapi.json by `npm run schema`
 * (a test fails when the committed file is stale). The Lambda validates request bodies against its
 * request components, so the document and the checks cannot disagree. It bundles them as
 * templates/api-requests.schema.json (requestSchemasText), not the whole document: the paths,
 * responses and prose are 35 KB the handler never reads (issue #17: own code ≤ 50 KB).
 */
import { z } from "zod";
import { API_SCHEMAS, type ApiSchemaName } from "./schemas";
import { OPERATIONS, API_SCOPES, oauthScope, type Operation, type OperationId } from "./operations";
import { API_LIMITS } from "./limits";
import { MESSAGE_STATES } from "./index-model";
import { IDEMPOTENCY_KEY_PATTERN, MESSAGE_ID_PATTERN, UPLOAD_ID_PATTERN } from "./ids";

type Json = Record<string, unknown>;
const ref = (name: ApiSchemaName) => ({ $ref: `#/components/schemas/${name}` });

function componentSchema(name: ApiSchemaName): Json {
  const request = name.endsWith("Request");
  // Requests are validated as clients send them (defaults not applied yet), responses as we send them.
  const s = z.toJSONSchema(API_SCHEMAS[name], { io: request ? "input" : "output", unrepresentable: "any" }) as Json;
  delete s.$schema;
  return s;
}

const PROBLEM_STATUSES: Record<number, string> = {
  400: "malformed request (problem+json says which field and why)",
  401: "not authenticated",
  403: "the caller lacks the operation's scope or the message's station",
  404: "no such message (or not visible to the caller)",
  409: "the message is not in a state that allows the operation; POST /v1/transactions: the partner has no transaction pipeline; POST /v1/messages: a call with the same Idempotency-Key is still running",
  413: "request body over the documented limit",
  415: "the body's content-type is not one the operation takes",
  422: "unknown station or partner, or a partner of another station; POST /v1/messages: the Idempotency-Key was used for another body",
  429: "throttled: retry after a pause",
};

const problemResponses = (statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: PROBLEM_STATUSES[s], content: { "application/problem+json": { schema: ref("Problem") } } },
    ]),
  );

const idParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: MESSAGE_ID_PATTERN },
  example: "o-3f9a0c1b2d4e5f60718293a4",
};

const uploadIdParam = {
  name: "uploadId",
  in: "path",
  required: true,
  schema: { type: "string", pattern: UPLOAD_ID_PATTERN },
  example: "u-0f1e2d3c4b5a69788796a5b4c3d2e1f0",
};

const listParams = [
  { name: "station", in: "query", schema: { type: "string" }, description: "our station's AS2 ID" },
  { name: "partner", in: "query", schema: { type: "string" }, description: "the partner's AS2 ID" },
  { name: "state", in: "query", schema: { type: "string", enum: [...MESSAGE_STATES] } },
  {
    name: "from",
    in: "query",
    schema: { type: "string", format: "date-time" },
    description: "created at or after (ISO-8601)",
  },
  {
    name: "to",
    in: "query",
    schema: { type: "string", format: "date-time" },
    description: "created at or before (ISO-8601)",
  },
  {
    name: "unread",
    in: "query",
    schema: { type: "string", enum: ["true", "false"] },
    description: "inbox: only messages not marked read",
  },
  {
    name: "limit",
    in: "query",
    schema: { type: "integer", minimum: 1, maximum: API_LIMITS.pageSize.max, default: API_LIMITS.pageSize.default },
  },
  { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page" },
];

const replayedHeader = {
  description: "true when the answer is the stored one of an earlier call with the same Idempotency-Key",
  schema: { type: "string", enum: ["true"] },
};

const idempotencyKeyParam = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", pattern: IDEMPOTENCY_KEY_PATTERN },
  description: `makes a retried send safe: the first call with a key sends, a repeat with the same key and body within ${API_LIMITS.idempotencyHours} h answers the first call's response (header Idempotent-Replayed: true) and sends nothing; the same key with another body is refused (422 IDEMPOTENCY_KEY_REUSED); while the first call runs, a repeat gets 409 IDEMPOTENCY_KEY_IN_PROGRESS. Scoped to the caller and station. A new UUID per send is a good key`,
  example: "7d2b4c1e-3f60-4a8e-9b1d-2c5e8f0a6b34",
};

/** Where a form-encoded POST /v1/transactions (AWS's sample shape has no station or partner) names them. */
const transactionParams = [
  {
    name: "station",
    in: "query",
    schema: { type: "string" },
    description: "our station's AS2 ID, when the body does not name it",
  },
  {
    name: "partner",
    in: "query",
    schema: { type: "string" },
    description: "the partner's AS2 ID, when the body does not name it",
  },
];

const json = (name: ApiSchemaName) => ({ "application/json": { schema: ref(name) } });

function operationBody(o: Operation): Json {
  const success: Record<OperationId, [number, string, ApiSchemaName]> = {
    sendMessage: [202, "accepted: each file is queued, or waits for its upload", "SendMessageResponse"],
    commitMessage: [202, "the uploaded file is queued", "Message"],
    resendMessage: [202, "the new message, queued", "Message"],
    listInbox: [200, "a page of received messages", "MessageList"],
    listOutbox: [200, "a page of outbound messages", "MessageList"],
    getMessage: [200, "the message", "Message"],
    patchMessage: [200, "the message", "Message"],
    getMessageFiles: [200, "download URLs", "FileLinks"],
    getMessageMdn: [200, "download URL", "MdnLink"],
    deleteMessage: [200, "the message, marked deleted", "Message"],
    bulkDelete: [200, "one result per id", "BulkDeleteResponse"],
    postTransaction: [202, "accepted: one message on the partner's transaction queue", "TransactionAccepted"],
  };
  const [status, description, schema] = success[o.id];
  const requestBody: Partial<Record<OperationId, ApiSchemaName>> = {
    sendMessage: "SendMessageRequest",
    patchMessage: "PatchMessageRequest",
    bulkDelete: "BulkDeleteRequest",
    postTransaction: "PostTransactionRequest",
  };
  const body = requestBody[o.id];
  const withId = o.path.includes("{id}") || o.path.includes("{uploadId}");
  const errors = [400, 401, 403, 429, ...(withId ? [404, 409] : []), ...(body ? [413, 415] : [])];
  if (o.id === "sendMessage") errors.push(409, 422);
  if (o.id === "postTransaction") errors.push(409, 422);
  return {
    operationId: o.id,
    summary: o.summary,
    tags: [o.id.startsWith("list") ? "lists" : o.id === "postTransaction" ? "transactions" : "messages"],
    security: [{ sigv4: [] }, { oauth2: [oauthScope(o.scope)] }],
    "x-required-scope": o.scope,
    ...(withId
      ? { parameters: [o.path.includes("{uploadId}") ? uploadIdParam : idParam] }
      : o.id.startsWith("list")
        ? { parameters: listParams }
        : o.id === "postTransaction"
          ? { parameters: transactionParams }
          : o.id === "sendMessage"
            ? { parameters: [idempotencyKeyParam] }
            : {}),
    ...(body
      ? {
          requestBody: {
            required: true,
            content:
              o.id === "postTransaction"
                ? { ...json(body), "application/x-www-form-urlencoded": { schema: ref(body) } }
                : json(body),
          },
        }
      : {}),
    responses: {
      [String(status)]: {
        description,
        ...(o.id === "sendMessage" ? { headers: { "Idempotent-Replayed": replayedHeader } } : {}),
        content: json(schema),
      },
      ...problemResponses(errors.sort()),
    },
  };
}

export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const o of OPERATIONS) (paths[o.path] ??= {})[o.method.toLowerCase()] = operationBody(o);
  return {
    openapi: "3.1.0",
    info: {
      title: "as2-transfer-gateway REST API",
      version: "1.0.0",
      description:
        "Send files over AS2, list and download received and sent messages with their MDNs, resend failed sends. Errors are application/problem+json (RFC 9457) with a machine-readable code. See README.md, section REST API.",
    },
    servers: [
      {
        url: "https://{apiId}.execute-api.{region}.amazonaws.com",
        variables: { apiId: { default: "api" }, region: { default: "eu-west-1" } },
      },
    ],
    paths,
    components: {
      schemas: Object.fromEntries((Object.keys(API_SCHEMAS) as ApiSchemaName[]).map((n) => [n, componentSchema(n)])),
      securitySchemes: {
        sigv4: {
          type: "apiKey",
          name: "Authorization",
          in: "header",
          description: "AWS Signature Version 4 (IAM), service execute-api",
          "x-amazon-apigateway-authtype": "awsSigv4",
        },
        oauth2: {
          type: "oauth2",
          description: "Cognito OAuth 2.0 client credentials (when the customer enables api.auth = cognito)",
          flows: {
            clientCredentials: {
              tokenUrl: "https://{domain}.auth.{region}.amazoncognito.com/oauth2/token",
              scopes: Object.fromEntries(API_SCOPES.map((s) => [oauthScope(s), `${s} messages`])),
            },
          },
        },
      },
    },
  };
}

export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

/** Keywords that only document: the validator skips them, so the bundled copy leaves them out. */
const PROSE = new Set(["description", "examples", "default", "format"]);

function withoutProse(schema: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (PROSE.has(k)) continue;
    // Under `properties` the keys are field names (a field may be called `description`).
    if (k === "properties")
      out[k] = Object.fromEntries(Object.entries(v as Record<string, Json>).map(([f, s]) => [f, withoutProse(s)]));
    else if (k === "items") out[k] = withoutProse(v as Json);
    else out[k] = v;
  }
  return out;
}

/** The request components of the document, as the Lambda validates with them (generated, stale-checked). */
export function requestSchemas(document: Json = openApiDocument()): Record<string, Json> {
  const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
  return Object.fromEntries(
    Object.entries(schemas)
      .filter(([name]) => name.endsWith("Request"))
      .map(([name, schema]) => [name, withoutProse(schema)]),
  );
}

export function requestSchemasText(): string {
  return `${JSON.stringify(requestSchemas(), null, 2)}\n`;
}
