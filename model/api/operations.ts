/**
 * The REST API's operations: one table read by the OpenAPI generator (model/api/openapi.ts), the
 * stack (one API Gateway route per route key, each with its own throttling) and the Lambda (routes
 * and scopes, OPERATION_ROUTES). Free of zod and of the SDK.
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

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * Method, path and scope of each operation. The Lambda routes with this table (and imports nothing
 * else from here, so the summaries and throttles stay out of its bundle, issue #17); the stack and
 * the OpenAPI document read it through OPERATIONS, so the three cannot disagree.
 *
 * Every path variable is a whole segment, the only form API Gateway's HTTP API routes document
 * ("Working with path variables": `/pets/{petID}`, and a greedy `{proxy+}` at the end; AWS API
 * Gateway developer guide, "Create routes for HTTP APIs"). So verbs are segments of their own
 * (`/v1/messages/{id}/resend`), not `{id}:resend`, which the guide does not describe.
 */
export const OPERATION_ROUTES: Readonly<Record<OperationId, readonly [HttpMethod, string, ApiScope]>> = {
  sendMessage: ["POST", "/v1/messages", "send"],
  commitMessage: ["POST", "/v1/uploads/{uploadId}/commit", "send"],
  resendMessage: ["POST", "/v1/messages/{id}/resend", "send"],
  listInbox: ["GET", "/v1/inbox", "read"],
  listOutbox: ["GET", "/v1/outbox", "read"],
  getMessage: ["GET", "/v1/messages/{id}", "read"],
  patchMessage: ["PATCH", "/v1/messages/{id}", "read"],
  getMessageFiles: ["GET", "/v1/messages/{id}/files", "read"],
  getMessageMdn: ["GET", "/v1/messages/{id}/mdn", "read"],
  deleteMessage: ["DELETE", "/v1/messages/{id}", "delete"],
  bulkDelete: ["POST", "/v1/messages/bulk-delete", "delete"],
  postTransaction: ["POST", "/v1/transactions", "send"],
};

export interface Operation {
  readonly id: OperationId;
  readonly method: HttpMethod;
  /** Path in the OpenAPI document. */
  readonly path: string;
  /** API Gateway route key: the method and the same path. */
  readonly routeKey: string;
  readonly scope: ApiScope;
  readonly summary: string;
  /** Steady requests per second and burst of the route (API Gateway stage route settings). */
  readonly throttle: { readonly rate: number; readonly burst: number };
}

const READ = { rate: 50, burst: 100 };
const WRITE = { rate: 20, burst: 40 };

const DOCUMENTED: readonly Pick<Operation, "id" | "summary" | "throttle">[] = [
  { id: "sendMessage", summary: "Send one or more files to a partner (each file is one AS2 message)", throttle: WRITE },
  { id: "commitMessage", summary: "Send a file uploaded to the URL that POST /v1/messages returned", throttle: WRITE },
  {
    id: "resendMessage",
    summary: "Send a failed outbound message again, as a new message linked to it",
    throttle: WRITE,
  },
  { id: "listInbox", summary: "Received messages, newest first", throttle: READ },
  { id: "listOutbox", summary: "Sent, queued and failed messages, newest first", throttle: READ },
  { id: "getMessage", summary: "One message", throttle: READ },
  { id: "patchMessage", summary: "Mark a received message read or unread", throttle: WRITE },
  { id: "getMessageFiles", summary: "Download URLs of the message's files", throttle: READ },
  { id: "getMessageMdn", summary: "Download URL of the message's MDN (receipt)", throttle: READ },
  {
    id: "deleteMessage",
    summary: "Delete a finished message's files (the bucket keeps noncurrent versions) and mark it deleted",
    throttle: WRITE,
  },
  { id: "bulkDelete", summary: "Delete up to 100 messages, with a result per id", throttle: WRITE },
  {
    id: "postTransaction",
    summary: "Submit one transaction to a partner's transaction pipeline (real time, exactly once per transactionId)",
    throttle: WRITE,
  },
];

// Pure: a bundle that imports only OPERATION_ROUTES drops the table and its prose.
export const OPERATIONS: readonly Operation[] = /* @__PURE__ */ DOCUMENTED.map((o) => {
  const [method, path, scope] = OPERATION_ROUTES[o.id];
  return { ...o, method, path, routeKey: `${method} ${path}`, scope };
});

/** Distinct route keys with the throttling of their strictest operation. */
export function apiRoutes(): { routeKey: string; throttle: Operation["throttle"] }[] {
  const byKey = new Map<string, Operation["throttle"]>();
  for (const o of OPERATIONS) {
    const t = byKey.get(o.routeKey);
    byKey.set(o.routeKey, t && t.rate <= o.throttle.rate ? t : o.throttle);
  }
  return [...byKey].map(([routeKey, throttle]) => ({ routeKey, throttle }));
}
