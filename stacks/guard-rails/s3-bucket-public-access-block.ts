/** Every bucket the stack creates blocks public access with all four settings. */
import { mentions, type GuardRailRule } from "./rule";

const FLAGS = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] as const;

export const S3BucketPublicAccessBlock: GuardRailRule = {
  id: "S3BucketPublicAccessBlock",
  description: "S3 buckets block public access (all four settings)",
  appliesTo: ["aws_s3_bucket"],
  check(bucket, ctx) {
    const address = ctx.address(bucket);
    const blocks = ctx
      .elementsOfType("aws_s3_bucket_public_access_block")
      .map((e) => ctx.config(e))
      .filter((c) => mentions(c.bucket, address));
    if (blocks.length === 0) return ["bucket has no aws_s3_bucket_public_access_block"];
    const missing = FLAGS.filter((f) => !blocks.some((b) => b[f] === true));
    return missing.length ? [`public access block does not set ${missing.join(", ")} to true`] : [];
  },
};
