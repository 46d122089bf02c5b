/** Every bucket the stack creates has default encryption (SSE-KMS or SSE-S3) declared. */
import { blocks, mentions, type GuardRailRule } from "./rule";

const ACCEPTED = ["aws:kms", "aws:kms:dsse", "AES256"];

export const S3BucketEncryption: GuardRailRule = {
  id: "S3BucketEncryption",
  description: "S3 buckets declare default server-side encryption",
  appliesTo: ["aws_s3_bucket"],
  check(bucket, ctx) {
    const address = ctx.address(bucket);
    const algorithms = [
      // legacy inline block on the bucket
      ...blocks(ctx.config(bucket).server_side_encryption_configuration),
      ...ctx
        .elementsOfType("aws_s3_bucket_server_side_encryption_configuration")
        .map((e) => ctx.config(e))
        .filter((c) => mentions(c.bucket, address)),
    ]
      .flatMap((c) => blocks(c.rule))
      .flatMap((r) => blocks(r.apply_server_side_encryption_by_default))
      .map((d) => String(d.sse_algorithm));
    if (algorithms.some((a) => ACCEPTED.includes(a))) return [];
    return [
      "bucket has no server-side encryption configuration (aws_s3_bucket_server_side_encryption_configuration with aws:kms or AES256)",
    ];
  },
};
