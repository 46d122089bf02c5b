/** No IAM Allow statement grants an S3 action on every resource (`*`, `arn:aws:s3:::*`, NotResource). */
import { IAM_POLICY_TYPES, readPolicies } from "./iam-statements";
import type { GuardRailRule } from "./rule";

const EVERYTHING = /^(\*|arn:[^:]*:s3:::\*)$/;

export const IamNoS3ActionOnWildcardResource: GuardRailRule = {
  id: "IamNoS3ActionOnWildcardResource",
  description: "IAM statements scope S3 actions to buckets and prefixes, never `*`",
  appliesTo: IAM_POLICY_TYPES,
  check(el, ctx) {
    const problems: string[] = [];
    for (const s of readPolicies(el, ctx).statements) {
      const s3 = s.actions.filter((a) => /^s3:/i.test(a) || a === "*");
      if (s3.length === 0) continue;
      const wild = s.resources.filter((r) => EVERYTHING.test(r));
      if (wild.length) problems.push(`${s.where} allows ${s3.join(", ")} on ${wild.join(", ")}`);
      if (s.notResources.length)
        problems.push(
          `${s.where} allows ${s3.join(", ")} on everything except ${s.notResources.join(", ")} (NotResource)`,
        );
    }
    return problems;
  },
};
