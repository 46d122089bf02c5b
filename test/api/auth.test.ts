/** The caller's scopes and stations from the authorizer context API Gateway passes. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { callerOf, parseClients } from "../../handlers/api/auth";
import { ApiProblem } from "../../handlers/api/http";

const clients = parseClients(
  JSON.stringify([
    {
      name: "erp",
      principal: "arn:aws:iam::123456789012:role/erp/erp-sync",
      scopes: ["read", "send"],
      stations: ["ACME"],
    },
    { name: "ops", principal: "arn:aws:iam::123456789012:user/ops", scopes: ["read", "delete"] },
    { name: "portal", clientId: "abc123", scopes: ["read"] },
  ]),
);
const event = (authorizer: unknown) => ({ requestContext: { authorizer } }) as unknown as APIGatewayProxyEventV2;

describe("callerOf", () => {
  it("matches a role's sessions and a user to their declarations", () => {
    const erp = callerOf(event({ iam: { userArn: "arn:aws:sts::123456789012:assumed-role/erp-sync/job-1" } }), clients);
    expect([...erp.scopes]).toEqual(["read", "send"]);
    expect([...erp.stations!]).toEqual(["ACME"]);
    expect(
      callerOf(event({ iam: { userArn: "arn:aws:iam::123456789012:user/ops" } }), clients).stations,
    ).toBeUndefined();
  });

  it("refuses an IAM principal that is not declared when some are, and a role of another account", () => {
    for (const arn of [
      "arn:aws:iam::123456789012:user/intruder",
      "arn:aws:sts::999999999999:assumed-role/erp-sync/x",
    ]) {
      expect(() => callerOf(event({ iam: { userArn: arn } }), clients)).toThrow(ApiProblem);
    }
  });

  it("narrows a token's scopes to the client's declaration", () => {
    const c = callerOf(
      event({ jwt: { claims: { client_id: "abc123" }, scopes: ["as2-gateway/read", "as2-gateway/delete"] } }),
      clients,
    );
    expect([...c.scopes]).toEqual(["read"]);
  });

  it("without authorizer context the call is unauthenticated", () => {
    expect(() => callerOf(event(undefined), clients)).toThrow(expect.objectContaining({ status: 401 }));
  });
});
