/**
 * The roles AWS Transfer Family assumes for the gateway: one per direction, scoped by prefix
 * (a role per partner would multiply IAM resources by the partner count for no gain in
 * isolation: every agreement writes under the same private root, every connector reads from it).
 *
 * - agreement role: read/write on the inbound working root (`_gateway/inbound/`), where each
 *   agreement's base directory lives;
 * - connector role: read/write on the outbound working root (`_gateway/outbound/`), the parent
 *   directory of every file the send pipeline hands to StartFileTransfer;
 * - logging role: AWSTransferLoggingAccess for the server and the connectors.
 *
 * Each trusts transfer.amazonaws.com only for this account (aws:SourceAccount) and only for
 * Transfer resources of this account and region (aws:SourceArn).
 */
import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { Customer } from "../../model/customer";
import { INBOUND_WORK_ROOT, OUTBOUND_WORK_ROOT } from "../../model/layout";
import type { BucketRef } from "../platform/context";
import { policyDocument, type PolicyStatement } from "../pipelines/gateway-function";
import type { AccountRef } from "../platform/storage";

export interface TransferRolesProps {
  readonly customer: Customer;
  readonly bucket: BucketRef;
  readonly kmsKeyArn: string;
  readonly account: AccountRef;
}

/** Object-level actions Transfer performs in a working directory (AWS's documented AS2 set). */
export const TRANSFER_OBJECT_ACTIONS = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:GetObjectAcl",
  "s3:PutObject",
  "s3:PutObjectAcl",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
] as const;
/** SSE-KMS: reading needs Decrypt, writing needs GenerateDataKey. */
export const TRANSFER_KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"] as const;

export class TransferRoles extends Construct {
  readonly agreementRole: IamRole;
  readonly connectorRole: IamRole;
  readonly loggingRole: IamRole;

  constructor(scope: Construct, id: string, props: TransferRolesProps) {
    super(scope, id);
    const { customer, bucket, kmsKeyArn, account } = props;
    const prefix = `as2-${customer.name}`;
    const transferArn = (resource: string) =>
      `arn:${account.partition}:transfer:${account.region}:${account.accountId}:${resource}`;

    this.agreementRole = new IamRole(this, "agreement", {
      name: `${prefix}-transfer-agreements`,
      description: "AS2 agreements: write received messages into the gateway's inbound working root",
      assumeRolePolicy: trustPolicy(account.accountId, [transferArn("server/*"), transferArn("agreement/*")]),
    });
    new IamRolePolicy(this, "agreement-policy", {
      role: this.agreementRole.id,
      name: "inbound-working-root",
      policy: policyDocument(prefixAccess(bucket, INBOUND_WORK_ROOT, kmsKeyArn)),
    });

    this.connectorRole = new IamRole(this, "connector", {
      name: `${prefix}-transfer-connectors`,
      description: "AS2 connectors: read files to send and write MDNs and status files in the outbound working root",
      assumeRolePolicy: trustPolicy(account.accountId, [transferArn("connector/*")]),
    });
    const basicAuthSecrets = [
      ...new Set(customer.partners.map((p) => p.outbound.basicAuthSecretArn).filter((a): a is string => !!a)),
    ];
    new IamRolePolicy(this, "connector-policy", {
      role: this.connectorRole.id,
      name: "outbound-working-root",
      policy: policyDocument([
        ...prefixAccess(bucket, OUTBOUND_WORK_ROOT, kmsKeyArn),
        ...(basicAuthSecrets.length
          ? [{ sid: "BasicAuthSecrets", actions: ["secretsmanager:GetSecretValue"], resources: basicAuthSecrets }]
          : []),
      ]),
    });

    this.loggingRole = new IamRole(this, "logging", {
      name: `${prefix}-transfer-logging`,
      description: "AS2 server and connectors: write CloudWatch logs",
      assumeRolePolicy: trustPolicy(account.accountId, [transferArn("server/*"), transferArn("connector/*")]),
    });
    new IamRolePolicyAttachment(this, "logging-policy", {
      role: this.loggingRole.name,
      policyArn: `arn:${account.partition}:iam::aws:policy/service-role/AWSTransferLoggingAccess`,
    });
  }
}

function trustPolicy(accountId: string, sourceArns: readonly string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "transfer.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": [...sourceArns] },
        },
      },
    ],
  });
}

/** Read/write on one key prefix of the bucket, listing limited to it, and the key's data actions. */
export function prefixAccess(bucket: BucketRef, prefix: string, kmsKeyArn: string): PolicyStatement[] {
  return [
    { sid: "Objects", actions: [...TRANSFER_OBJECT_ACTIONS], resources: [`${bucket.arn}/${prefix}*`] },
    {
      sid: "List",
      actions: ["s3:ListBucket"],
      resources: [bucket.arn],
      conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } },
    },
    { sid: "Location", actions: ["s3:GetBucketLocation"], resources: [bucket.arn] },
    { sid: "Key", actions: [...TRANSFER_KMS_ACTIONS], resources: [kmsKeyArn] },
  ];
}
