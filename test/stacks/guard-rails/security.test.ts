import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { TransferServer } from "@cdktf/provider-aws/lib/transfer-server";
import { TransferConnector } from "@cdktf/provider-aws/lib/transfer-connector";
import { TransferCertificate } from "@cdktf/provider-aws/lib/transfer-certificate";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { TerraformLocal, TerraformOutput, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { synthWithGuardRails } from "../helpers";
import { makeCertificate } from "../../security/make-certs";
import { coversGatewayPath } from "../../../stacks/guard-rails/gateway-path-writers";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = (service: string, Condition?: object) =>
  doc({
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sts:AssumeRole",
    ...(Condition ? { Condition } : {}),
  });
const ids = (f: { errors: readonly { path: string; message: string }[] }, id: string) =>
  f.errors.filter((e) => e.message.startsWith(`[${id}]`));

describe("guard rail NoPrivateKeyMaterial", () => {
  const made = makeCertificate();

  it("passes a certificate with a referenced key, and a sensitive output of a generated key", () => {
    const { findings } = synthWithGuardRails((s) => {
      const key = new PrivateKey(s, "key", { algorithm: "RSA", provider: new TlsProvider(s, "tls") });
      new TransferCertificate(s, "cert", {
        usage: "SIGNING",
        certificate: made.certPem,
        privateKey: key.privateKeyPem,
      });
      new TerraformOutput(s, "key-out", { value: key.privateKeyPem, sensitive: true });
      new TerraformOutput(s, "cert-out", { value: made.certPem });
    });
    expect(ids(findings, "NoPrivateKeyMaterial")).toEqual([]);
  });

  it("fails key material in a variable's default and in a local", () => {
    const { findings } = synthWithGuardRails((s) => {
      new TerraformVariable(s, "station_key", { type: "string", sensitive: true, default: made.keyPem });
      new TerraformLocal(s, "bundle", made.certPem + made.keyPem);
    });
    expect(ids(findings, "NoPrivateKeyMaterial").map((f) => f.path)).toEqual(["test/station_key", "test/bundle"]);
  });

  it("fails key material in a resource attribute and in an output, and a key reference in a plain output", () => {
    const { findings } = synthWithGuardRails((s) => {
      new TransferCertificate(s, "cert", { usage: "SIGNING", certificate: made.certPem + made.keyPem });
      new TerraformOutput(s, "bundle", { value: made.certPem + made.keyPem });
      const key = new PrivateKey(s, "key", { algorithm: "RSA", provider: new TlsProvider(s, "tls") });
      new TerraformOutput(s, "leak", { value: key.privateKeyPem });
    });
    expect(ids(findings, "NoPrivateKeyMaterial")).toEqual([
      {
        path: "test/cert",
        message:
          "[NoPrivateKeyMaterial] certificate holds private key material: reference a secret or a variable instead",
      },
      {
        path: "test/bundle",
        message: "[NoPrivateKeyMaterial] value holds private key material: reference a secret or a variable instead",
      },
      { path: "test/leak", message: "[NoPrivateKeyMaterial] output exposes private_key_pem without sensitive = true" },
    ]);
  });
});

describe("guard rail TransferTrustScopedToStack", () => {
  function withServer(build: (s: Construct, server: TransferServer, connector: TransferConnector) => void) {
    return synthWithGuardRails((s) => {
      const server = new TransferServer(s, "server", { protocols: ["AS2"] });
      const connector = new TransferConnector(s, "connector", {
        url: "https://p.example",
        accessRole: "arn:aws:iam::1:role/r",
      });
      build(s, server, connector);
    });
  }

  it("passes a trust naming this stack's connector, this server's agreements, and this server's SFTP users", () => {
    const { findings } = withServer((s, server, connector) => {
      new IamRole(s, "role", {
        assumeRolePolicy: trust("transfer.amazonaws.com", {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: {
            "aws:SourceArn": [connector.arn, `arn:aws:transfer:eu-west-1:123456789012:agreement/${server.id}/*`],
          },
        }),
      });
      new IamRole(s, "sftp-users", {
        assumeRolePolicy: trust("transfer.amazonaws.com", {
          ArnLike: { "aws:SourceArn": `arn:aws:transfer:eu-west-1:123456789012:user/${server.id}/*` },
        }),
      });
      new IamRole(s, "lambda", { assumeRolePolicy: trust("lambda.amazonaws.com") });
    });
    expect(ids(findings, "TransferTrustScopedToStack")).toEqual([]);
  });

  it.each([
    [
      "no aws:SourceArn",
      { StringEquals: { "aws:SourceAccount": "123456789012" } },
      "lets Transfer assume the role without aws:SourceArn",
    ],
    [
      "every connector of the account",
      { ArnLike: { "aws:SourceArn": "arn:aws:transfer:eu-west-1:123456789012:connector/*" } },
      "names no Transfer resource of this stack",
    ],
  ])("fails a trust with %s", (_what, condition, message) => {
    const { findings } = withServer((s) => {
      new IamRole(s, "role", { assumeRolePolicy: trust("transfer.amazonaws.com", condition) });
    });
    expect(ids(findings, "TransferTrustScopedToStack")).toEqual([
      { path: "test/role", message: expect.stringContaining(message) },
    ]);
  });

  it("fails a wildcard beyond this server's agreements", () => {
    const { findings } = withServer((s, server) => {
      new IamRole(s, "role", {
        assumeRolePolicy: trust("transfer.amazonaws.com", {
          ArnLike: { "aws:SourceArn": `arn:aws:transfer:eu-west-1:123456789012:server/${server.id}*` },
        }),
      });
    });
    expect(ids(findings, "TransferTrustScopedToStack")).toEqual([
      {
        path: "test/role",
        message: expect.stringContaining("has a wildcard beyond this stack's server's agreements or users"),
      },
    ]);
  });
});

describe("guard rail KmsDecryptConditioned", () => {
  const key = "arn:aws:kms:eu-west-1:123456789012:key/k";
  it("passes kms:Decrypt through a service, and other KMS actions", () => {
    const { findings } = synthWithGuardRails((s) => {
      new IamPolicy(s, "p", {
        policy: doc(
          {
            Effect: "Allow",
            Action: ["kms:Decrypt"],
            Resource: key,
            Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } },
          },
          { Effect: "Allow", Action: ["kms:DescribeKey"], Resource: key },
        ),
      });
    });
    expect(ids(findings, "KmsDecryptConditioned")).toEqual([]);
  });

  it.each([["kms:Decrypt"], ["kms:Decrypt*"], ["kms:*"]])("fails %s without a condition", (action) => {
    const { findings } = synthWithGuardRails((s) => {
      new IamPolicy(s, "p", { policy: doc({ Sid: "Key", Effect: "Allow", Action: action, Resource: key }) });
    });
    expect(ids(findings, "KmsDecryptConditioned")).toEqual([
      {
        path: "test/p",
        message:
          "[KmsDecryptConditioned] policy statement Key allows kms:Decrypt without a condition (add kms:ViaService and the encryption context)",
      },
    ]);
  });
});

describe("guard rail GatewayPathWriters", () => {
  const bucket = "arn:aws:s3:::as2-acme-1";
  const write = (Resource: string) => doc({ Sid: "W", Effect: "Allow", Action: ["s3:PutObject"], Resource });
  function roleWithPolicy(s: Construct, service: string, policy: string) {
    const role = new IamRole(s, "role", { assumeRolePolicy: trust(service) });
    new IamRolePolicy(s, "policy", { role: role.id, policy });
  }

  it("passes writes by a gateway function or Transfer role, and other principals' writes elsewhere", () => {
    const { findings } = synthWithGuardRails((s) => {
      roleWithPolicy(s, "lambda.amazonaws.com", write(`${bucket}/_gateway/outbound/*`));
      const other = new IamRole(s, "ec2", { assumeRolePolicy: trust("ec2.amazonaws.com") });
      new IamRolePolicy(s, "ec2-policy", { role: other.id, policy: write(`${bucket}/AS2/send/*`) });
    });
    expect(ids(findings, "GatewayPathWriters")).toEqual([]);
  });

  it("fails another principal's write under _gateway/, a managed policy on bucket/*, and a bucket policy Allow", () => {
    const { findings } = synthWithGuardRails((s) => {
      roleWithPolicy(
        s,
        "ec2.amazonaws.com",
        doc({ Sid: "W", Effect: "Allow", Action: "s3:Delete*", Resource: `${bucket}/_gateway/config/*` }),
      );
      new IamPolicy(s, "managed", { policy: write(`${bucket}/*`) });
      new S3BucketPolicy(s, "bucket-policy", {
        bucket: "as2-acme-1",
        policy: doc({
          Sid: "W",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::1:root" },
          Action: "s3:*",
          Resource: `${bucket}/_*`,
        }),
      });
    });
    expect(
      ids(findings, "GatewayPathWriters")
        .map((f) => f.path)
        .sort(),
    ).toEqual(["test/bucket-policy", "test/managed", "test/policy"]);
  });

  it.each([
    ["*", true],
    [`${bucket}/*`, true],
    [`${bucket}/_gate*`, true],
    [`${bucket}/_gateway/x`, true],
    ["${aws_s3_bucket.b.arn}/_gateway/*", true],
    [`${bucket}/AS2/*`, false],
    [`${bucket}/_other/*`, false],
    [bucket, false],
  ])("knows whether %s covers _gateway/ (%s)", (resource, covers) => {
    expect(coversGatewayPath(resource)).toBe(covers);
  });
});
