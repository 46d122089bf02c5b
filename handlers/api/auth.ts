/**
 * Who is calling and what they may do. API Gateway has already authenticated the request (SigV4
 * for IAM, a Cognito access token for OAuth): the Lambda only reads the authorizer context it was
 * given and applies the customer's declared clients (scopes and stations, API_CLIENTS).
 *
 * - JWT (Cognito client credentials): scopes are the token's `as2-gateway/<scope>` scopes; the
 *   client's stations come from its declaration, by `client_id`.
 * - IAM: with no declared clients every IAM principal that API Gateway let through has every
 *   scope (IAM policies on execute-api:Invoke decide, per route); with declared clients a
 *   principal must be one of them.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { API_SCOPES, OAUTH_RESOURCE_SERVER, type ApiScope } from "../../model/api/operations";
import { ApiProblem } from "./http";

export interface ApiClient {
  readonly name: string;
  /** IAM: a role ARN (matches its sessions) or a user ARN. */
  readonly principal?: string;
  /** Cognito: the app client id. */
  readonly clientId?: string;
  readonly scopes: readonly ApiScope[];
  /** Stations the client may see and send for; absent: all. */
  readonly stations?: readonly string[];
}

export interface Caller {
  readonly name: string;
  readonly scopes: ReadonlySet<ApiScope>;
  readonly stations?: ReadonlySet<string>;
}

interface AuthorizerContext {
  readonly iam?: { readonly userArn?: string };
  readonly jwt?: { readonly claims?: Record<string, unknown>; readonly scopes?: readonly string[] | null };
}

/** `arn:aws:sts::<acct>:assumed-role/<role>/<session>` is a session of `arn:aws:iam::<acct>:role/<role>`. */
function sameIamPrincipal(declared: string, caller: string): boolean {
  if (declared === caller) return true;
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(caller);
  if (!session) return false;
  const [, partition, account, role] = session;
  return new RegExp(
    `^arn:${partition}:iam::${account}:role/(?:.*/)?${role!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
  ).test(declared);
}

function fromClient(c: ApiClient, scopes?: ReadonlySet<ApiScope>): Caller {
  return {
    name: c.name,
    scopes: scopes ?? new Set(c.scopes),
    ...(c.stations ? { stations: new Set(c.stations) } : {}),
  };
}

export function callerOf(event: APIGatewayProxyEventV2, clients: readonly ApiClient[]): Caller {
  const auth = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  if (auth?.jwt) {
    const claims = auth.jwt.claims ?? {};
    const raw = auth.jwt.scopes ?? (typeof claims.scope === "string" ? claims.scope.split(" ") : []);
    const granted = new Set(
      API_SCOPES.filter((s) => raw.includes(`${OAUTH_RESOURCE_SERVER}/${s}`)),
    ) as ReadonlySet<ApiScope>;
    const clientId = typeof claims.client_id === "string" ? claims.client_id : undefined;
    const declared = clients.find((c) => c.clientId !== undefined && c.clientId === clientId);
    if (!declared)
      throw new ApiProblem(
        403,
        "UNKNOWN_CLIENT",
        `app client ${clientId ?? "(none)"} is not a declared API client of this gateway`,
      );
    // The token's scopes, narrowed to what the declaration allows.
    return fromClient(declared, new Set([...granted].filter((s) => declared.scopes.includes(s))));
  }
  const arn = auth?.iam?.userArn;
  if (arn) {
    if (clients.every((c) => c.principal === undefined)) return { name: arn, scopes: new Set(API_SCOPES) };
    const declared = clients.find((c) => c.principal !== undefined && sameIamPrincipal(c.principal, arn));
    if (!declared)
      throw new ApiProblem(
        403,
        "UNKNOWN_CLIENT",
        `${arn} is not a declared API client of this gateway (customer file: api.clients)`,
      );
    return fromClient(declared);
  }
  throw new ApiProblem(401, "NOT_AUTHENTICATED", "sign the request with SigV4 (IAM) or send a Cognito access token");
}

export function requireScope(caller: Caller, scope: ApiScope): void {
  if (!caller.scopes.has(scope))
    throw new ApiProblem(
      403,
      "MISSING_SCOPE",
      `this operation needs the '${scope}' scope; ${caller.name} has ${[...caller.scopes].join(", ") || "none"}`,
    );
}

export function canSeeStation(caller: Caller, station: string): boolean {
  return caller.stations === undefined || caller.stations.has(station);
}

/**
 * API_CLIENTS as the stack writes it (stacks/api/rest-api.ts) from the validated customer file, or
 * the sandbox from its test keys: trusted in shape, so only its form is checked.
 */
export function parseClients(text: string | undefined): ApiClient[] {
  const parsed = JSON.parse(text || "[]") as ApiClient[];
  if (!Array.isArray(parsed) || parsed.some((c) => typeof c?.name !== "string" || !Array.isArray(c.scopes)))
    throw new Error("API_CLIENTS must be a JSON array of clients, each with a name and scopes");
  return parsed;
}
