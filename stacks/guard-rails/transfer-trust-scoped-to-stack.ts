/**
 * A role that Transfer Family may assume names the Transfer resources of this stack in
 * `aws:SourceArn` (a reference to this stack's server, agreement or connector), never a wildcard
 * over the account: otherwise any other customer's server or connector in the account could be
 * configured with this role (the confused deputy; Transfer user guide, "Cross-service confused
 * deputy prevention", https://docs.aws.amazon.com/transfer/latest/userguide/confused-deputy.html).
 * The wildcards allowed follow a reference to this stack's server: `agreement/<server-id>/*`, and
 * `user/<server-id>/*` for the SFTP users' role (the form the Transfer user guide gives for a user
 * role limited to one server, "Create an IAM role and policy").
 */
import { blocks, type GuardRailRule } from "./rule";

const TRANSFER = "transfer.amazonaws.com";
/** A reference to a Transfer resource of this stack (native, or through Cloud Control). */
const STACK_TRANSFER_REFERENCE =
  /\$\{[^}]*\b(aws_transfer_(server|connector|agreement)|aws_cloudcontrolapi_resource)\.[^}]+\}/;
const SOURCE_ARN_OPERATORS = ["ArnEquals", "ArnLike", "StringEquals", "StringLike"];

const list = (v: unknown): string[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];

/** Why one `aws:SourceArn` value is not scoped to this stack's resources, if it is not. */
function sourceArnProblem(value: string): string | undefined {
  if (!STACK_TRANSFER_REFERENCE.test(value)) return `aws:SourceArn ${value} names no Transfer resource of this stack`;
  const wildcard = value.search(/[*?]/);
  if (wildcard < 0) return undefined;
  const lastRef = value.lastIndexOf("}");
  if (/\b(agreement|user)\/\$\{[^}]*aws_transfer_server\.[^}]+\.id\}\/\*$/.test(value) && wildcard > lastRef)
    return undefined;
  return `aws:SourceArn ${value} has a wildcard beyond this stack's server's agreements or users`;
}

export const TransferTrustScopedToStack: GuardRailRule = {
  id: "TransferTrustScopedToStack",
  description: "roles trusted by transfer.amazonaws.com name this stack's Transfer resources in aws:SourceArn",
  appliesTo: ["aws_iam_role"],
  check(el, ctx) {
    const text = ctx.config(el).assume_role_policy;
    if (typeof text !== "string") return [];
    let doc: { Statement?: unknown };
    try {
      doc = JSON.parse(text) as { Statement?: unknown };
    } catch {
      return text.includes(TRANSFER)
        ? ["the trust policy is not literal JSON: its aws:SourceArn cannot be checked"]
        : [];
    }
    const problems: string[] = [];
    blocks(doc.Statement).forEach((s, i) => {
      if ((s.Effect ?? "Allow") !== "Allow") return;
      const services = list((s.Principal as { Service?: unknown } | undefined)?.Service);
      if (s.Principal !== "*" && !services.includes(TRANSFER)) return;
      const where = `trust statement ${String(s.Sid ?? i)}`;
      const condition = (s.Condition ?? {}) as Record<string, Record<string, unknown>>;
      const values = SOURCE_ARN_OPERATORS.flatMap((op) => list(condition[op]?.["aws:SourceArn"]));
      if (values.length === 0) {
        problems.push(`${where} lets Transfer assume the role without aws:SourceArn`);
        return;
      }
      for (const v of values) {
        const p = sourceArnProblem(v);
        if (p) problems.push(`${where}: ${p}`);
      }
    });
    return problems;
  },
};
