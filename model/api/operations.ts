/**
 * The REST API's operations: one table read by the OpenAPI generator (model/api/openapi.ts), the
 * stack (one API Gateway route per route key, each with its own throttling) and the Lambda (which
 * scope an operation needs, OPERATION_SCOPES). Free of zod and of the SDK.
 */
export const API_SCOPES = ["read", "send", "delete"] as const;
export type ApiScope = (typeof API_SCOPES)[number];
/** Cognito resource server identifier; OAuth scopes are `<identifier>/<scope>`. */
export const OAUTH_RESOURCE_SERVER = "as2-gateway";
export const oauthScope = (s: ApiScope) => `${OAUTH_RESOURCE_SERVER}/${s}`;

export type OperationId =
  | "sendMessage"
  | "commitMessage"
  | "listInbox"
  | "listOutbox"
  | "getMessage"
  | "patchMessage"
  | "getMessageFiles"
  | "getMessageMdn"
  | "deleteMessage"
  | "bulkDelete"
  | "resendMessage"
  | "postTransaction";

/**
 * The scope each operation needs. Apart from OPERATIONS because the Lambda reads only this: the
 * table's summaries and throttles then stay out of its bundle (issue #17).
 */
export const OPERATION_SCOPES: Readonly<Record<OperationId, ApiScope>> = {
  sendMessage: "send",
  commitMessage: "send",
  resendMessage: "send",
  listInbox: "read",
  listOutbox: "read",
  getMessage: "read",
  patchMessage: "read",
  getMessageFiles: "read",
  getMessageMdn: "read",
  deleteMessage: "delete",
  bulkDelete: "delete",
  postTransaction: "send",
};

export interface Operation {
  readonly id: OperationId;
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path in the OpenAPI document. */
  readonly path: string;
  /**
   * API Gateway route key. HTTP API path variables are whole segments, so `{id}:resend` is the route
   * `/v1/messages/{action}` (and `{uploadId}:commit` `/v1/uploads/{action}`); the Lambda reads the verb after ':'.
   */
  readonly routeKey: string;
  readonly summary: string;
  /** Steady requests per second and burst of the route (API Gateway stage route settings). */
  readonly throttle: { readonly rate: number; readonly burst: number };
}

const READ = { rate: 50, burst: 100 };
const WRITE = { rate: 20, burst: 40 };

export const OPERATIONS: readonly Operation[] = [
  {
    id: "sendMessage",
    method: "POST",
    path: "/v1/messages",
    routeKey: "POST /v1/messages",
    summary: "Send one or more files to a partner (each file is one AS2 message)",
    throttle: WRITE,
  },
  {
    id: "commitMessage",
    method: "POST",
    path: "/v1/uploads/{uploadId}:commit",
    routeKey: "POST /v1/uploads/{action}",
    summary: "Send a file uploaded to the URL that POST /v1/messages returned",
    throttle: WRITE,
  },
  {
    id: "resendMessage",
    method: "POST",
    path: "/v1/messages/{id}:resend",
    routeKey: "POST /v1/messages/{action}",
    summary: "Send a failed outbound message again, as a new message linked to it",
    throttle: WRITE,
  },
  {
    id: "listInbox",
    method: "GET",
    path: "/v1/inbox",
    routeKey: "GET /v1/inbox",
    summary: "Received messages, newest first",
    throttle: READ,
  },
  {
    id: "listOutbox",
    method: "GET",
    path: "/v1/outbox",
    routeKey: "GET /v1/outbox",
    summary: "Sent, queued and failed messages, newest first",
    throttle: READ,
  },
  {
    id: "getMessage",
    method: "GET",
    path: "/v1/messages/{id}",
    routeKey: "GET /v1/messages/{id}",
    summary: "One message",
    throttle: READ,
  },
  {
    id: "patchMessage",
    method: "PATCH",
    path: "/v1/messages/{id}",
    routeKey: "PATCH /v1/messages/{id}",
    summary: "Mark a received message read or unread",
    throttle: WRITE,
  },
  {
    id: "getMessageFiles",
    method: "GET",
    path: "/v1/messages/{id}/files",
    routeKey: "GET /v1/messages/{id}/files",
    summary: "Download URLs of the message's files",
    throttle: READ,
  },
  {
    id: "getMessageMdn",
    method: "GET",
    path: "/v1/messages/{id}/mdn",
    routeKey: "GET /v1/messages/{id}/mdn",
    summary: "Download URL of the message's MDN (receipt)",
    throttle: READ,
  },
  {
    id: "deleteMessage",
    method: "DELETE",
    path: "/v1/messages/{id}",
    routeKey: "DELETE /v1/messages/{id}",
    summary: "Delete a finished message's files (the bucket keeps noncurrent versions) and mark it deleted",
    throttle: WRITE,
  },
  {
    id: "bulkDelete",
    method: "POST",
    path: "/v1/messages:bulkDelete",
    routeKey: "POST /v1/messages:bulkDelete",
    summary: "Delete up to 100 messages, with a result per id",
    throttle: WRITE,
  },
  {
    id: "postTransaction",
    method: "POST",
    path: "/v1/transactions",
    routeKey: "POST /v1/transactions",
    summary: "Submit one transaction to a partner's transaction pipeline (real time, exactly once per transactionId)",
    throttle: WRITE,
  },
];

/** Distinct route keys with the throttling of their strictest operation. */
export function apiRoutes(): { routeKey: string; throttle: Operation["throttle"] }[] {
  const byKey = new Map<string, Operation["throttle"]>();
  for (const o of OPERATIONS) {
    const t = byKey.get(o.routeKey);
    byKey.set(o.routeKey, t && t.rate <= o.throttle.rate ? t : o.throttle);
  }
  return [...byKey].map(([routeKey, throttle]) => ({ routeKey, throttle }));
}
