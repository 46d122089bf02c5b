/**
 * The REST API in the customer stack: opt-in, IAM by default, Cognito on request, one throttled
 * route per route key, least-privilege role; and its guard rails.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { all, one, synthCustomer, synthWithGuardRails } from "../stacks/helpers";
import { customerInput } from "../helpers/customer-factory";
import { apiRoutes } from "../../model/api/operations";
import { INDEX_TTL_ATTRIBUTE, type IndexTransition } from "../../model/api/index-model";
import { transitionElement } from "../../handlers/api/index-transitions";
import { API_LIMITS } from "../../model/api/limits";
import { API_UPLOAD_ROOT } from "../../model/layout";
import type { CustomerInput } from "../../model/customer";

const EXAMPLE = join(__dirname, "..", "..", "customers", "example.json");

describe("REST API stack", () => {
  it("the example customer enables the API with IAM auth and synthesizes with zero guard-rail findings", () => {
    const example = JSON.parse(readFileSync(EXAMPLE, "utf8")) as CustomerInput;
    expect(example.api?.auth).toBe("iam");
    const { tf, findings } = synthCustomer(example);
    expect(findings.errors).toEqual([]);
    const routes = all(tf, "aws_apigatewayv2_route");
    expect(routes.map((r) => r.route_key).sort()).toEqual(
      apiRoutes()
        .map((r) => r.routeKey)
        .sort(),
    );
    expect(routes.every((r) => r.authorization_type === "AWS_IAM")).toBe(true);
    const stage = one(tf, "aws_apigatewayv2_stage");
    expect(stage.route_settings).toHaveLength(apiRoutes().length);
    expect(stage.access_log_settings.format).toContain("$context.requestId");
    expect(one(tf, "aws_apigatewayv2_api").cors_configuration).toBeUndefined();
    const fn = all(tf, "aws_lambda_function").find((f) => String(f.function_name).endsWith("-api"));
    expect(fn).toMatchObject({ runtime: "nodejs22.x", architectures: ["arm64"] });
    expect(all(tf, "aws_cognito_user_pool")).toHaveLength(0);
    // The send and receive functions keep the index current; the others do not get it.
    const withIndex = all(tf, "aws_lambda_function").filter(
      (f) => f.environment.variables.MESSAGE_INDEX_TABLE && f !== fn,
    );
    expect(withIndex.map((f) => String(f.function_name)).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/receive/), expect.stringMatching(/send/)]),
    );
    expect(withIndex.every((f) => f.environment.variables.STATE_TABLE)).toBe(true);
    // POST /v1/transactions: the pipeline's queue and document, as the split function has them.
    const split = all(tf, "aws_lambda_function").find((f) => String(f.function_name).endsWith("-transactions-split"));
    const env = fn.environment.variables;
    for (const k of ["PIPELINE_BUCKET", "PIPELINE_KEY", "PIPELINE_SHA256", "TRANSACTION_QUEUE_URL"])
      expect([k, env[k]]).toEqual([k, split.environment.variables[k]]);
    const role = all(tf, "aws_iam_role_policy").find((p) => String(p.role).includes(".api_function_role_"));
    const statements = JSON.parse(role.policy).Statement as { Sid: string; Action: string[]; Resource: string[] }[];
    const sqs = statements.filter((st) => st.Action.some((a) => a.startsWith("sqs:")));
    expect(sqs).toEqual([
      {
        Sid: "TransactionQueue",
        Effect: "Allow",
        Action: ["sqs:SendMessage"],
        Resource: [expect.stringMatching(/sqs_queue\.transactions_transaction-queue_/)],
      },
      // API sends announce their version to the send handler (no settle wait): that queue only.
      {
        Sid: "SendQueue",
        Effect: "Allow",
        Action: ["sqs:SendMessage"],
        Resource: [expect.stringMatching(/sqs_queue\.send_uploads-queue_/)],
      },
    ]);
    const settle = all(tf, "aws_lambda_function").find((f) => f.environment.variables.SEND_QUEUE_URL && f !== fn);
    expect(env.SEND_QUEUE_URL).toBe(settle.environment.variables.SEND_QUEUE_URL);
  });

  it("a customer with the API but no pipeline gives the API Lambda no transaction queue and no SQS permission on one", () => {
    const { tf } = synthCustomer(customerInput({ name: "nopipe", api: { auth: "iam" } }));
    const fn = all(tf, "aws_lambda_function").find((f) => String(f.function_name).endsWith("-api"));
    expect(fn.environment.variables.TRANSACTION_QUEUE_URL).toBeUndefined();
    expect(
      all(tf, "aws_iam_role_policy").some(
        (p) => String(p.policy).includes("TransactionQueue") && String(p.role).includes("api_function"),
      ),
    ).toBe(false);
  });

  it("the index table expires Idempotency-Key items by TTL, and no message item carries the attribute", () => {
    const { tf } = synthCustomer(customerInput({ name: "ttl", api: { auth: "iam" } }));
    const table = all(tf, "aws_dynamodb_table").find((t) => String(t.name).endsWith("-messages"));
    expect(table.ttl).toEqual({ attribute_name: INDEX_TTL_ATTRIBUTE, enabled: true });
    const t = { id: "o-1", direction: "outbound", station: "S", partner: "P", test: false, state: "queued", at: "x" };
    const element = transitionElement(t as IndexTransition, "table", new Date(0));
    expect(Object.values(element.Update!.ExpressionAttributeNames!)).not.toContain(INDEX_TTL_ATTRIBUTE);
  });

  it("uploads by URL that were never committed expire after a few days (and their multipart parts after one)", () => {
    const { tf } = synthCustomer(customerInput({ name: "uploads", api: { auth: "iam" } }));
    const rules = one(tf, "aws_s3_bucket_lifecycle_configuration").rule as {
      filter: { prefix: string }[];
      status: string;
      expiration?: { days?: number }[];
      abort_incomplete_multipart_upload?: { days_after_initiation: number }[];
    }[];
    const uploads = rules.filter((r) => r.filter[0]!.prefix === API_UPLOAD_ROOT);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({
      status: "Enabled",
      expiration: [{ days: API_LIMITS.uploadExpiryDays }],
      abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
    });
    expect(API_LIMITS.uploadExpiryDays).toBeGreaterThanOrEqual(2);
    expect(API_LIMITS.uploadExpiryDays * 86400).toBeGreaterThan(API_LIMITS.urlSeconds);
    // No other rule expires current versions: routed files and open work stay.
    expect(rules.filter((r) => r !== uploads[0] && r.expiration?.some((e) => e.days !== undefined))).toEqual([]);
  });

  it("a customer without api gets none of it", () => {
    const { tf } = synthCustomer(customerInput({ name: "noapi" }));
    expect(all(tf, "aws_apigatewayv2_api")).toHaveLength(0);
    expect(all(tf, "aws_lambda_function").some((f) => f.environment.variables.MESSAGE_INDEX_TABLE)).toBe(false);
  });

  it("cognito: a user pool, one app client per declared client (client credentials), routes require scopes", () => {
    const { tf, findings } = synthCustomer(
      customerInput({
        name: "oauth",
        api: { auth: "cognito", clients: [{ name: "erp", scopes: ["read", "send"], stations: ["ACME"] }] },
      }),
    );
    expect(findings.errors).toEqual([]);
    const client = one(tf, "aws_cognito_user_pool_client");
    expect(client).toMatchObject({ allowed_oauth_flows: ["client_credentials"], generate_secret: true });
    expect(client.allowed_oauth_scopes).toEqual(["as2-gateway/read", "as2-gateway/send"]);
    const routes = all(tf, "aws_apigatewayv2_route");
    expect(routes.every((r) => r.authorization_type === "JWT" && r.authorization_scopes.length > 0)).toBe(true);
    expect(one(tf, "aws_apigatewayv2_authorizer").jwt_configuration.issuer).toContain(
      "cognito-idp.eu-west-1.amazonaws.com/",
    );
  });

  it("refuses a client restricted to an undeclared station, and cognito clients without a client list", () => {
    expect(() =>
      synthCustomer(
        customerInput({
          name: "bad",
          api: {
            auth: "iam",
            clients: [
              { name: "x", principal: "arn:aws:iam::123456789012:role/x", scopes: ["read"], stations: ["NOPE"] },
            ],
          },
        }),
      ),
    ).toThrow(/station 'NOPE' is not declared/);
    expect(() => synthCustomer(customerInput({ name: "bad", api: { auth: "cognito" } }))).toThrow(
      /declare at least one client/,
    );
  });
});

describe("guard rail ApiRoutesAuthorized", () => {
  const api = (s: Parameters<Parameters<typeof synthWithGuardRails>[0]>[0], origins?: string[]) =>
    new Apigatewayv2Api(s, "api", {
      name: "a",
      protocolType: "HTTP",
      ...(origins ? { corsConfiguration: { allowOrigins: origins } } : {}),
    });

  it("passes IAM routes and JWT routes with scopes", () => {
    const { findings } = synthWithGuardRails((s) => {
      const a = api(s, ["https://portal.example.com"]);
      new Apigatewayv2Route(s, "iam", { apiId: a.id, routeKey: "GET /a", authorizationType: "AWS_IAM" });
      new Apigatewayv2Route(s, "jwt", {
        apiId: a.id,
        routeKey: "GET /b",
        authorizationType: "JWT",
        authorizerId: "x",
        authorizationScopes: ["s/read"],
      });
    });
    expect(findings.errors).toEqual([]);
  });

  it("fails an open route, a JWT route without scopes and a wildcard origin", () => {
    const { findings } = synthWithGuardRails((s) => {
      const a = api(s, ["*"]);
      new Apigatewayv2Route(s, "open", { apiId: a.id, routeKey: "GET /a" });
      new Apigatewayv2Route(s, "jwt", { apiId: a.id, routeKey: "GET /b", authorizationType: "JWT", authorizerId: "x" });
    });
    expect(findings.errors.map((e) => e.message).sort()).toEqual([
      expect.stringMatching(/^\[ApiRoutesAuthorized\] CORS allows origin \*/),
      expect.stringMatching(/^\[ApiRoutesAuthorized\] route GET \/a has authorization NONE/),
      expect.stringMatching(/^\[ApiRoutesAuthorized\] route GET \/b accepts any valid token/),
    ]);
  });
});

describe("guard rail LambdaAsyncDeadLetter and API Gateway", () => {
  it("passes a function invoked only by API Gateway (synchronous: the caller gets the error)", () => {
    const { findings } = synthWithGuardRails((s) => {
      const f = new LambdaFunction(s, "fn", {
        functionName: "f",
        role: "arn:aws:iam::123456789012:role/r",
        runtime: "nodejs22.x",
        handler: "index.handler",
        filename: "x.zip",
      });
      new LambdaPermission(s, "api", {
        action: "lambda:InvokeFunction",
        functionName: f.functionName,
        principal: "apigateway.amazonaws.com",
      });
    });
    expect(findings.errors).toEqual([]);
  });

  it("still fails a function that API Gateway and EventBridge both invoke without a dead-letter target", () => {
    const { findings } = synthWithGuardRails((s) => {
      const f = new LambdaFunction(s, "fn", {
        functionName: "f",
        role: "arn:aws:iam::123456789012:role/r",
        runtime: "nodejs22.x",
        handler: "index.handler",
        filename: "x.zip",
      });
      new LambdaPermission(s, "api", {
        action: "lambda:InvokeFunction",
        functionName: f.functionName,
        principal: "apigateway.amazonaws.com",
      });
      new LambdaPermission(s, "events", {
        action: "lambda:InvokeFunction",
        functionName: f.functionName,
        principal: "events.amazonaws.com",
      });
    });
    expect(findings.errors).toHaveLength(1);
  });
});
