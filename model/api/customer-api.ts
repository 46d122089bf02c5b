/**
 * The customer file's `api` block (REST API, issue 15): zod, synth time only. Absent: no API.
 */
import { z } from "zod";
import { API_SCOPES } from "./operations";

const httpsOrigin = z
  .string()
  .regex(/^https:\/\/[a-z0-9.-]+(?::\d+)?$/, "an https:// origin without path, such as https://portal.example.com");

export const apiClientSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, "1-40 letters, digits, '-' or '_'"),
  principal: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, "an IAM role or user ARN")
    .optional()
    .describe("auth iam: the role (its sessions count) or user this client is"),
  scopes: z
    .array(z.enum(API_SCOPES))
    .min(1)
    .describe("read (lists, downloads, read/unread), send (send, resend), delete"),
  stations: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("stations the client may see and send for; @default all"),
});

export const apiSchema = z
  .strictObject({
    auth: z
      .enum(["iam", "cognito"])
      .default("iam")
      .describe("iam: SigV4-signed requests; cognito: OAuth 2.0 client credentials from a Cognito user pool"),
    clients: z
      .array(apiClientSchema)
      .default([])
      .describe(
        "iam: optional, restricts the listed principals (others are refused once any is listed); cognito: one app client each",
      ),
    corsOrigins: z
      .array(httpsOrigin)
      .default([])
      .describe("browser origins allowed to call the API; @default none (CORS off)"),
    cognitoDomain: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "lower-case letters, digits and '-'")
      .optional()
      .describe(
        "cognito: prefix of the hosted token endpoint (<prefix>.auth.<region>.amazoncognito.com); @default as2-<customer>",
      ),
  })
  .superRefine((api, ctx) => {
    api.clients.forEach((c, i) => {
      if (api.auth === "iam" && c.principal === undefined && api.clients.length > 0)
        ctx.addIssue({
          code: "custom",
          path: ["clients", i, "principal"],
          message: "auth iam: each client names its IAM principal",
          input: c,
        });
      if (api.auth === "cognito" && c.principal !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["clients", i, "principal"],
          message: "auth cognito: clients are Cognito app clients, not IAM principals; remove principal",
          input: c.principal,
        });
    });
    if (api.auth === "cognito" && api.clients.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["clients"],
        message: "auth cognito: declare at least one client (each becomes an app client)",
        input: api.clients,
      });
    const names = api.clients.map((c) => c.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({
          code: "custom",
          path: ["clients", i, "name"],
          message: `client name '${n}' is used twice`,
          input: n,
        });
    });
  });
export type ApiConfig = z.output<typeof apiSchema>;
