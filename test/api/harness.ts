/**
 * The API Lambda on real local servers: s3rver behind the wire proxy (If-None-Match enforced and
 * recorded), the index table on dynalite, a routing document with two stations. Calls are HTTP
 * API v2 events with the authorizer context API Gateway would pass; responses are checked against
 * templates/openapi.json with ajv.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import Ajv2020 from "ajv/dist/2020";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startLocalAws, type LocalAws } from "../helpers/local-servers";
import { startS3Wire, type S3Wire } from "../reliability/s3-wire";
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { validateCustomer } from "../../model/load";
import { buildRoutingDocument } from "../../model/routing";
import { inboundWorkPrefix, ROUTING_DOCUMENT_KEY } from "../../model/layout";
import { forgetRouting } from "../../handlers/shared/routing-loader";
import { resetClients } from "../../handlers/shared/clients";
import { logger } from "../../handlers/shared/logger";
import { handler } from "../../handlers/api/handler";
import { createIndexTable } from "./index-table";
import openapi from "../../templates/openapi.json";

export const BUCKET = "acme-api";
export const TABLE = "as2-acme-messages";

export type Auth =
  | { readonly kind: "none" }
  | { readonly kind: "iam"; readonly arn: string }
  | { readonly kind: "jwt"; readonly clientId: string; readonly scopes: readonly string[] };

export const FULL: Auth = {
  kind: "jwt",
  clientId: "all",
  scopes: ["as2-gateway/read", "as2-gateway/send", "as2-gateway/delete"],
};

export interface Call {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string;
  readonly query?: Record<string, string>;
  readonly auth?: Auth;
  /** More request headers, names in lower case as API Gateway passes them. */
  readonly headers?: Record<string, string>;
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

const ajv = new Ajv2020({ strict: false });
ajv.addSchema({ $id: "openapi", components: openapi.components });

/** The response schema the document gives for an operation and status (undefined: undocumented). */
function documented(method: string, path: string, status: number): { schema?: string; type: string } | undefined {
  // The document's path template that the concrete path fills in, for this method.
  const p = Object.keys(openapi.paths).find(
    (template) =>
      (openapi.paths as Record<string, Record<string, unknown>>)[template]![method.toLowerCase()] !== undefined &&
      new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path),
  );
  const op = (
    openapi.paths as Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>
    >
  )[p ?? ""]?.[method.toLowerCase()];
  const r = op?.responses[String(status)];
  if (!r?.content) return undefined;
  const [type, c] = Object.entries(r.content)[0]!;
  return { type, schema: c.schema.$ref.replace("#/components/schemas/", "") };
}

/** Throws unless the answer is one the OpenAPI document lists for the operation, with a valid body. */
export function conforms(method: string, path: string, status: number, contentType: string, body: unknown): void {
  const doc = documented(method, path, status);
  const schema = doc?.schema ?? (status >= 400 ? "Problem" : undefined);
  if (!schema) throw new Error(`${method} ${path} answered ${status}, which the OpenAPI document does not list`);
  const check = ajv.getSchema(`openapi#/components/schemas/${schema}`)!;
  if (!check(body))
    throw new Error(
      `${method} ${path} ${status}: body is not a valid ${schema}: ${ajv.errorsText(check.errors)}\n${JSON.stringify(body)}`,
    );
  if (status >= 400 && contentType !== "application/problem+json")
    throw new Error(`${method} ${path} ${status}: content-type ${contentType}, expected application/problem+json`);
}

export class ApiHarness {
  private constructor(
    readonly aws: LocalAws,
    readonly wire: S3Wire,
    readonly doc: DynamoDBClient,
  ) {}

  static async start(): Promise<ApiHarness> {
    const aws = await startLocalAws();
    await aws.createBucket(BUCKET);
    const doc = await createIndexTable(aws.ddb, TABLE);
    const cert = { signing: { pem: SAMPLE_CERT_PEM } };
    const customer = validateCustomer(
      customerInput({
        stations: [
          { as2Id: "ACME", signing: { generate: true } },
          { as2Id: "ACME-EU", signing: { generate: true } },
        ],
        partners: [
          { as2Id: "GLOBEX", station: "ACME", url: "https://g.example/as2", certificates: cert },
          { as2Id: "INITECH", station: "ACME", url: "https://i.example/as2", certificates: cert },
          { as2Id: "UMBRELLA", station: "ACME-EU", url: "https://u.example/as2", certificates: cert },
          { as2Id: "OFF", station: "ACME", url: "https://o.example/as2", enabled: false, certificates: cert },
        ],
      }),
      "<test>",
    );
    const ids = customer.partners.map((p) => ({
      station: p.station,
      partner: p.as2Id,
      connectorId: `c-${p.as2Id.toLowerCase()}`,
      agreementId: `a-${p.as2Id.toLowerCase()}`,
    }));
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: ROUTING_DOCUMENT_KEY,
        Body: JSON.stringify(buildRoutingDocument(customer, BUCKET, ids, inboundWorkPrefix)),
      }),
    );
    const wire = await startS3Wire(aws.s3Endpoint);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: wire.endpoint,
      ROUTING_BUCKET: BUCKET,
      ROUTING_KEY: ROUTING_DOCUMENT_KEY,
      ROUTING_ETAG: "test",
      MESSAGE_INDEX_TABLE: TABLE,
      API_CLIENTS: JSON.stringify([
        { name: "all", clientId: "all", scopes: ["read", "send", "delete"] },
        { name: "reader", clientId: "reader", scopes: ["read"] },
        { name: "eu-only", clientId: "eu-only", scopes: ["read", "send", "delete"], stations: ["ACME-EU"] },
      ]),
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    logger.setLogLevel("SILENT");
    resetClients();
    forgetRouting();
    return new ApiHarness(aws, wire, doc);
  }

  async stop(): Promise<void> {
    await this.wire.close();
    await this.aws.stop();
  }

  event(c: Call): APIGatewayProxyEventV2 {
    const auth = c.auth ?? FULL;
    const body = c.rawBody ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined);
    const authorizer =
      auth.kind === "iam"
        ? { iam: { userArn: auth.arn } }
        : auth.kind === "jwt"
          ? { jwt: { claims: { client_id: auth.clientId, scope: auth.scopes.join(" ") }, scopes: auth.scopes } }
          : undefined;
    return {
      version: "2.0",
      routeKey: "$default",
      rawPath: c.path,
      rawQueryString: new URLSearchParams(c.query ?? {}).toString(),
      headers: { "content-type": c.contentType ?? "application/json", ...c.headers },
      ...(c.query ? { queryStringParameters: c.query } : {}),
      requestContext: {
        accountId: "123456789012",
        apiId: "api",
        domainName: "api.example",
        domainPrefix: "api",
        http: { method: c.method, path: c.path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
        requestId: "req",
        routeKey: "$default",
        stage: "$default",
        time: "",
        timeEpoch: 0,
        ...(authorizer ? { authorizer } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      isBase64Encoded: false,
    };
  }

  /** Calls the handler and checks the answer against the OpenAPI document (status documented, body valid). */
  async call(c: Call): Promise<Answer> {
    const r = await handler(this.event(c));
    const status = r.statusCode ?? 0;
    const contentType = String(r.headers?.["content-type"] ?? "");
    const body = JSON.parse(r.body ?? "{}") as Record<string, unknown>;
    conforms(c.method, c.path, status, contentType, body);
    return { status, contentType, body, headers: (r.headers ?? {}) as Record<string, string> };
  }
}
