/**
 * The guard rails: an Aspect attached to every customer stack that turns each broken rule into
 * an error annotation on the offending construct (synth then fails with the construct path), and
 * each exceeded quota into a warning.
 */
import type { IConstruct } from "constructs";
import { Annotations, TerraformElement, TerraformStack, type IAspect } from "cdktf";
import { createRuleContext, terraformType, type GuardRailRule, type RuleContext, type StackAdvisory } from "./rule";
import { S3BucketEncryption } from "./s3-bucket-encryption";
import { S3BucketPublicAccessBlock } from "./s3-bucket-public-access-block";
import { IamNoWildcardAction } from "./iam-no-wildcard-action";
import { IamNoS3ActionOnWildcardResource } from "./iam-no-s3-action-on-wildcard-resource";
import { LogGroupRetention } from "./log-group-retention";
import { LambdaAsyncDeadLetter } from "./lambda-async-dead-letter";
import { SqsRedrive } from "./sqs-redrive";
import { TransferQuotas } from "./transfer-quotas";
import { TransferSftpServerHardened } from "./transfer-sftp-server";
import { TransferUserScoped } from "./transfer-user-scoped";
import { NoPrivateKeyMaterial } from "./no-private-key-material";
import { TransferTrustScopedToStack } from "./transfer-trust-scoped-to-stack";
import { KmsDecryptConditioned } from "./kms-decrypt-conditioned";
import { GatewayPathWriters } from "./gateway-path-writers";
import { ApiRoutesAuthorized } from "./api-routes-authorized";

export const GUARD_RAILS: readonly GuardRailRule[] = [
  S3BucketEncryption,
  S3BucketPublicAccessBlock,
  IamNoWildcardAction,
  IamNoS3ActionOnWildcardResource,
  LogGroupRetention,
  LambdaAsyncDeadLetter,
  SqsRedrive,
  TransferSftpServerHardened,
  TransferUserScoped,
  NoPrivateKeyMaterial,
  TransferTrustScopedToStack,
  KmsDecryptConditioned,
  GatewayPathWriters,
  ApiRoutesAuthorized,
];
export const ADVISORIES: readonly StackAdvisory[] = [TransferQuotas];

export class GuardRails implements IAspect {
  private readonly byType = new Map<string, GuardRailRule[]>();
  private readonly contexts = new WeakMap<TerraformStack, RuleContext>();

  constructor(
    rules: readonly GuardRailRule[] = GUARD_RAILS,
    private readonly advisories: readonly StackAdvisory[] = ADVISORIES,
  ) {
    for (const rule of rules) {
      for (const t of rule.appliesTo) this.byType.set(t, [...(this.byType.get(t) ?? []), rule]);
    }
  }

  visit(node: IConstruct): void {
    if (node instanceof TerraformStack) {
      // Aspects visit the stack before its children: a fresh view per synth.
      const ctx = createRuleContext(node);
      this.contexts.set(node, ctx);
      for (const advisory of this.advisories) {
        for (const f of advisory.check(ctx)) Annotations.of(f.node).addWarning(`[${advisory.id}] ${f.message}`);
      }
      return;
    }
    if (!(node instanceof TerraformElement)) return;
    const type = terraformType(node);
    const rules = type ? [...(this.byType.get(type) ?? []), ...(this.byType.get("*") ?? [])] : undefined;
    if (!rules || rules.length === 0) return;
    const stack = TerraformStack.of(node);
    let ctx = this.contexts.get(stack);
    if (!ctx) {
      ctx = createRuleContext(stack);
      this.contexts.set(stack, ctx);
    }
    for (const rule of rules) {
      for (const problem of rule.check(node, ctx)) Annotations.of(node).addError(`[${rule.id}] ${problem}`);
    }
  }
}
