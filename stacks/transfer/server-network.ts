/**
 * What the gateway's Transfer servers (AS2 and SFTP) share on the network side: a VPC endpoint in
 * the customer's subnets behind its own security group (Elastic IPs make it internet-facing), and
 * ingress on one TCP port, one rule per source CIDR (rules stay diffable one by one).
 */
import type { Construct } from "constructs";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { Eip } from "@cdktf/provider-aws/lib/eip";
import type { Customer } from "../../model/customer";

export const ANYWHERE = "0.0.0.0/0";

/** Construct ids cannot hold '/'. */
export function cidrId(cidr: string): string {
  return cidr.replace(/[./]/g, "-");
}

export function allowTcpFrom(
  scope: Construct,
  idPrefix: string,
  securityGroupId: string,
  port: number,
  cidrs: readonly string[],
  describe: (cidr: string) => string,
): void {
  for (const cidr of cidrs) {
    new VpcSecurityGroupIngressRule(scope, `${idPrefix}${cidrId(cidr)}`, {
      securityGroupId,
      description: describe(cidr),
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      cidrIpv4: cidr,
    });
  }
}

/** Service-managed Transfer server on a VPC endpoint (the only endpoint type the gateway uses). */
export function vpcServerBase(network: Customer["network"], securityGroupId: string, elasticIps: readonly Eip[]) {
  return {
    domain: "S3",
    identityProviderType: "SERVICE_MANAGED",
    endpointType: "VPC",
    endpointDetails: {
      vpcId: network.vpcId,
      subnetIds: [...network.subnetIds],
      securityGroupIds: [securityGroupId],
      ...(elasticIps.length ? { addressAllocationIds: elasticIps.map((e) => e.allocationId) } : {}),
    },
  };
}
