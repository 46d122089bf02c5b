/**
 * HTTP API (payload format 2.0) responses: JSON bodies and RFC 9457 problem details. Every error a
 * client can cause is an ApiProblem with a code and a detail that says what to change.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: readonly { path: string; message: string }[],
  ) {
    super(detail);
    this.name = "ApiProblem";
  }
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

export function problem(p: ApiProblem, instance?: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: p.status,
    headers: { "content-type": "application/problem+json" },
    body: JSON.stringify({
      type: `urn:as2-gateway:problem:${p.code.toLowerCase().replace(/_/g, "-")}`,
      // One title per problem type (RFC 9457 §3.1.3), as the type is: from the code.
      title: p.code.charAt(0) + p.code.slice(1).toLowerCase().replace(/_/g, " "),
      status: p.status,
      code: p.code,
      detail: p.detail,
      ...(instance ? { instance } : {}),
      ...(p.errors?.length ? { errors: p.errors } : {}),
    }),
  };
}
