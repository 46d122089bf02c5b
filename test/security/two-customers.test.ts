/**
 * Two customers deployed into one account: no statement of one grants anything on the other's
 * resources. Each stack is synthesized, every Terraform reference is replaced by the concrete
 * ARN or name it would have in a shared account (same account, region and deployer), and every
 * resource pattern and ARN-valued condition of one customer's policies (IAM policies, trust
 * policies, bucket policy) is matched, as IAM would glob-match it, against every ARN of the other's
 * resources: bucket and sample keys in each of its folders, key, server, agreements, connectors,
 * roles, queues, table, topic, bus, declared secrets and their keys.
 * The names are chosen so that a prefix pattern would collide: `acme` and `acme-eu`.
 */
import { customerInput, SAMPLE_CERT_PEM } from "../helpers/customer-factory";
import { synthCustomer, type Tf } from "../stacks/helpers";
import type { CustomerInput } from "../../model/customer";
import { globMatches } from "./iam-glob";

const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const cert = { signing: { pem: SAMPLE_CERT_PEM } };
/** A public key (the example customer's), never a private one. */
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE8zko5Rh8T9IIFsQEXX2dAAAtiWQDLjm+IjVG2Ja95N erp@example";

function customer(name: string): CustomerInput {
  const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-basic-AbCdEf`;
  return customerInput({
    name,
    stations: [{ as2Id: "ACME", signing: { generate: true } }],
    partners: [
      { as2Id: "PLAIN", station: "ACME", url: "https://plain.example/as2", certificates: cert },
      {
        as2Id: "BASIC",
        station: "ACME",
        url: "https://basic.example/as2",
        certificates: cert,
        outbound: {
          mdn: "ASYNC",
          basicAuthSecretArn: secret,
          basicAuthSecretKmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}-secret-key`,
        },
      },
    ],
    // SFTP users (their roles trust this server's users; their session policies scope the bucket).
    sftp: {
      endpoint: "internet",
      users: [
        {
          name: "erp",
          role: "system",
          stations: ["ACME"],
          publicKeys: [SSH_KEY],
          sourceCidrs: ["198.51.100.10/32"],
        },
      ],
    },
  });
}

/** The concrete value a reference would have for this customer. */
function concrete(cust: string, expr: string): string {
  if (/aws_caller_identity\.[^.]+\.account_id$/.test(expr)) return ACCOUNT;
  if (/aws_partition\.[^.]+\.partition$/.test(expr)) return "aws";
  if (/aws_iam_session_context/.test(expr)) return `arn:aws:iam::${ACCOUNT}:role/deployer`;
  const cc = /^jsondecode\(aws_cloudcontrolapi_resource\.([^.]+)\.properties\)\.(\w+)$/.exec(expr);
  if (cc)
    return arnOf(
      cust,
      cc[1]!.includes("agreement") ? "aws_transfer_agreement" : "aws_transfer_connector",
      cc[1]!,
      cc[2] === "Arn" ? "arn" : "id",
    );
  const m = /^(aws_[a-z0-9_]+)\.([^.]+)\.(\w+)$/.exec(expr);
  if (m) return arnOf(cust, m[1]!, m[2]!, m[3]!);
  return `${cust}-expr`;
}

function arnOf(cust: string, type: string, id: string, attr: string): string {
  const t = `arn:aws:transfer:${REGION}:${ACCOUNT}`;
  if (type === "aws_s3_bucket") return attr === "arn" ? `arn:aws:s3:::as2-${cust}-bucket` : `as2-${cust}-bucket`;
  if (type === "aws_transfer_server") return attr === "arn" ? `${t}:server/s-${cust}` : `s-${cust}`;
  if (attr !== "arn") return `${cust}-${id}-${attr}`;
  switch (type) {
    case "aws_transfer_connector":
      return `${t}:connector/c-${cust}-${id}`;
    case "aws_transfer_user":
      return `${t}:user/s-${cust}/${id}`;
    case "aws_transfer_agreement":
      return `${t}:agreement/s-${cust}/a-${cust}-${id}`;
    case "aws_kms_key":
      return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${cust}-${id}`;
    case "aws_iam_role":
      return `arn:aws:iam::${ACCOUNT}:role/${cust}-${id}`;
    default:
      return `arn:aws:${type.replace(/^aws_/, "").split("_")[0]}:${REGION}:${ACCOUNT}:${cust}-${id}`;
  }
}

const resolveRefs = (cust: string, text: string) => text.replace(/\$\{([^}]*)\}/g, (_, e: string) => concrete(cust, e));

/** Every ARN of a customer's own resources (what the other customer must not reach). */
function ownArns(cust: string, tf: Tf, input: CustomerInput): string[] {
  const arns: string[] = [];
  for (const [type, byId] of Object.entries(tf.resource)) {
    for (const id of Object.keys(byId)) {
      if (type === "aws_cloudcontrolapi_resource")
        arns.push(
          arnOf(cust, id.includes("agreement") ? "aws_transfer_agreement" : "aws_transfer_connector", id, "arn"),
        );
      else arns.push(arnOf(cust, type, id, "arn"));
    }
  }
  const bucket = arnOf(cust, "aws_s3_bucket", "", "arn");
  for (const key of [
    "_gateway/inbound/ACME--PLAIN/processed/x.edi",
    "_gateway/outbound/ACME--BASIC/claim/x.edi",
    "_gateway/config/routing.json",
    "_gateway/archive/x.json",
    "AS2/send/ACME/PLAIN/x.edi",
    "AS2/files/ACME/PLAIN/inbox/20261122T175432123Z/x.edi",
    "AS2/files/ACME/PLAIN/outbox/20261122T175432123Z/x.edi",
    "AS2/files/ACME/PLAIN/failed/20261122T175432123Z/x.edi",
  ])
    arns.push(`${bucket}/${key}`);
  arns.push(bucket);
  for (const p of input.partners ?? []) {
    if (p.outbound?.basicAuthSecretArn) arns.push(p.outbound.basicAuthSecretArn);
    if (p.outbound?.basicAuthSecretKmsKeyArn) arns.push(p.outbound.basicAuthSecretKmsKeyArn);
  }
  return arns;
}

interface Grant {
  readonly where: string;
  readonly pattern: string;
}

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Resource patterns and ARN-valued condition values of every Allow (and trust) statement. */
function grants(cust: string, tf: Tf): Grant[] {
  const docs: { where: string; text: string }[] = [];
  for (const [id, r] of Object.entries(tf.resource.aws_iam_role_policy ?? {}))
    docs.push({ where: `policy ${id}`, text: r.policy });
  for (const [id, r] of Object.entries(tf.resource.aws_iam_role ?? {}))
    docs.push({ where: `trust ${id}`, text: r.assume_role_policy });
  for (const [id, r] of Object.entries(tf.resource.aws_iam_policy ?? {}))
    docs.push({ where: `managed ${id}`, text: r.policy });
  for (const [id, r] of Object.entries(tf.resource.aws_s3_bucket_policy ?? {}))
    docs.push({ where: `bucket policy ${id}`, text: r.policy });
  const out: Grant[] = [];
  for (const d of docs) {
    const doc = JSON.parse(resolveRefs(cust, d.text)) as { Statement: Record<string, any>[] };
    for (const s of doc.Statement) {
      if (s.Effect !== "Allow") continue;
      for (const r of list(s.Resource)) out.push({ where: `${d.where} ${s.Sid ?? ""}`, pattern: r });
      for (const byKey of Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>))
        for (const [key, v] of Object.entries(byKey))
          for (const value of list(v))
            if (value.startsWith("arn:")) out.push({ where: `${d.where} ${s.Sid ?? ""} ${key}`, pattern: value });
    }
  }
  return out;
}

/** Actions that support no resource-level permission are granted on `*` by necessity. */
const RESOURCELESS = /^(cloudwatch:PutMetricData|xray:Put\w+|logs:CreateLogDelivery|logs:DescribeLogGroups)$/;

function crossGrants(a: { cust: string; tf: Tf }, b: { cust: string; tf: Tf; input: CustomerInput }): string[] {
  const theirs = ownArns(b.cust, b.tf, b.input).filter((arn) => !arn.endsWith(":role/deployer"));
  return grants(a.cust, a.tf)
    .filter((g) => !(g.pattern === "*" && RESOURCELESS.test(g.where)))
    .flatMap((g) =>
      theirs.filter((arn) => globMatches(g.pattern, arn)).map((arn) => `${g.where}: ${g.pattern} matches ${arn}`),
    );
}

describe("two customers in one account", () => {
  const inputs = { acme: customer("acme"), "acme-eu": customer("acme-eu") };
  const acme = { cust: "acme", tf: synthCustomer(inputs.acme).tf, input: inputs.acme };
  const acmeEu = { cust: "acme-eu", tf: synthCustomer(inputs["acme-eu"]).tf, input: inputs["acme-eu"] };

  it("the check sees a grant that would reach the other customer (it can fail)", () => {
    const theirs = ownArns(acmeEu.cust, acmeEu.tf, acmeEu.input);
    expect(theirs.some((arn) => globMatches(`arn:aws:transfer:${REGION}:${ACCOUNT}:connector/*`, arn))).toBe(true);
    expect(theirs.some((arn) => globMatches("arn:aws:s3:::as2-acme-*", arn))).toBe(true);
    expect(theirs.some((arn) => globMatches(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:*`, arn))).toBe(true);
    expect(grants(acme.cust, acme.tf).length).toBeGreaterThan(40);
    expect(Object.keys(acme.tf.resource.aws_transfer_user ?? {})).toHaveLength(1);
  });

  it("no statement of acme grants anything on acme-eu's resources", () => {
    expect(crossGrants(acme, acmeEu)).toEqual([]);
  });

  it("no statement of acme-eu grants anything on acme's resources", () => {
    expect(crossGrants(acmeEu, acme)).toEqual([]);
  });
});
