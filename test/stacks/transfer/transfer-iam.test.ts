import { customerInput, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import { INBOUND_WORK_ROOT, OUTBOUND_WORK_ROOT } from "../../../model/layout";
import { ref, synthCustomer } from "../helpers";

const cert = { signing: { pem: SAMPLE_CERT_PEM } };
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:basic-AbC";
const SECRET_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("Transfer roles", () => {
  const { tf } = synthCustomer(
    customerInput({
      partners: [
        { as2Id: "PARTNER", station: "ACME", url: "https://partner.example/as2", certificates: cert },
        {
          as2Id: "BASIC",
          station: "ACME",
          url: "https://basic.example/as2",
          certificates: cert,
          outbound: { basicAuthSecretArn: SECRET, basicAuthSecretKmsKeyArn: SECRET_KEY },
        },
      ],
    }),
  );
  const roles = tf.resource.aws_iam_role!;
  const role = (suffix: string) => Object.entries(roles).find(([, r]) => r.name.endsWith(suffix))!;
  const policyOf = (roleId: string) =>
    JSON.parse(
      Object.values(tf.resource.aws_iam_role_policy!).find((p) => p.role === ref("aws_iam_role", roleId, "id"))!.policy,
    );
  const bucketArn = ref("aws_s3_bucket", Object.keys(tf.resource.aws_s3_bucket!)[0]!, "arn");
  const keyArn = ref("aws_kms_key", Object.keys(tf.resource.aws_kms_key!)[0]!, "arn");
  const serverId = Object.keys(tf.resource.aws_transfer_server!)[0]!;
  const connectorArn = (host: string) => {
    const native = Object.entries(tf.resource.aws_transfer_connector ?? {}).find(([, c]) => c.url.includes(host));
    if (native) return ref("aws_transfer_connector", native[0], "arn");
    const [id] = Object.entries(tf.resource.aws_cloudcontrolapi_resource!).find(([, c]) =>
      String(c.desired_state).includes(host),
    )!;
    return `\${jsondecode(aws_cloudcontrolapi_resource.${id}.properties).Arn}`;
  };
  const trustOf = (suffix: string) => JSON.parse(role(suffix)[1].assume_role_policy).Statement[0];

  it.each([
    ["-transfer-agreements", () => [`:agreement/${ref("aws_transfer_server", serverId, "id")}/*`]],
    ["-transfer-connectors", () => [connectorArn("partner.example")]],
    [
      "-transfer-logging",
      () => [
        ref("aws_transfer_server", serverId, "arn"),
        connectorArn("partner.example"),
        connectorArn("basic.example"),
      ],
    ],
  ])("%s trusts transfer.amazonaws.com for this customer's own Transfer resources only", (suffix, arns) => {
    const statement = trustOf(suffix);
    expect(statement.Principal).toEqual({ Service: "transfer.amazonaws.com" });
    expect(statement.Condition.StringEquals["aws:SourceAccount"]).toMatch(
      /^\$\{data\.aws_caller_identity\..*\.account_id\}$/,
    );
    const sourceArns: string[] = statement.Condition.ArnLike["aws:SourceArn"];
    const expected = arns();
    expect(sourceArns).toHaveLength(expected.length);
    sourceArns.forEach((a, i) => expect(a.endsWith(expected[i]!)).toBe(true));
    for (const a of sourceArns) expect(a).not.toMatch(/:(server|connector|agreement)\/\*$/);
  });

  it("gives the basic-auth partner its own connector role, trusted by its connector only, reading only its secret", () => {
    const [id, r] = role(Object.values(roles).find((x) => /-connector-[0-9a-f]{8}$/.test(x.name))!.name);
    expect(JSON.parse(r.assume_role_policy).Statement[0].Condition.ArnLike["aws:SourceArn"]).toEqual([
      connectorArn("basic.example"),
    ]);
    const statements: any[] = policyOf(id).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: ["secretsmanager:GetSecretValue"], Resource: [SECRET] }),
    );
    expect(statements).toContainEqual({
      Sid: "BasicAuthSecretKey",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [SECRET_KEY],
      Condition: {
        StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
        StringLike: { "kms:EncryptionContext:SecretARN": [SECRET] },
      },
    });
    expect(JSON.stringify(policyOf(role("-transfer-connectors")[0]))).not.toContain("secretsmanager:");
  });

  it.each([
    ["-transfer-agreements", INBOUND_WORK_ROOT],
    ["-transfer-connectors", OUTBOUND_WORK_ROOT],
  ])(
    "%s reads and writes exactly its working root and uses the key only through S3 for this bucket",
    (suffix, root) => {
      const policy = policyOf(role(suffix)[0]);
      const statements: any[] = policy.Statement;
      const s3 = statements.filter((s) => s.Action.some((a: string) => a.startsWith("s3:")));
      const objects = s3.find((s) => s.Action.includes("s3:PutObject"));
      expect(objects.Resource).toEqual([`${bucketArn}/${root}*`]);
      expect(objects.Action).toEqual([
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectAcl",
        "s3:PutObject",
        "s3:DeleteObject",
      ]);
      const list = s3.find((s) => s.Action.includes("s3:ListBucket"));
      expect(list).toMatchObject({ Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": [`${root}*`] } } });
      for (const s of s3)
        for (const r of s.Resource) expect(r === bucketArn || r === `${bucketArn}/${root}*`).toBe(true);
      const kms = statements.filter((s) => s.Action.some((a: string) => a.startsWith("kms:")));
      expect(kms).toEqual([
        expect.objectContaining({
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: [keyArn],
          Condition: {
            StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/${root}*`] },
          },
        }),
      ]);
      for (const s of statements) for (const a of s.Action) expect(a).not.toMatch(/(^|:)\*$/);
    },
  );

  it("gives no role access to the user-facing folders or the routing document", () => {
    for (const suffix of ["-transfer-agreements", "-transfer-connectors"]) {
      const text = JSON.stringify(policyOf(role(suffix)[0]));
      expect(text).not.toContain("AS2/");
      expect(text).not.toContain("_gateway/config");
      expect(text).not.toContain("DeleteObjectVersion");
      expect(text).not.toContain("PutObjectAcl");
    }
  });
});
