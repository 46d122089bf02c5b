/**
 * The customer's bucket and the customer-managed key that encrypts it (and the queues, table,
 * topic and log groups of the other constructs).
 *
 * A created bucket is hardened here: versioning, SSE-KMS with the key, public access blocked,
 * bucket-owner ownership, TLS-only bucket policy, EventBridge notifications, and lifecycle rules
 * that expire only finished work (the noncurrent versions its moves leave under the gateway's
 * private paths and `AS2/send/`). A bring-your-own bucket is read with a
 * data source and left as it is: its owner configures it (README, "What gets deployed").
 */
import { Construct } from "constructs";
import { Lazy, TerraformStack } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { DataAwsS3Bucket } from "@cdktf/provider-aws/lib/data-aws-s3-bucket";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import type { Customer } from "../../model/customer";
import { API_UPLOAD_ROOT, SEND_PREFIX, WORK_PREFIX, type LayoutPreset } from "../../model/layout";
import { API_LIMITS } from "../../model/api/limits";
import { GatewayFunction } from "../pipelines/gateway-function";
import { gatewayBucketPolicy } from "./gateway-bucket-policy";
import type { BucketRef } from "./context";

/**
 * The versions the gateway's finished moves leave behind (noncurrent, under the working paths and
 * `AS2/send/`) are kept at least this long: longer than the claims that may still name one (35
 * days) and than a dead-letter queue's 14 days, so no lifecycle rule removes what a stopped
 * delivery or a pending redrive may still need.
 */
export const MIN_WORKING_PATH_EXPIRY_DAYS = 36;

export interface GatewayStorageProps {
  readonly customer: Customer;
}

/** The account the stack deploys into, as Terraform references. */
export interface AccountRef {
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
}

/** A service that encrypts with the key on the customer's behalf (key policy statement). */
export interface KeyServiceGrant {
  /** e.g. `events.amazonaws.com` */
  readonly service: string;
  readonly actions: readonly string[];
}

/** Key administration and use by the account's IAM principals; IAM policies then decide who. */
const KEY_ACCOUNT_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:CreateGrant",
];

export class GatewayStorage extends Construct {
  readonly bucket: BucketRef;
  readonly kmsKey: KmsKey;
  readonly account: AccountRef;
  /** False for a bring-your-own bucket: nothing on it is managed by the stack. */
  readonly managesBucket: boolean;
  private readonly serviceGrants: KeyServiceGrant[] = [];
  /** The created bucket's policy (undefined for a bring-your-own bucket). */
  bucketPolicy?: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: GatewayStorageProps) {
    super(scope, id);
    const { customer } = props;
    const caller = new DataAwsCallerIdentity(this, "caller");
    const partition = new DataAwsPartition(this, "partition");
    this.account = { accountId: caller.accountId, partition: partition.partition, region: customer.region };

    // Services that write encrypted data for the gateway: logs (log groups), EventBridge (to
    // encrypted queues and topics), CloudWatch alarms and SNS (to the encrypted alarm topic).
    for (const service of ["events.amazonaws.com", "cloudwatch.amazonaws.com", "sns.amazonaws.com"]) {
      this.allowServiceToUseKey({ service, actions: ["kms:Decrypt", "kms:GenerateDataKey*"] });
    }
    this.kmsKey = new KmsKey(this, "key", {
      description: `as2-transfer-gateway ${customer.name}: bucket, queues, table, logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: Lazy.stringValue({ produce: () => this.keyPolicy() }),
    });
    new KmsAlias(this, "key-alias", { name: `alias/as2-${customer.name}`, targetKeyId: this.kmsKey.keyId });

    if (customer.bucket.existing) {
      const b = new DataAwsS3Bucket(this, "bucket", { bucket: customer.bucket.existing });
      this.bucket = { name: b.bucket, arn: b.arn };
      this.managesBucket = false;
      return;
    }
    const b = new S3Bucket(this, "bucket", {
      ...(customer.bucket.name ? { bucket: customer.bucket.name } : { bucketPrefix: `as2-${customer.name}-` }),
    });
    this.bucket = { name: b.bucket, arn: b.arn };
    this.managesBucket = true;
    this.harden(b, customer.bucket.workingPathExpiryDays, customer.layout);
  }

  /** Adds a key policy statement for an AWS service acting in this account. */
  allowServiceToUseKey(grant: KeyServiceGrant): void {
    this.serviceGrants.push(grant);
  }

  private keyPolicy(): string {
    const { accountId, partition, region } = this.account;
    return JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AccountPrincipalsThroughIam",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: KEY_ACCOUNT_ACTIONS,
          Resource: "*",
        },
        {
          Sid: "CloudWatchLogsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: `logs.${region}.amazonaws.com` },
          Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          Resource: "*",
          Condition: {
            ArnLike: {
              "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*`,
            },
          },
        },
        ...this.serviceGrants.map((g, i) => ({
          Sid: `Service${i}${g.service.split(".")[0]!.replace(/[^A-Za-z0-9]/g, "")}`,
          Effect: "Allow",
          Principal: { Service: g.service },
          Action: [...g.actions],
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceAccount": accountId } },
        })),
      ],
    });
  }

  /** Every IAM role of this stack: the gateway's functions, Transfer's roles, delivery roles. */
  private stackRoleArns(): string[] {
    return TerraformStack.of(this)
      .node.findAll()
      .filter((c): c is IamRole => c instanceof IamRole)
      .map((r) => r.arn);
  }

  private harden(b: S3Bucket, expiryDays: number, layout: LayoutPreset): void {
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: b.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: b.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const versioning = new S3BucketVersioningA(this, "versioning", {
      bucket: b.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: b.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.kmsKey.arn },
          bucketKeyEnabled: true,
        },
      ],
    });
    // The principal running `cdktf deploy` (for an assumed role, the role's ARN): it writes the routing document.
    const deployer = new DataAwsIamSessionContext(this, "deployer", {
      arn: (this.node.findChild("caller") as DataAwsCallerIdentity).arn,
    });
    // Built at synth, once every role of the stack exists (stacks/platform/gateway-bucket-policy.ts).
    this.bucketPolicy = new S3BucketPolicy(this, "tls-only", {
      bucket: b.id,
      policy: Lazy.stringValue({
        produce: () =>
          gatewayBucketPolicy({
            bucketArn: b.arn,
            layout,
            gatewayWriters: [...this.stackRoleArns(), deployer.issuerArn],
            functionRoles: TerraformStack.of(this)
              .node.findAll()
              .filter((c): c is GatewayFunction => c instanceof GatewayFunction)
              .map((f) => f.role.arn),
          }),
      }),
    });
    new S3BucketNotification(this, "eventbridge", { bucket: b.id, eventbridge: true });

    // Only finished work expires, with no request per message: current versions under the
    // working paths never do, because what is current there is open work (owned by a claim or a
    // message index item, finished by the reconciler, its age alarmed on) or, on the send side,
    // Transfer's status and MDN files. A finished move deletes its source, which on this
    // versioned bucket makes it noncurrent ("Expiring objects", S3 User Guide: deletes and
    // expirations turn the current version noncurrent); noncurrent versions then expire
    // `noncurrentDays` after that (S3 API reference, NoncurrentVersionExpiration: "the number of
    // days an object is noncurrent"), never sooner than MIN_WORKING_PATH_EXPIRY_DAYS. Delete
    // markers left alone are removed (ExpiredObjectDeleteMarker, which S3 accepts only without
    // Days in the same Expiration). Routed files (inbox/, outbox/, failed/) are the user's: no rule.
    const keepDays = Math.max(expiryDays, MIN_WORKING_PATH_EXPIRY_DAYS);
    const abort = [{ daysAfterInitiation: 1 }];
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: b.id,
      dependsOn: [versioning],
      rule: [
        ...[WORK_PREFIX, SEND_PREFIX].map((prefix) => ({
          id: `noncurrent-${prefix.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}`,
          status: "Enabled",
          filter: [{ prefix }],
          noncurrentVersionExpiration: [{ noncurrentDays: keepDays }],
          expiration: [{ expiredObjectDeleteMarker: true }],
          abortIncompleteMultipartUpload: abort,
        })),
        // The one exception to "current versions never expire": REST API uploads that were never
        // committed (the committed copy lives in the send folder). Overlapping the `_gateway/` rule
        // is allowed; S3 applies both, the shorter expiration first ("How Amazon S3 handles
        // conflicts in lifecycle configurations", S3 User Guide), and that rule then keeps the
        // expired upload as a noncurrent version for keepDays.
        {
          id: "uncommitted-api-uploads",
          status: "Enabled",
          filter: [{ prefix: API_UPLOAD_ROOT }],
          expiration: [{ days: API_LIMITS.uploadExpiryDays }],
          abortIncompleteMultipartUpload: abort,
        },
      ],
    });
  }
}
