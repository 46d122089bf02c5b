/**
 * The created bucket's policy: what IAM policies alone cannot promise.
 *
 * - TLS only.
 * - `_gateway/` (Transfer's working directories, files being sent, the routing document) is written
 *   and deleted by the gateway's own roles, Transfer's roles and the principal that deploys the
 *   stack, and by nobody else, whatever their IAM policies allow: a writer there could remap
 *   routes or swap a file between claim and send. The lifecycle rules are not principals and
 *   keep expiring working files.
 * - The send and receive functions only add to `inbox/`, `outbox/` and `failed/`: deleting a
 *   routed file is a user's act, never the gateway's.
 *
 * `aws:PrincipalArn` is the role's ARN for an assumed-role session (IAM user guide, "AWS global
 * condition context keys", aws:PrincipalArn:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn);
 * an explicit Deny in a bucket policy wins over any Allow (IAM user guide, "Policy evaluation logic").
 */
import type { LayoutPreset } from "../../model/layout";
import { WORK_PREFIX, routedFolderPattern } from "../../model/layout";

/** Object writes and deletes: every way to change what is stored under a key. */
export const OBJECT_WRITE_ACTIONS = [
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:PutObjectTagging",
  "s3:DeleteObjectTagging",
  "s3:PutObjectVersionTagging",
  "s3:DeleteObjectVersionTagging",
  "s3:RestoreObject",
] as const;

export const ROUTED_FOLDERS = ["inbox", "outbox", "failed"] as const;

export interface GatewayBucketPolicyProps {
  readonly bucketArn: string;
  readonly layout: LayoutPreset;
  /** Roles (and the deployer) that may write under `_gateway/`. */
  readonly gatewayWriters: readonly string[];
  /** Roles of the send and receive functions: never delete a routed file. */
  readonly functionRoles: readonly string[];
}

export function gatewayBucketPolicy(p: GatewayBucketPolicyProps): string {
  const statements: object[] = [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [p.bucketArn, `${p.bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    {
      Sid: "GatewayPathsWrittenByTheGatewayOnly",
      Effect: "Deny",
      Principal: "*",
      Action: [...OBJECT_WRITE_ACTIONS],
      Resource: [`${p.bucketArn}/${WORK_PREFIX}*`],
      Condition: { ArnNotEquals: { "aws:PrincipalArn": [...new Set(p.gatewayWriters)] } },
    },
  ];
  if (p.functionRoles.length > 0)
    statements.push({
      Sid: "FunctionsNeverDeleteRoutedFiles",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      Resource: ROUTED_FOLDERS.map((f) => `${p.bucketArn}/${routedFolderPattern(p.layout, f)}`),
      Condition: { ArnEquals: { "aws:PrincipalArn": [...new Set(p.functionRoles)] } },
    });
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
