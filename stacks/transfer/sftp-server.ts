/**
 * The SFTP server: a Transfer Family server separate from the AS2 one (its own endpoint, security
 * group and logs), service-managed users with SSH keys only (service-managed identities have no
 * passwords), LOGICAL home directories and a session policy per user (stacks/transfer/sftp-access.ts).
 *
 * A file put over SFTP is an ordinary S3 PutObject: it raises the same EventBridge event as any
 * upload, so `AS2/send/<st>/<p>/` over SFTP is sent by the existing send pipeline, and the settle
 * time covers slow uploads.
 *
 * AWS facts (Transfer user guide, compared 2026-12-01): "Create an internet-facing endpoint"
 * (EndpointType VPC + one Elastic IP per subnet); "Security policies" (the API defaults to 2024-01,
 * CloudFormation to 2018-11: always set it); "Logical directories" (HomeDirectoryType LOGICAL,
 * mappings `Entry`/`Target`); "Session policies" (2048 characters at most); "Custom hostnames"
 * (the `aws:transfer:customHostname` and `aws:transfer:route53HostedZoneId` tags, set with
 * `aws_transfer_tag` because `aws:` tags cannot go through the resource's own tags).
 */
import { Construct } from "constructs";
import { TransferServer } from "@cdktf/provider-aws/lib/transfer-server";
import { TransferUser } from "@cdktf/provider-aws/lib/transfer-user";
import { TransferSshKey } from "@cdktf/provider-aws/lib/transfer-ssh-key";
import { TransferTag } from "@cdktf/provider-aws/lib/transfer-tag";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { Lazy, TerraformOutput } from "cdktf";
import type { Customer } from "../../model/customer";
import type { SftpConfig } from "../../model/sftp";
import type { BucketRef } from "../platform/context";
import type { AccountRef } from "../platform/storage";
import { policyDocument } from "../pipelines/gateway-function";
import { trustPolicy } from "./transfer-iam";
import { sftpRoots, sftpUserView } from "../../model/sftp-access";
import { allowTcpFrom, ANYWHERE, vpcServerBase } from "./server-network";

export const SFTP_PORT = 22;

export interface SftpServerProps {
  readonly customer: Customer & { readonly sftp: SftpConfig };
  readonly bucket: BucketRef;
  readonly kmsKeyArn: string;
  readonly account: AccountRef;
}

/** Sources allowed on port 22: every user's, then the server's extras (or anywhere, when opted in). */
export function sftpSourceCidrs(sftp: SftpConfig): string[] {
  if (sftp.allowFromAnywhere) return [ANYWHERE];
  return [...new Set([...sftp.users.flatMap((u) => u.sourceCidrs), ...sftp.allowedCidrs])].sort();
}

export class SftpServer extends Construct {
  readonly server: TransferServer;
  readonly users: readonly TransferUser[];

  constructor(scope: Construct, id: string, props: SftpServerProps) {
    super(scope, id);
    const { customer, bucket, account, kmsKeyArn } = props;
    const sftp = customer.sftp;
    const net = customer.network;
    const name = `as2-${customer.name}-sftp`;
    const transferArn = (resource: string) =>
      `arn:${account.partition}:transfer:${account.region}:${account.accountId}:${resource}`;

    const sg = new SecurityGroup(this, "sg", {
      name,
      description: `SFTP (${SFTP_PORT}) from declared users only`,
      vpcId: net.vpcId,
    });
    allowTcpFrom(this, "in-", sg.id, SFTP_PORT, sftpSourceCidrs(sftp), (cidr) =>
      cidr === ANYWHERE ? "SFTP from anywhere (allowFromAnywhere)" : "SFTP from a declared user source",
    );
    const eips =
      sftp.endpoint === "internet"
        ? net.subnetIds.map(
            (subnet, i) => new Eip(this, `eip-${i}`, { domain: "vpc", tags: { Name: `${name}-${subnet}` } }),
          )
        : [];

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/transfer/${name}`,
      retentionInDays: customer.logRetentionDays,
      kmsKeyId: kmsKeyArn,
    });
    // The trust names this server (a reference); the server takes the role's ARN spelled from its
    // name, so the two do not depend on each other in Terraform's graph.
    const loggingRoleName = `${name}-logging`;
    const loggingRole = new IamRole(this, "logging-role", {
      name: loggingRoleName,
      description: "SFTP server: structured session logs",
      assumeRolePolicy: Lazy.stringValue({
        produce: () => trustPolicy(account.accountId, [this.server.arn]),
      }),
    });
    new IamRolePolicyAttachment(this, "logging-policy", {
      role: loggingRole.name,
      policyArn: `arn:${account.partition}:iam::aws:policy/service-role/AWSTransferLoggingAccess`,
    });

    const hostKey = sftp.hostKey
      ? new DataAwsSecretsmanagerSecretVersion(this, "host-key", { secretId: sftp.hostKey.secretsManagerArn })
          .secretString
      : undefined;

    this.server = new TransferServer(this, "server", {
      protocols: ["SFTP"],
      ...vpcServerBase(net, sg.id, eips),
      securityPolicyName: sftp.securityPolicy,
      // S3 keeps no modes or times: without this, clients that set them after an upload (WinSCP,
      // `sftp -p`, many ERPs' SFTP modules) fail the upload (Transfer: SetStatOption).
      protocolDetails: { setStatOption: "ENABLE_NO_OP" },
      ...(hostKey ? { hostKey } : {}),
      loggingRole: `arn:${account.partition}:iam::${account.accountId}:role/${loggingRoleName}`,
      ...(sftp.sessionLogging ? { structuredLogDestinations: [`${logGroup.arn}:*`] } : {}),
      tags: { Name: name },
    });

    if (sftp.hostName) {
      new TransferTag(this, "custom-hostname", {
        resourceArn: this.server.arn,
        key: "aws:transfer:customHostname",
        value: sftp.hostName,
      });
      if (sftp.route53ZoneId) {
        new TransferTag(this, "hosted-zone", {
          resourceArn: this.server.arn,
          key: "aws:transfer:route53HostedZoneId",
          value: `/hostedzone/${sftp.route53ZoneId}`,
        });
        new Route53Record(this, "dns", {
          zoneId: sftp.route53ZoneId,
          name: sftp.hostName,
          type: "CNAME",
          ttl: 300,
          records: [this.server.endpoint],
        });
      }
    }

    // One role for every user, bounded to the user-facing roots; each user's session policy narrows it.
    const userRole = new IamRole(this, "user-role", {
      name: `${name}-users`,
      description: "SFTP users: the user-facing folders only (each user's session policy narrows this)",
      assumeRolePolicy: trustPolicy(account.accountId, [transferArn(`user/${this.server.id}/*`)]),
    });
    new IamRolePolicy(this, "user-policy", {
      role: userRole.id,
      name: "user-facing-folders",
      policy: policyDocument([
        {
          sid: "List",
          actions: ["s3:ListBucket"],
          resources: [bucket.arn],
          conditions: { StringLike: { "s3:prefix": sftpRoots(customer) } },
        },
        {
          sid: "Objects",
          actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
          resources: sftpRoots(customer).map((r) => `${bucket.arn}/${r}`),
        },
        {
          sid: "BucketKey",
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          resources: [kmsKeyArn],
          conditions: { StringEquals: { "kms:ViaService": `s3.${account.region}.amazonaws.com` } },
        },
      ]),
    });

    const outputs: Record<string, readonly string[]> = {};
    this.users = sftp.users.map((u) => {
      const view = sftpUserView(customer, u, bucket);
      // Its size (Transfer's 2048-character limit) was checked at load time: model/sftp.ts.
      const sessionPolicy = policyDocument(view.statements);
      const user = new TransferUser(this, `user-${u.name}`, {
        serverId: this.server.id,
        userName: u.name,
        role: userRole.arn,
        homeDirectoryType: "LOGICAL",
        homeDirectoryMappings: view.mappings.map((m) => ({ entry: m.entry, target: m.target })),
        policy: sessionPolicy,
        tags: { "as2-gateway:sftp-role": u.role },
      });
      u.publicKeys.forEach((key, k) => {
        new TransferSshKey(this, `key-${u.name}-${k}`, {
          serverId: this.server.id,
          userName: user.userName,
          body: key,
        });
      });
      outputs[u.name] = view.folders;
      return user;
    });

    new TerraformOutput(scope, "sftp_endpoint", {
      value: sftp.hostName ?? (eips.length ? eips.map((e) => e.publicIp) : this.server.endpoint),
      description: "host name (or Elastic IPs) SFTP users connect to on port 22",
    });
    new TerraformOutput(scope, "sftp_host_key_fingerprint", {
      value: this.server.hostKeyFingerprint,
      description: "SHA-256 fingerprint of the server's host key, to pin in users' known_hosts",
    });
    new TerraformOutput(scope, "sftp_user_folders", {
      value: outputs,
      description: "per SFTP user, the S3 prefixes it sees (the same paths over SFTP)",
    });
  }
}
