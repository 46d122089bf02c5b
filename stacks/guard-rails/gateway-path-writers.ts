/**
 * Nothing but the gateway writes under `_gateway/` (Transfer's working directories, files being
 * sent, the routing document): an Allow of an object write or delete on a resource that covers
 * `_gateway/` must sit on a role assumed by the gateway's own services: its Lambda functions,
 * Transfer Family, and Firehose (the event archive). A managed, user or group policy, a policy
 * document (its holder is unknown), a role assumed by anything else, or a bucket policy Allow
 * there is a finding. The bucket policy's Deny (stacks/platform/gateway-bucket-policy.ts) enforces
 * the same at run time; this catches the IAM side at synth.
 */
import type { TerraformElement } from "cdktf";
import { OBJECT_WRITE_ACTIONS } from "../platform/gateway-bucket-policy";
import { WORK_PREFIX } from "../../model/layout";
import { actionMatches, IAM_POLICY_TYPES, readPolicies } from "./iam-statements";
import { blocks, terraformType, type GuardRailRule, type RuleContext } from "./rule";

/** Services whose roles are the gateway's own. */
export const GATEWAY_SERVICES = ["lambda.amazonaws.com", "transfer.amazonaws.com", "firehose.amazonaws.com"];

/** True when an S3 resource pattern covers some key under `_gateway/`. */
export function coversGatewayPath(resource: string): boolean {
  if (resource === "*") return true;
  const m = /^(?:arn:[^:]*:s3:::[^/]*|\$\{[^}]+\})\/(.*)$/.exec(resource);
  if (!m) return false;
  const path = m[1]!;
  const wildcard = path.search(/[*?]/);
  const literal = wildcard < 0 ? path : path.slice(0, wildcard);
  return literal.startsWith(WORK_PREFIX) || (wildcard >= 0 && WORK_PREFIX.startsWith(literal));
}

function list(v: unknown): string[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}

/** Services that may assume a role (from its trust policy). */
function trustedServices(role: TerraformElement, ctx: RuleContext): string[] {
  try {
    const doc = JSON.parse(String(ctx.config(role).assume_role_policy)) as { Statement?: unknown };
    return blocks(doc.Statement).flatMap((s) =>
      s.Principal && typeof s.Principal === "object" ? list((s.Principal as { Service?: unknown }).Service) : ["*"],
    );
  } catch {
    return ["(unreadable trust policy)"];
  }
}

/** The role an element's policy applies to, when the element says. */
function holderRole(el: TerraformElement, ctx: RuleContext): TerraformElement | undefined {
  const type = terraformType(el);
  if (type === "aws_iam_role") return el;
  if (type !== "aws_iam_role_policy") return undefined;
  const role = String(ctx.config(el).role ?? "");
  return ctx.elementsOfType("aws_iam_role").find((r) => role.includes(`\${${ctx.address(r)}.`));
}

function isGatewayRole(el: TerraformElement, ctx: RuleContext): boolean {
  const role = holderRole(el, ctx);
  if (!role) return false;
  const services = trustedServices(role, ctx);
  return services.length > 0 && services.every((s) => GATEWAY_SERVICES.includes(s));
}

export const GatewayPathWriters: GuardRailRule = {
  id: "GatewayPathWriters",
  description: "only roles of the gateway's Lambda functions, Transfer and Firehose may write under _gateway/",
  appliesTo: [...IAM_POLICY_TYPES, "aws_s3_bucket_policy"],
  check(el, ctx) {
    const bucketPolicy = terraformType(el) === "aws_s3_bucket_policy";
    if (!bucketPolicy && isGatewayRole(el, ctx)) return [];
    const holder = bucketPolicy ? "a bucket policy" : "a principal that is not a gateway role";
    return readPolicies(el, ctx)
      .statements.filter((s) => s.actions.some((a) => OBJECT_WRITE_ACTIONS.some((w) => actionMatches(a, w))))
      .filter((s) => s.resources.some(coversGatewayPath))
      .map(
        (s) =>
          `${s.where} lets ${holder} write or delete under ${WORK_PREFIX} (${s.resources.filter(coversGatewayPath).join(", ")})`,
      );
  },
};
