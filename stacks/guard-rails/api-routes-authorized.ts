/**
 * Every route of an HTTP API is authorized (AWS_IAM, or JWT with scopes), and CORS never allows
 * any origin: the REST API reads and deletes users' files, so an open route or a wildcard origin
 * would hand them to anyone who finds the URL.
 */
import type { GuardRailRule } from "./rule";

export const ApiRoutesAuthorized: GuardRailRule = {
  id: "ApiRoutesAuthorized",
  description: "HTTP API routes require IAM or JWT (with scopes) authorization; CORS names its origins",
  appliesTo: ["aws_apigatewayv2_route", "aws_apigatewayv2_api"],
  check(el, ctx) {
    const cfg = ctx.config(el);
    if (cfg.protocol_type !== undefined) {
      const cors = (Array.isArray(cfg.cors_configuration) ? cfg.cors_configuration[0] : cfg.cors_configuration) as
        { allow_origins?: unknown } | undefined;
      const origins = Array.isArray(cors?.allow_origins) ? cors.allow_origins.map(String) : [];
      return origins.some((o) => o.includes("*"))
        ? [`CORS allows origin ${origins.find((o) => o.includes("*"))}: name the browser origins that may call the API`]
        : [];
    }
    const type = String(cfg.authorization_type ?? "NONE");
    if (type === "AWS_IAM") return [];
    const scopes = Array.isArray(cfg.authorization_scopes) ? cfg.authorization_scopes : [];
    if (type === "JWT" && scopes.length > 0) return [];
    return [
      type === "JWT"
        ? `route ${String(cfg.route_key)} accepts any valid token: require scopes (authorization_scopes)`
        : `route ${String(cfg.route_key)} has authorization ${type}: anyone with the URL could call it; use AWS_IAM or JWT`,
    ];
  },
};
