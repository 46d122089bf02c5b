import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import type { Construct } from "constructs";
import { synthWithGuardRails } from "../helpers";

const rule = "[S3BucketEncryption]";
const block = (scope: Construct, b: S3Bucket) =>
  new S3BucketPublicAccessBlock(scope, `${b.node.id}-pab`, {
    bucket: b.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });

describe("guard rail S3BucketEncryption", () => {
  it("passes a bucket with an SSE-KMS configuration", () => {
    const { findings } = synthWithGuardRails((s) => {
      const b = new S3Bucket(s, "bucket", {});
      block(s, b);
      new S3BucketServerSideEncryptionConfigurationA(s, "sse", {
        bucket: b.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
      });
    });
    expect(findings.errors).toEqual([]);
  });

  it("fails a bucket without one, naming the construct", () => {
    const { findings } = synthWithGuardRails((s) => {
      const b = new S3Bucket(s, "bucket", {});
      block(s, b);
      // encryption declared for another bucket does not count
      const other = new S3Bucket(s, "other", {});
      block(s, other);
      new S3BucketServerSideEncryptionConfigurationA(s, "sse", {
        bucket: other.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      });
    });
    expect(findings.errors).toEqual([{ path: "test/bucket", message: expect.stringContaining(rule) }]);
  });
});
