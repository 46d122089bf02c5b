/**
 * No IAM statement allows `kms:Decrypt` without a condition: the gateway's principals decrypt
 * through a service (`kms:ViaService`) and, where the service sets one, for this customer's
 * encryption context, so their credentials alone cannot read anything encrypted with the key.
 * (KMS developer guide, "AWS KMS condition keys", kms:ViaService.) Key policies are not IAM
 * policies here: their account statement delegates to exactly these IAM policies.
 */
import { actionMatches, hasConditions, IAM_POLICY_TYPES, readPolicies } from "./iam-statements";
import type { GuardRailRule } from "./rule";

export const KmsDecryptConditioned: GuardRailRule = {
  id: "KmsDecryptConditioned",
  description: "IAM statements allowing kms:Decrypt carry a condition (kms:ViaService, encryption context)",
  appliesTo: IAM_POLICY_TYPES,
  check(el, ctx) {
    return readPolicies(el, ctx)
      .statements.filter((s) => s.actions.some((a) => actionMatches(a, "kms:Decrypt")) && !hasConditions(s))
      .map((s) => `${s.where} allows kms:Decrypt without a condition (add kms:ViaService and the encryption context)`);
  },
};
