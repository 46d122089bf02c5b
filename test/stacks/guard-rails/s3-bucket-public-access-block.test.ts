import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import type { Construct } from "constructs";
import { synthWithGuardRails } from "../helpers";

const encrypt = (scope: Construct, b: S3Bucket) =>
  new S3BucketServerSideEncryptionConfigurationA(scope, "sse", {
    bucket: b.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
  });

describe("guard rail S3BucketPublicAccessBlock", () => {
  it("passes a bucket that blocks all public access", () => {
    const { findings } = synthWithGuardRails((s) => {
      const b = new S3Bucket(s, "bucket", {});
      encrypt(s, b);
      new S3BucketPublicAccessBlock(s, "pab", {
        bucket: b.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    });
    expect(findings.errors).toEqual([]);
  });

  it("fails a bucket without a public access block", () => {
    const { findings } = synthWithGuardRails((s) => encrypt(s, new S3Bucket(s, "bucket", {})));
    expect(findings.errors).toEqual([
      { path: "test/bucket", message: "[S3BucketPublicAccessBlock] bucket has no aws_s3_bucket_public_access_block" },
    ]);
  });

  it("fails a block that leaves a setting off, naming it", () => {
    const { findings } = synthWithGuardRails((s) => {
      const b = new S3Bucket(s, "bucket", {});
      encrypt(s, b);
      new S3BucketPublicAccessBlock(s, "pab", {
        bucket: b.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: false,
      });
    });
    expect(findings.errors).toEqual([
      { path: "test/bucket", message: expect.stringContaining("restrict_public_buckets") },
    ]);
  });
});
