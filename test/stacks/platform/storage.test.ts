import { customerInput } from "../../helpers/customer-factory";
import {
  API_UPLOAD_ROOT,
  folderPrefix,
  INBOUND_WORK_ROOT,
  OUTBOUND_WORK_ROOT,
  ROUTING_DOCUMENT_KEY,
  SEND_PREFIX,
  sendPrefix,
  WORK_PREFIX,
} from "../../../model/layout";
import { CLAIM_TTL_DAYS } from "../../../handlers/send/claims";
import { all, one, ref, synthCustomer } from "../helpers";
import { MIN_WORKING_PATH_EXPIRY_DAYS } from "../../../stacks/platform/storage";

describe("storage: a created bucket", () => {
  const { tf } = synthCustomer(customerInput({ bucket: { workingPathExpiryDays: 12 } }));
  const bucketId = Object.keys(tf.resource.aws_s3_bucket!)[0]!;
  const keyId = Object.keys(tf.resource.aws_kms_key!)[0]!;
  const bucketRef = ref("aws_s3_bucket", bucketId, "id");

  it("is versioned, SSE-KMS with the customer key (bucket key on), owner-enforced and not public", () => {
    expect(one(tf, "aws_s3_bucket_versioning")).toMatchObject({
      bucket: bucketRef,
      versioning_configuration: { status: "Enabled" },
    });
    const sse = one(tf, "aws_s3_bucket_server_side_encryption_configuration");
    expect(sse.bucket).toBe(bucketRef);
    expect(sse.rule).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: "aws:kms",
          kms_master_key_id: ref("aws_kms_key", keyId, "arn"),
        },
        bucket_key_enabled: true,
      },
    ]);
    expect(one(tf, "aws_s3_bucket_ownership_controls")).toMatchObject({
      bucket: bucketRef,
      rule: { object_ownership: "BucketOwnerEnforced" },
    });
    expect(one(tf, "aws_s3_bucket_public_access_block")).toMatchObject({
      bucket: bucketRef,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(tf, "aws_s3_bucket_notification")).toMatchObject({ bucket: bucketRef, eventbridge: true });
  });

  it("denies every request that does not use TLS", () => {
    const policy = JSON.parse(one(tf, "aws_s3_bucket_policy").policy);
    expect(policy.Statement[0]).toEqual(
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [ref("aws_s3_bucket", bucketId, "arn"), `${ref("aws_s3_bucket", bucketId, "arn")}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
  });

  const bucketArn = ref("aws_s3_bucket", bucketId, "arn");
  const statement = (sid: string) =>
    (JSON.parse(one(tf, "aws_s3_bucket_policy").policy).Statement as any[]).find((s) => s.Sid === sid);
  const roleArns = (pattern: RegExp) =>
    Object.entries(tf.resource.aws_iam_role!)
      .filter(([, r]) => pattern.test(r.name))
      .map(([id]) => ref("aws_iam_role", id, "arn"))
      .sort();

  it("denies writes and deletes under _gateway/ to everyone but the stack's roles and the deployer", () => {
    const s = statement("GatewayPathsWrittenByTheGatewayOnly");
    expect(s).toMatchObject({ Effect: "Deny", Principal: "*", Resource: [`${bucketArn}/_gateway/*`] });
    expect(s.Action).toEqual(expect.arrayContaining(["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]));
    const allowed: string[] = s.Condition.ArnNotEquals["aws:PrincipalArn"];
    const deployer = allowed.filter((a) => a.includes("aws_iam_session_context"));
    expect(deployer).toEqual([expect.stringMatching(/^\$\{data\.aws_iam_session_context\..*\.issuer_arn\}$/)]);
    expect(allowed.filter((a) => !deployer.includes(a)).sort()).toEqual(roleArns(/./));
    expect(allowed).toEqual(expect.arrayContaining(roleArns(/-transfer-(agreements|connectors)$/)));
  });

  it("denies the send and receive functions any delete of a routed file", () => {
    const s = statement("FunctionsNeverDeleteRoutedFiles");
    expect(s.Action).toEqual(["s3:DeleteObject", "s3:DeleteObjectVersion"]);
    expect(s.Resource).toEqual(["inbox", "outbox", "failed"].map((f) => `${bucketArn}/AS2/files/*/${f}/*`));
    expect([...s.Condition.ArnEquals["aws:PrincipalArn"]].sort()).toEqual(roleArns(/-fn$/));
    expect(roleArns(/-fn$/).length).toBeGreaterThanOrEqual(4);
  });

  it("expires only finished work: never a current version, noncurrent versions after workingPathExpiryDays (at least 36 days)", () => {
    // The REST API's uncommitted uploads are the one exception (test/api/api-stack.test.ts).
    const rules: any[] = one(tf, "aws_s3_bucket_lifecycle_configuration").rule.filter(
      (r: any) => r.filter[0].prefix !== API_UPLOAD_ROOT,
    );
    // Current versions under the working paths are open work (or the gateway's own config): no rule
    // expires a current version anywhere, so nothing a claim or a message index item names goes.
    expect(rules.filter((r) => r.expiration?.some((e: any) => e.days !== undefined || e.date !== undefined))).toEqual(
      [],
    );
    // What finished moves leave (noncurrent versions of sources, delete markers) expires.
    expect(rules.map((r) => r.filter[0].prefix).sort()).toEqual([SEND_PREFIX, WORK_PREFIX].sort());
    for (const r of rules) {
      // 12 asked; never less than the longest path to recovery (claims 35 days, DLQs 14 days).
      expect(r.noncurrent_version_expiration).toEqual([{ noncurrent_days: MIN_WORKING_PATH_EXPIRY_DAYS }]);
      expect(r.expiration).toEqual([{ expired_object_delete_marker: true }]);
    }
    expect(MIN_WORKING_PATH_EXPIRY_DAYS).toBeGreaterThan(CLAIM_TTL_DAYS);
    for (const key of [INBOUND_WORK_ROOT, OUTBOUND_WORK_ROOT, ROUTING_DOCUMENT_KEY])
      expect(rules.some((r) => key.startsWith(r.filter[0].prefix))).toBe(true);
    // No rule's prefix covers a user-facing folder, in either layout.
    const route = { station: "ACME", partner: "PARTNER", test: false };
    const userKeys = (["mftgateway", "as2gateway"] as const).flatMap((l) =>
      (["inbox", "outbox", "failed"] as const).map((f) => `${folderPrefix(l, route, f)}x.edi`),
    );
    for (const r of rules) {
      const prefix: string = r.filter[0].prefix;
      expect(prefix.length).toBeGreaterThan(0);
      for (const key of userKeys) expect(key.startsWith(prefix)).toBe(false);
    }
    expect(sendPrefix(route).startsWith(SEND_PREFIX)).toBe(true);
  });

  it("keeps noncurrent versions longer than workingPathExpiryDays asks when that is longer than the floor", () => {
    const { tf: long } = synthCustomer(customerInput({ bucket: { workingPathExpiryDays: 90 } }));
    const rules: any[] = one(long, "aws_s3_bucket_lifecycle_configuration").rule;
    expect(rules.map((r) => r.noncurrent_version_expiration?.[0].noncurrent_days)).toEqual([90, 90, undefined]);
  });

  it("uses a rotating customer-managed key whose policy lets logs and event services use it", () => {
    const key = one(tf, "aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    const policy = JSON.parse(key.policy);
    const actions = policy.Statement.flatMap((s: any) => s.Action);
    expect(actions).not.toContain("kms:*");
    const services = policy.Statement.map((s: any) => s.Principal.Service).filter(Boolean);
    expect(services).toEqual(
      expect.arrayContaining(["logs.eu-west-1.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"]),
    );
    const logs = policy.Statement.find((s: any) => s.Principal.Service === "logs.eu-west-1.amazonaws.com");
    expect(logs.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"]).toMatch(
      /^arn:.*:logs:eu-west-1:.*:log-group:\*$/,
    );
  });
});

describe("storage: bring your own bucket", () => {
  const { tf } = synthCustomer(customerInput({ bucket: { existing: "acme-edi" } }));

  it("reads the bucket and manages nothing on it", () => {
    expect(Object.values(tf.data.aws_s3_bucket ?? {})).toEqual([expect.objectContaining({ bucket: "acme-edi" })]);
    for (const type of Object.keys(tf.resource)) expect(type.startsWith("aws_s3_bucket")).toBe(false);
  });

  it("still writes the routing document into it, encrypted with the gateway key", () => {
    const obj = one(tf, "aws_s3_object");
    expect(obj.bucket).toMatch(/^\$\{data\.aws_s3_bucket\./);
    expect(obj.server_side_encryption).toBe("aws:kms");
    expect(all(tf, "aws_kms_key")).toHaveLength(1);
  });
});
