import { customerInput } from "../../helpers/customer-factory";
import { INBOUND_WORK_ROOT, OUTBOUND_WORK_ROOT } from "../../../model/layout";
import { ref, synthCustomer } from "../helpers";

describe("Transfer roles", () => {
  const { tf } = synthCustomer(customerInput());
  const roles = tf.resource.aws_iam_role!;
  const role = (suffix: string) => Object.entries(roles).find(([, r]) => r.name.endsWith(suffix))!;
  const policyOf = (roleId: string) =>
    JSON.parse(
      Object.values(tf.resource.aws_iam_role_policy!).find((p) => p.role === ref("aws_iam_role", roleId, "id"))!.policy,
    );
  const bucketArn = ref("aws_s3_bucket", Object.keys(tf.resource.aws_s3_bucket!)[0]!, "arn");
  const keyArn = ref("aws_kms_key", Object.keys(tf.resource.aws_kms_key!)[0]!, "arn");

  it.each([
    ["-transfer-agreements", [":server/*", ":agreement/*"]],
    ["-transfer-connectors", [":connector/*"]],
    ["-transfer-logging", [":server/*", ":connector/*"]],
  ])("%s trusts transfer.amazonaws.com for this account's Transfer resources only", (suffix, arns) => {
    const [, r] = role(suffix);
    const [statement] = JSON.parse(r.assume_role_policy).Statement;
    expect(statement.Principal).toEqual({ Service: "transfer.amazonaws.com" });
    expect(statement.Condition.StringEquals["aws:SourceAccount"]).toMatch(
      /^\$\{data\.aws_caller_identity\..*\.account_id\}$/,
    );
    const sourceArns: string[] = statement.Condition.ArnLike["aws:SourceArn"];
    expect(sourceArns).toHaveLength(arns.length);
    sourceArns.forEach((a, i) => {
      expect(a).toMatch(
        /^arn:\$\{data\.aws_partition\..*\}:transfer:eu-west-1:\$\{data\.aws_caller_identity\..*\.account_id\}:/,
      );
      expect(a.endsWith(arns[i]!)).toBe(true);
    });
  });

  it.each([
    ["-transfer-agreements", INBOUND_WORK_ROOT],
    ["-transfer-connectors", OUTBOUND_WORK_ROOT],
  ])("%s reads and writes exactly its working root and uses exactly the key", (suffix, root) => {
    const policy = policyOf(role(suffix)[0]);
    const statements: any[] = policy.Statement;
    const s3 = statements.filter((s) => s.Action.some((a: string) => a.startsWith("s3:")));
    const objects = s3.find((s) => s.Action.includes("s3:PutObject"));
    expect(objects.Resource).toEqual([`${bucketArn}/${root}*`]);
    expect(objects.Action).toEqual(expect.arrayContaining(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]));
    const list = s3.find((s) => s.Action.includes("s3:ListBucket"));
    expect(list).toMatchObject({ Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": [`${root}*`] } } });
    for (const s of s3) for (const r of s.Resource) expect(r === bucketArn || r === `${bucketArn}/${root}*`).toBe(true);
    const kms = statements.filter((s) => s.Action.some((a: string) => a.startsWith("kms:")));
    expect(kms).toEqual([
      expect.objectContaining({ Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [keyArn] }),
    ]);
    for (const s of statements) for (const a of s.Action) expect(a).not.toMatch(/(^|:)\*$/);
  });

  it("gives no role access to the user-facing folders or the routing document", () => {
    for (const suffix of ["-transfer-agreements", "-transfer-connectors"]) {
      const text = JSON.stringify(policyOf(role(suffix)[0]));
      expect(text).not.toContain("AS2/");
      expect(text).not.toContain("_gateway/config");
    }
  });
});
