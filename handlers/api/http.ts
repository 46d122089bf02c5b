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

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Not authenticated",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Request body too large",
  415: "Unsupported media type",
  422: "Unprocessable request",
  500: "Internal error",
};

export function json(status: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

export function problem(p: ApiProblem, instance?: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: p.status,
    headers: { "content-type": "application/problem+json" },
    body: JSON.stringify({
      type: `urn:as2-gateway:problem:${p.code.toLowerCase().replace(/_/g, "-")}`,
      title: TITLES[p.status] ?? "Error",
      status: p.status,
      code: p.code,
      detail: p.detail,
      ...(instance ? { instance } : {}),
      ...(p.errors?.length ? { errors: p.errors } : {}),
    }),
  };
}
