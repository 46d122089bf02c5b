/**
 * The AS2 server: a Transfer Family server with a VPC endpoint in the declared subnets, HTTP on
 * port 5080 (Transfer's only AS2 transport), reachable only from the partners' declared source
 * CIDRs and the customer's allowed CIDRs (or from anywhere, when the customer opts in), with
 * optional Elastic IPs and an optional TLS network load balancer for partners that require HTTPS.
 */
import { Construct } from "constructs";
import { TransferServer } from "@cdktf/provider-aws/lib/transfer-server";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { DataAwsNetworkInterface } from "@cdktf/provider-aws/lib/data-aws-network-interface";
import type { Customer } from "../../model/customer";
import { allowTcpFrom, ANYWHERE, vpcServerBase } from "./server-network";

/** Transfer Family's AS2 listener port (HTTP). */
export const AS2_PORT = 5080;
export const HTTPS_PORT = 443;

export interface As2ServerProps {
  readonly customer: Customer;
  readonly loggingRoleArn: string;
  readonly kmsKeyArn: string;
}

/** The CIDRs allowed to reach the AS2 port: partners' sources, then the customer's extras. */
export function allowedSourceCidrs(customer: Customer): string[] {
  if (customer.network.allowFromAnywhere) return [ANYWHERE];
  const cidrs = new Set<string>();
  for (const p of customer.partners) if (p.enabled) p.sourceCidrs.forEach((c) => cidrs.add(c));
  customer.network.allowedCidrs.forEach((c) => cidrs.add(c));
  return [...cidrs].sort();
}

export class As2Server extends Construct {
  readonly server: TransferServer;
  readonly securityGroup: SecurityGroup;
  readonly logGroup: CloudwatchLogGroup;
  readonly elasticIps: readonly Eip[];
  readonly loadBalancer?: Lb;
  /** `http://<host>:5080` for the server's endpoint and for each Elastic IP. */
  readonly httpUrls: readonly string[];
  /** `https://<nlb dns>` when the customer declared a certificate for HTTPS. */
  readonly httpsUrl?: string;

  constructor(scope: Construct, id: string, props: As2ServerProps) {
    super(scope, id);
    const { customer } = props;
    const net = customer.network;
    const name = `as2-${customer.name}`;
    const sources = allowedSourceCidrs(customer);

    this.securityGroup = new SecurityGroup(this, "sg", {
      name: `${name}-as2-server`,
      description: `AS2 (HTTP ${AS2_PORT}) from declared partners only`,
      vpcId: net.vpcId,
      // no egress: the endpoint only answers; Transfer's outbound AS2 leaves from AWS's addresses
    });
    allowTcpFrom(this, "in-", this.securityGroup.id, AS2_PORT, sources, (cidr) =>
      cidr === ANYWHERE ? "AS2 from anywhere (allowFromAnywhere)" : "AS2 from a declared partner source",
    );

    this.elasticIps = net.elasticIps
      ? net.subnetIds.map(
          (subnet, i) => new Eip(this, `eip-${i}`, { domain: "vpc", tags: { Name: `${name}-as2-${subnet}` } }),
        )
      : [];

    // Transfer writes to /aws/transfer/<server-id>: declaring it first gives it a retention and our key.
    this.server = new TransferServer(this, "server", {
      protocols: ["AS2"],
      ...vpcServerBase(net, this.securityGroup.id, this.elasticIps),
      protocolDetails: { as2Transports: ["HTTP"] },
      loggingRole: props.loggingRoleArn,
      tags: { Name: `${name}-as2` },
    });
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/transfer/${this.server.id}`,
      retentionInDays: customer.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    this.httpUrls = [
      `http://${this.server.endpoint}:${AS2_PORT}`,
      ...this.elasticIps.map((e) => `http://${e.publicIp}:${AS2_PORT}`),
    ];

    if (net.httpsCertificateArn) {
      const lb = this.httpsFrontDoor(customer, net.httpsCertificateArn, sources);
      this.loadBalancer = lb;
      this.httpsUrl = `https://${lb.dnsName}`;
    }
  }

  /**
   * A TLS network load balancer terminating HTTPS on 443 and forwarding to the server's VPC
   * endpoint addresses on 5080 (one network interface per subnet).
   */
  private httpsFrontDoor(customer: Customer, certificateArn: string, sources: readonly string[]): Lb {
    const net = customer.network;
    const name = `as2-${customer.name}`;
    const lbSg = new SecurityGroup(this, "nlb-sg", {
      name: `${name}-as2-https`,
      description: `AS2 over HTTPS (${HTTPS_PORT}) from declared partners only`,
      vpcId: net.vpcId,
    });
    allowTcpFrom(this, "nlb-in-", lbSg.id, HTTPS_PORT, sources, () => "AS2 over HTTPS from a declared partner source");
    new VpcSecurityGroupEgressRule(this, "nlb-to-server", {
      securityGroupId: lbSg.id,
      description: "to the AS2 server",
      ipProtocol: "tcp",
      fromPort: AS2_PORT,
      toPort: AS2_PORT,
      referencedSecurityGroupId: this.securityGroup.id,
    });
    new VpcSecurityGroupIngressRule(this, "in-from-nlb", {
      securityGroupId: this.securityGroup.id,
      description: "AS2 from the HTTPS load balancer",
      ipProtocol: "tcp",
      fromPort: AS2_PORT,
      toPort: AS2_PORT,
      referencedSecurityGroupId: lbSg.id,
    });

    const lb = new Lb(this, "nlb", {
      name: loadBalancerName(name),
      loadBalancerType: "network",
      // Internet-facing exactly when the server itself is (Elastic IPs): the same subnets serve both.
      internal: !net.elasticIps,
      subnets: [...net.subnetIds],
      securityGroups: [lbSg.id],
    });
    const targets = new LbTargetGroup(this, "targets", {
      name: loadBalancerName(name),
      port: AS2_PORT,
      protocol: "TCP",
      targetType: "ip",
      vpcId: net.vpcId,
      healthCheck: { protocol: "TCP", port: String(AS2_PORT) },
    });
    net.subnetIds.forEach((subnet, i) => {
      const eni = new DataAwsNetworkInterface(this, `endpoint-eni-${i}`, {
        filter: [
          // Interface endpoints describe their network interfaces this way.
          { name: "description", values: [`VPC Endpoint Interface ${this.server.endpointDetails.vpcEndpointId}`] },
          { name: "subnet-id", values: [subnet] },
        ],
      });
      new LbTargetGroupAttachment(this, `target-${i}`, {
        targetGroupArn: targets.arn,
        targetId: eni.privateIp,
        port: AS2_PORT,
      });
    });
    new LbListener(this, "tls", {
      loadBalancerArn: lb.arn,
      port: HTTPS_PORT,
      protocol: "TLS",
      certificateArn,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      defaultAction: [{ type: "forward", targetGroupArn: targets.arn }],
    });
    return lb;
  }
}

/** Load balancer and target group names: at most 32 characters, not ending with '-'. */
export function loadBalancerName(prefix: string): string {
  return `${prefix}-as2`.slice(0, 32).replace(/-+$/, "");
}
