/**
 * No IAM Allow statement grants `*` or a whole service (`s3:*`), and none uses NotAction (an
 * Allow with NotAction grants everything else). Prefix patterns such as `kms:GenerateDataKey*`
 * name one family of actions and are accepted.
 */
import { IAM_POLICY_TYPES, readPolicies } from "./iam-statements";
import type { GuardRailRule } from "./rule";

const WHOLE_SERVICE = /^([a-z0-9-]+:)?\*$/i;

export const IamNoWildcardAction: GuardRailRule = {
  id: "IamNoWildcardAction",
  description: "IAM statements name their actions: no `*`, no `service:*`, no Allow with NotAction",
  appliesTo: IAM_POLICY_TYPES,
  check(el, ctx) {
    const { statements, unreadable } = readPolicies(el, ctx);
    const problems: string[] = [];
    for (const s of statements) {
      const wild = s.actions.filter((a) => WHOLE_SERVICE.test(a));
      if (wild.length) problems.push(`${s.where} allows wildcard action(s) ${wild.join(", ")}`);
      if (s.notActions.length)
        problems.push(`${s.where} allows everything except ${s.notActions.join(", ")} (NotAction)`);
    }
    for (const where of unreadable)
      problems.push(`${where} is not literal JSON, so its actions cannot be checked; build it with JSON.stringify`);
    return problems;
  },
};
