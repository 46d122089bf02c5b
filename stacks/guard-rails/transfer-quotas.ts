/**
 * AWS Transfer Family default quotas (adjustable through Service Quotas). Going over one is not
 * a synth failure: the customer may already have an increase. Synth warns and names the quota.
 */
import type { IConstruct } from "constructs";
import { CloudcontrolapiResource } from "@cdktf/provider-aws/lib/cloudcontrolapi-resource";
import type { StackAdvisory, RuleContext } from "./rule";

export const TRANSFER_QUOTAS = {
  agreementsPerServer: 100,
  connectorsPerAccount: 100,
  profilesPerAccount: 1000,
  inboundRulesPerSecurityGroup: 60,
} as const;

function count(ctx: RuleContext, type: string, cloudControlType?: string): IConstruct[] {
  const native = [...ctx.elementsOfType(type)];
  const viaCloudControl = cloudControlType
    ? // the typed getter: resolving every desired state would cost seconds at 1000 partners
      ctx
        .elementsOfType("aws_cloudcontrolapi_resource")
        .filter((e) => (e as CloudcontrolapiResource).typeNameInput === cloudControlType)
    : [];
  return [...native, ...viaCloudControl];
}

export const TransferQuotas: StackAdvisory = {
  id: "TransferQuotas",
  description: "Transfer Family resources stay within the default quotas, or synth says which quota to raise",
  check(ctx) {
    const out: { node: IConstruct; message: string }[] = [];
    const servers = ctx.elementsOfType("aws_transfer_server");
    const agreements = count(ctx, "aws_transfer_agreement", "AWS::Transfer::Agreement");
    const perServer = servers.length > 0 ? agreements.length / servers.length : agreements.length;
    if (perServer > TRANSFER_QUOTAS.agreementsPerServer) {
      out.push({
        node: ctx.stack,
        message: `quota "Agreements per server" (default ${TRANSFER_QUOTAS.agreementsPerServer}): this stack declares ${agreements.length} agreements on ${Math.max(servers.length, 1)} server(s); request an increase in Service Quotas (AWS Transfer Family) before deploying`,
      });
    }
    const connectors = count(ctx, "aws_transfer_connector", "AWS::Transfer::Connector");
    if (connectors.length > TRANSFER_QUOTAS.connectorsPerAccount) {
      out.push({
        node: ctx.stack,
        message: `quota "Connectors per account" (default ${TRANSFER_QUOTAS.connectorsPerAccount}): this stack declares ${connectors.length} connectors; request an increase in Service Quotas (AWS Transfer Family) before deploying`,
      });
    }
    const profiles = count(ctx, "aws_transfer_profile", "AWS::Transfer::Profile");
    if (profiles.length > TRANSFER_QUOTAS.profilesPerAccount) {
      out.push({
        node: ctx.stack,
        message: `quota "Profiles per account" (default ${TRANSFER_QUOTAS.profilesPerAccount}): this stack declares ${profiles.length} profiles; request an increase in Service Quotas (AWS Transfer Family) before deploying`,
      });
    }
    for (const sg of ctx.elementsOfType("aws_security_group")) {
      const address = ctx.address(sg);
      const rules = ctx
        .elementsOfType("aws_vpc_security_group_ingress_rule")
        .filter((r) => String(ctx.config(r).security_group_id ?? "").includes(`\${${address}.`));
      if (rules.length > TRANSFER_QUOTAS.inboundRulesPerSecurityGroup) {
        out.push({
          node: sg,
          message: `quota "Inbound rules per security group" (VPC, default ${TRANSFER_QUOTAS.inboundRulesPerSecurityGroup}): ${rules.length} source CIDRs; raise the quota or group partner CIDRs`,
        });
      }
    }
    return out;
  },
};
