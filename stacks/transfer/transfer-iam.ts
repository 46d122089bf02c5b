/**
 * The roles AWS Transfer Family assumes for one customer's gateway, each trusted by this
 * customer's Transfer resources only and allowed on this customer's bucket prefixes only:
 *
 * - agreement role: read/write on the inbound working root (`_gateway/inbound/`), where each
 *   agreement's base directory lives; trusted by `agreement/<server-id>/*` (this server's agreements);
 * - connector roles: read/write on the outbound working root (`_gateway/outbound/`), the parent
 *   directory of every file the send pipeline hands to StartFileTransfer. Partners without basic
 *   authentication share one role, trusted by their connectors; each partner with a basic-auth
 *   secret gets its own role that alone can read that secret (and decrypt it with the secret's own
 *   key when declared), so one connector can never read another partner's credentials;
 * - logging role: AWSTransferLoggingAccess, trusted by this server and these connectors.
 *
 * Facts (Transfer user guide, "Cross-service confused deputy prevention",
 * https://docs.aws.amazon.com/transfer/latest/userguide/confused-deputy.html): the access role is
 * assumed with the agreement's ARN as `aws:SourceArn` for inbound AS2 and the connector's ARN for
 * outbound AS2; `aws:SourceAccount` must be the account of that ARN. An agreement's ARN is
 * `arn:${Partition}:transfer:${Region}:${Account}:agreement/${ServerId}/${AgreementId}` (Service
 * Authorization Reference, "Actions, resources, and condition keys for AWS Transfer Family",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awstransferfamily.html). Basic auth needs
 * `secretsmanager:GetSecretValue` on the secret and `kms:Decrypt` on its key when that key is
 * customer-managed (Transfer API reference, CreateConnector/UpdateAgreement `AccessRole`).
 *
 * The server and the connectors are given role ARNs spelled from the role names, not Terraform
 * references: a role's trust names the server and connector ARNs, so a reference back would be a
 * dependency cycle. Terraform therefore creates the server and connectors first, then the roles
 * (Transfer assumes a role only when it moves a file, after the apply).
 */
import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { Customer, Partner } from "../../model/customer";
import { INBOUND_WORK_ROOT, OUTBOUND_WORK_ROOT, stableTag } from "../../model/layout";
import type { BucketRef, PartnerResources } from "../platform/context";
import { policyDocument, type PolicyStatement } from "../pipelines/gateway-function";
import type { AccountRef } from "../platform/storage";
import { serviceTrustPolicy } from "../platform/service-trust";

export interface TransferRolesProps {
  readonly customer: Customer;
  readonly bucket: BucketRef;
  readonly kmsKeyArn: string;
  readonly account: AccountRef;
}

/**
 * Object-level actions Transfer performs in a working directory. No `DeleteObjectVersion` (the
 * gateway's lifecycle rules expire old versions) and no ACL writes (`BucketOwnerEnforced`).
 */
export const TRANSFER_OBJECT_ACTIONS = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:GetObjectAcl",
  "s3:PutObject",
  "s3:DeleteObject",
] as const;
/** SSE-KMS: reading needs Decrypt, writing needs GenerateDataKey. */
export const TRANSFER_KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"] as const;

interface TrustTargets {
  serverId?: string;
  serverArn?: string;
  partners: readonly PartnerResources[];
}

export class TransferRoles extends Construct {
  readonly agreementRole: IamRole;
  /** The server's logging role (it also serves the first connectors). */
  loggingRole!: IamRole;
  /** The first role shared by partners without basic authentication; absent when there are none. */
  connectorRole?: IamRole;
  /** Per partner without basic authentication: its group's shared role. */
  private readonly sharedConnectorRoles = new Map<string, IamRole>();
  private readonly loggingRoleNames = new Map<string, string>();
  /** Per partner with basic authentication (`<station>\n<partner>`). */
  readonly basicAuthConnectorRoles = new Map<string, IamRole>();
  /** For the server and the connectors: the logging role's ARN spelled from its name (no cycle). */
  readonly loggingRoleArn: string;
  private readonly targets: TrustTargets = { partners: [] };
  private readonly roleArnOf: (name: string) => string;
  private readonly transferArn: (resource: string) => string;

  constructor(scope: Construct, id: string, props: TransferRolesProps) {
    super(scope, id);
    const { customer, bucket, kmsKeyArn, account } = props;
    const prefix = `as2-${customer.name}`;
    this.transferArn = (resource) =>
      `arn:${account.partition}:transfer:${account.region}:${account.accountId}:${resource}`;
    this.roleArnOf = (name) => `arn:${account.partition}:iam::${account.accountId}:role/${name}`;
    const trust = (sourceArns: () => string[]) =>
      Lazy.stringValue({ produce: () => trustPolicy(account.accountId, sourceArns()) });

    this.agreementRole = new IamRole(this, "agreement", {
      name: `${prefix}-transfer-agreements`,
      description: "AS2 agreements: write received messages into the gateway's inbound working root",
      assumeRolePolicy: trust(() => [this.transferArn(`agreement/${this.required("serverId")}/*`)]),
    });
    new IamRolePolicy(this, "agreement-policy", {
      role: this.agreementRole.id,
      name: "inbound-working-root",
      policy: policyDocument(prefixAccess(bucket, INBOUND_WORK_ROOT, kmsKeyArn, account.region)),
    });

    // A trust policy holds at most 2048 characters (IAM quotas, "Role trust policy length"), so
    // connectors share a role in groups of CONNECTORS_PER_ROLE, in a stable order.
    const shared = customer.partners.filter((p) => !p.outbound.basicAuthSecretArn);
    groups(shared, CONNECTORS_PER_ROLE).forEach((members, g) => {
      const role = new IamRole(this, g === 0 ? "connector" : `connector-group-${g}`, {
        name: g === 0 ? `${prefix}-transfer-connectors` : `${prefix}-transfer-connectors-${g}`,
        description: "AS2 connectors: read files to send and write MDNs and status files in the outbound working root",
        assumeRolePolicy: trust(() => this.connectorArns(members)),
      });
      new IamRolePolicy(this, g === 0 ? "connector-policy" : `connector-group-${g}-policy`, {
        role: role.id,
        name: "outbound-working-root",
        policy: policyDocument(prefixAccess(bucket, OUTBOUND_WORK_ROOT, kmsKeyArn, account.region)),
      });
      if (g === 0) this.connectorRole = role;
      for (const p of members) this.sharedConnectorRoles.set(routeKey(p), role);
    });
    for (const p of customer.partners.filter((x) => x.outbound.basicAuthSecretArn)) {
      const tag = stableTag(routeKey(p));
      const role = new IamRole(this, `connector-${tag}`, {
        name: `${prefix}-connector-${tag}`,
        description: `AS2 connector ${p.station}->${p.as2Id}: outbound working root and its basic-auth secret`
          .replace(/[^\t\n\r\x20-\x7e]/g, "_")
          .slice(0, 1000),
        assumeRolePolicy: trust(() => this.connectorArns([p])),
      });
      new IamRolePolicy(this, `connector-${tag}-policy`, {
        role: role.id,
        name: "outbound-working-root-and-secret",
        policy: policyDocument([
          ...prefixAccess(bucket, OUTBOUND_WORK_ROOT, kmsKeyArn, account.region),
          ...basicAuthSecretAccess(p, account.region),
        ]),
      });
      this.basicAuthConnectorRoles.set(routeKey(p), role);
    }

    // The server and the first connectors share the first logging role; the rest come in groups
    // for the same trust policy limit.
    const logged = groups(customer.partners, CONNECTORS_PER_ROLE, CONNECTORS_PER_ROLE - 1);
    const loggingName = (g: number) => (g === 0 ? `${prefix}-transfer-logging` : `${prefix}-transfer-logging-${g}`);
    logged.forEach((members, g) => {
      const role = new IamRole(this, g === 0 ? "logging" : `logging-group-${g}`, {
        name: loggingName(g),
        description: "AS2 server and connectors: write CloudWatch logs",
        assumeRolePolicy: trust(() => [
          ...(g === 0 ? [this.required("serverArn")] : []),
          ...this.connectorArns(members),
        ]),
      });
      new IamRolePolicyAttachment(this, g === 0 ? "logging-policy" : `logging-group-${g}-policy`, {
        role: role.name,
        policyArn: `arn:${account.partition}:iam::aws:policy/service-role/AWSTransferLoggingAccess`,
      });
      if (g === 0) this.loggingRole = role;
      for (const p of members) this.loggingRoleNames.set(routeKey(p), loggingName(g));
    });
    if (logged.length === 0) {
      this.loggingRole = new IamRole(this, "logging", {
        name: loggingName(0),
        description: "AS2 server and connectors: write CloudWatch logs",
        assumeRolePolicy: trust(() => [this.required("serverArn")]),
      });
      new IamRolePolicyAttachment(this, "logging-policy", {
        role: this.loggingRole.name,
        policyArn: `arn:${account.partition}:iam::aws:policy/service-role/AWSTransferLoggingAccess`,
      });
    }
    this.loggingRoleArn = this.roleArnOf(loggingName(0));
  }

  /** The logging role of a partner's connector, spelled from its name (its trust names the connector). */
  loggingRoleArnFor(p: Pick<Partner, "station" | "as2Id">): string {
    const name = this.loggingRoleNames.get(routeKey(p));
    if (!name) throw new Error(`no logging role for ${p.station}/${p.as2Id}`);
    return this.roleArnOf(name);
  }

  /** The access role of a partner's connector, spelled from its name (its trust names the connector). */
  connectorRoleArnFor(p: Pick<Partner, "station" | "as2Id">): string {
    const role = this.basicAuthConnectorRoles.get(routeKey(p)) ?? this.sharedConnectorRoles.get(routeKey(p));
    if (!role) throw new Error(`no connector role for ${p.station}/${p.as2Id}`);
    return this.roleArnOf(role.nameInput!);
  }

  /** Scopes every trust to this customer's server, agreements and connectors (call once they exist). */
  trustResources(server: { id: string; arn: string }, partners: readonly PartnerResources[]): void {
    this.targets.serverId = server.id;
    this.targets.serverArn = server.arn;
    this.targets.partners = partners;
  }

  private required(k: "serverId" | "serverArn"): string {
    const v = this.targets[k];
    if (!v) throw new Error("TransferRoles.trustResources() was not called: the roles would trust nothing");
    return v;
  }

  private connectorArns(partners: readonly Pick<Partner, "station" | "as2Id">[]): string[] {
    const wanted = new Set(partners.map(routeKey));
    const arns = this.targets.partners
      .filter((r) => wanted.has(routeKey({ station: r.station, as2Id: r.partner })))
      .map((r) => r.connectorArn);
    if (arns.length !== wanted.size)
      throw new Error("TransferRoles.trustResources() was not given every connector: the roles would trust nothing");
    return arns;
  }
}

/**
 * Connectors one role may trust: each ARN costs ~75 characters of the 2048 a trust policy may hold
 * (IAM quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export const CONNECTORS_PER_ROLE = 15;

/** Partners in a stable order (by route), cut into groups; the first group may be smaller. */
function groups<P extends Pick<Partner, "station" | "as2Id">>(
  partners: readonly P[],
  size: number,
  first = size,
): P[][] {
  const sorted = [...partners].sort((a, b) => (routeKey(a) < routeKey(b) ? -1 : routeKey(a) > routeKey(b) ? 1 : 0));
  const out: P[][] = [];
  for (let i = 0; i < sorted.length;) {
    const n = out.length === 0 ? first : size;
    out.push(sorted.slice(i, i + n));
    i += n;
  }
  return out;
}

function routeKey(p: Pick<Partner, "station" | "as2Id">): string {
  return `${p.station}\n${p.as2Id}`;
}

/** Trust for transfer.amazonaws.com from this account and the given Transfer resources only. */
export function trustPolicy(accountId: string, sourceArns: readonly string[]): string {
  return serviceTrustPolicy("transfer.amazonaws.com", accountId, sourceArns);
}

/** The basic-auth secret of one partner, and its customer-managed key when declared. */
function basicAuthSecretAccess(p: Partner, region: string): PolicyStatement[] {
  const o = p.outbound;
  if (!o.basicAuthSecretArn) return [];
  return [
    { sid: "BasicAuthSecret", actions: ["secretsmanager:GetSecretValue"], resources: [o.basicAuthSecretArn] },
    ...(o.basicAuthSecretKmsKeyArn
      ? [
          {
            sid: "BasicAuthSecretKey",
            actions: ["kms:Decrypt"],
            resources: [o.basicAuthSecretKmsKeyArn],
            conditions: {
              StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` },
              // Secrets Manager's encryption context names the secret (Secrets Manager user guide,
              // "Secret encryption and decryption": SecretARN).
              StringLike: { "kms:EncryptionContext:SecretARN": [o.basicAuthSecretArn] },
            },
          },
        ]
      : []),
  ];
}

/**
 * Read/write on one key prefix of the bucket, listing limited to it, and the bucket key only
 * through S3 for this bucket. With S3 Bucket Keys the encryption context is the bucket ARN, else the
 * object ARN (S3 user guide, "Configuring your bucket to use an S3 Bucket Key",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-bucket-key.html).
 */
export function prefixAccess(bucket: BucketRef, prefix: string, kmsKeyArn: string, region: string): PolicyStatement[] {
  return [
    { sid: "Objects", actions: [...TRANSFER_OBJECT_ACTIONS], resources: [`${bucket.arn}/${prefix}*`] },
    {
      sid: "List",
      actions: ["s3:ListBucket"],
      resources: [bucket.arn],
      conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } },
    },
    { sid: "Location", actions: ["s3:GetBucketLocation"], resources: [bucket.arn] },
    {
      sid: "Key",
      actions: [...TRANSFER_KMS_ACTIONS],
      resources: [kmsKeyArn],
      conditions: {
        StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucket.arn, `${bucket.arn}/${prefix}*`] },
      },
    },
  ];
}
