/**
 * Reads the Allow statements of every IAM policy an element carries, for the IAM rules.
 * Policies built with a Terraform function (jsonencode) cannot be read at synth: they are
 * reported as unreadable so that a rule can say so instead of passing silently.
 */
import type { TerraformElement } from "cdktf";
import { blocks, terraformType, type RuleContext } from "./rule";

export interface AllowStatement {
  readonly where: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** The statement's Condition block (JSON policies) or condition blocks (policy documents). */
  readonly conditions: unknown;
}

export interface PolicyReading {
  readonly statements: readonly AllowStatement[];
  readonly unreadable: readonly string[];
}

export const IAM_POLICY_TYPES = [
  "aws_iam_role_policy",
  "aws_iam_policy",
  "aws_iam_user_policy",
  "aws_iam_group_policy",
  "aws_iam_role",
  "data.aws_iam_policy_document",
] as const;

const list = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

function fromJson(text: unknown, where: string, out: { statements: AllowStatement[]; unreadable: string[] }): void {
  if (typeof text !== "string" || text.length === 0) return;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    out.unreadable.push(where);
    return;
  }
  const statements = blocks((doc as { Statement?: unknown }).Statement);
  statements.forEach((s, i) => {
    if ((s.Effect ?? "Allow") !== "Allow") return;
    out.statements.push({
      where: `${where} statement ${String(s.Sid ?? i)}`,
      actions: list(s.Action),
      notActions: list(s.NotAction),
      resources: list(s.Resource),
      notResources: list(s.NotResource),
      conditions: s.Condition,
    });
  });
}

/** True when a statement carries at least one condition. */
export function hasConditions(s: AllowStatement): boolean {
  const c = s.conditions;
  if (Array.isArray(c)) return c.length > 0;
  return !!c && typeof c === "object" && Object.keys(c).length > 0;
}

/** IAM action patterns (`s3:Put*`, `*`) as a test on action names (case-insensitive, like IAM). */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return re.test(action);
}

export function readPolicies(el: TerraformElement, ctx: RuleContext): PolicyReading {
  const cfg = ctx.config(el);
  const out = { statements: [] as AllowStatement[], unreadable: [] as string[] };
  const type = terraformType(el);
  if (type === "aws_iam_role") {
    blocks(cfg.inline_policy).forEach((p, i) => fromJson(p.policy, `inline policy ${String(p.name ?? i)}`, out));
  } else if (type === "data.aws_iam_policy_document") {
    blocks(cfg.statement).forEach((s, i) => {
      if ((s.effect ?? "Allow") !== "Allow") return;
      out.statements.push({
        where: `statement ${String(s.sid ?? i)}`,
        actions: list(s.actions),
        notActions: list(s.not_actions),
        resources: list(s.resources),
        notResources: list(s.not_resources),
        conditions: s.condition,
      });
    });
  } else {
    fromJson(cfg.policy, "policy", out);
  }
  return out;
}
