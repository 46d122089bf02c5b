/** The SFTP server as synthesized: mappings per preset and role, session policies, network, guard rails. */
import { customerInput, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import { sshKeyPair } from "../../helpers/ssh-keys";
import { all, one, synthCustomer } from "../helpers";
import type { CustomerInput } from "../../../model/customer";

const cert = { signing: { pem: SAMPLE_CERT_PEM } };
const key = sshKeyPair().publicKey;

function customer(overrides: Partial<CustomerInput> = {}, sftp: Record<string, unknown> = {}): CustomerInput {
  return customerInput({
    stations: [
      { as2Id: "ACME", signing: { generate: true } },
      { as2Id: "OTHER", signing: { generate: true } },
    ],
    partners: [
      { as2Id: "GLOBEX", station: "ACME", url: "https://g.example/as2", certificates: cert },
      { as2Id: "TESTCO", station: "ACME", url: "https://t.example/as2", certificates: cert, test: true },
      { as2Id: "FAR", station: "OTHER", url: "https://f.example/as2", certificates: cert },
    ],
    sftp: {
      users: [
        { name: "erp", role: "system", publicKeys: [key], sourceCidrs: ["198.51.100.10/32"] },
        { name: "erp-acme", role: "system", stations: ["ACME"], publicKeys: [key], canDelete: ["send", "inbox"] },
        { name: "globex-drop", role: "partner", partner: "GLOBEX", publicKeys: [key], sourceCidrs: ["203.0.113.0/24"] },
        { name: "testco-drop", role: "partner", partner: "TESTCO", publicKeys: [key] },
      ],
      ...sftp,
    },
    ...overrides,
  });
}

type Mapping = { entry: string; target: string };
type Statement = { Sid: string; Action: string[]; Resource: string[]; Condition?: any };

function users(tf: ReturnType<typeof synthCustomer>["tf"]): Record<string, any> {
  return Object.fromEntries(all(tf, "aws_transfer_user").map((u) => [u.user_name, u]));
}
function statements(user: any): Statement[] {
  return JSON.parse(user.policy).Statement;
}
function resourcesOf(user: any, action: string): string[] {
  return statements(user)
    .filter((s) => s.Action.includes(action))
    .flatMap((s) => s.Resource);
}
/** The bucket ARN token as it appears in the policies, so assertions read as key patterns. */
function keys(resources: string[]): string[] {
  return resources.map((r) => r.replace(/^\$\{aws_s3_bucket\.[^}]+\.arn\}\/?/, "")).sort();
}

describe("SFTP server (mftgateway)", () => {
  const { tf, findings } = synthCustomer(customer());
  const byName = users(tf);

  it("is a separate SFTP-only, service-managed server with a current security policy and session logs", () => {
    const servers = all(tf, "aws_transfer_server");
    expect(servers).toHaveLength(2);
    const sftp = servers.find((s) => s.protocols.includes("SFTP"));
    expect(sftp.protocols).toEqual(["SFTP"]);
    expect(sftp.identity_provider_type).toBe("SERVICE_MANAGED");
    expect(sftp.security_policy_name).toBe("TransferSecurityPolicy-2024-01");
    expect(sftp.endpoint_type).toBe("VPC");
    expect(sftp.endpoint_details.address_allocation_ids).toHaveLength(1);
    expect(sftp.structured_log_destinations[0]).toMatch(/aws_cloudwatch_log_group\..*\.arn\}:\*$/);
    expect(sftp.host_key).toBeUndefined();
  });

  it("opens port 22 only to the users' sources", () => {
    const rules = all(tf, "aws_vpc_security_group_ingress_rule").filter((r) => r.from_port === 22);
    expect(rules.map((r) => r.cidr_ipv4).sort()).toEqual(["198.51.100.10/32", "203.0.113.0/24"]);
  });

  it("gives a system user exactly the S3 layout of its stations, as logical directories", () => {
    const erp = byName.erp;
    expect(erp.home_directory_type).toBe("LOGICAL");
    const entries = (erp.home_directory_mappings as Mapping[]).map((m) => m.entry).sort();
    expect(entries).toEqual(["/AS2/files/ACME", "/AS2/files/OTHER", "/AS2/send/ACME", "/AS2/send/OTHER"]);
    for (const m of erp.home_directory_mappings as Mapping[])
      expect(m.target).toMatch(
        new RegExp(`^/\\$\\{aws_s3_bucket\\.[^}]+\\.bucket\\}${m.entry.replace(/\//g, "\\/")}$`),
      );
    const limited = (byName["erp-acme"].home_directory_mappings as Mapping[]).map((m) => m.entry).sort();
    expect(limited).toEqual(["/AS2/files/ACME", "/AS2/send/ACME"]);
  });

  it("lets a system user write only send folders, read routed ones, delete nowhere by default", () => {
    const erp = byName.erp;
    expect(keys(resourcesOf(erp, "s3:PutObject"))).toEqual(["AS2/send/ACME/*", "AS2/send/OTHER/*"]);
    expect(keys(resourcesOf(erp, "s3:GetObject"))).toEqual([
      "AS2/files/ACME/*",
      "AS2/files/OTHER/*",
      "AS2/send/ACME/*",
      "AS2/send/OTHER/*",
    ]);
    expect(resourcesOf(erp, "s3:DeleteObject")).toEqual([]);
    const acme = byName["erp-acme"];
    expect(keys(resourcesOf(acme, "s3:DeleteObject"))).toEqual(["AS2/files/ACME/*/inbox/*", "AS2/send/ACME/*"]);
  });

  it("chroots a partner user to its own drop folder (test level for a test partner)", () => {
    const g = byName["globex-drop"];
    expect(g.home_directory_mappings).toEqual([
      { entry: "/", target: expect.stringMatching(/\/AS2\/drop\/ACME\/GLOBEX$/) },
    ]);
    expect(keys(resourcesOf(g, "s3:PutObject"))).toEqual(["AS2/drop/ACME/GLOBEX/*"]);
    expect(resourcesOf(g, "s3:DeleteObject")).toEqual([]);
    const t = byName["testco-drop"];
    expect(t.home_directory_mappings[0].target).toMatch(/\/AS2\/drop\/ACME\/TESTCO\/test$/);
  });

  it("never maps or grants _gateway/ to anyone", () => {
    for (const u of Object.values(byName)) {
      expect(JSON.stringify(u.home_directory_mappings)).not.toContain("_gateway");
      expect(u.policy).not.toContain("_gateway");
    }
    const role = all(tf, "aws_iam_role_policy").find((p) => p.name === "user-facing-folders");
    expect(role.policy).not.toContain("_gateway");
    expect(keys(JSON.parse(role.policy).Statement.find((s: Statement) => s.Sid === "Objects").Resource)).toEqual([
      "AS2/drop/*",
      "AS2/files/*",
      "AS2/send/*",
    ]);
  });

  it("registers each user's keys and trusts Transfer only for this server's users", () => {
    expect(all(tf, "aws_transfer_ssh_key")).toHaveLength(4);
    const role = all(tf, "aws_iam_role").find((r) => r.name === "as2-acme-sftp-users");
    const trust = JSON.parse(role.assume_role_policy).Statement[0];
    expect(trust.Condition.ArnLike["aws:SourceArn"]).toEqual([
      expect.stringMatching(/:user\/\$\{aws_transfer_server\.[^}]+\.id\}\/\*$/),
    ]);
  });

  it("passes every guard rail", () => {
    expect(findings.errors).toEqual([]);
  });
});

describe("SFTP server options", () => {
  it("as2gateway preset: the same view under as2gateway/", () => {
    const { tf } = synthCustomer(customer({ layout: "as2gateway" }));
    const entries = (users(tf).erp.home_directory_mappings as Mapping[]).map((m) => m.entry).sort();
    expect(entries).toEqual(["/AS2/send/ACME", "/AS2/send/OTHER", "/as2gateway/ACME", "/as2gateway/OTHER"]);
  });

  it("vpc endpoint: no Elastic IPs; host key from Secrets Manager by reference; custom host name with DNS", () => {
    const { tf, json } = synthCustomer(
      customer(
        {},
        {
          endpoint: "vpc",
          hostName: "sftp.acme.example",
          route53ZoneId: "Z0123456789ABC",
          hostKey: { secretsManagerArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sftp-host-AbCd" },
        },
      ),
    );
    const sftp = all(tf, "aws_transfer_server").find((s) => s.protocols.includes("SFTP"));
    expect(sftp.endpoint_details.address_allocation_ids).toBeUndefined();
    expect(sftp.host_key).toMatch(/^\$\{data\.aws_secretsmanager_secret_version\..*\.secret_string\}$/);
    expect(all(tf, "aws_transfer_tag").map((t) => [t.key, t.value])).toEqual([
      ["aws:transfer:customHostname", "sftp.acme.example"],
      ["aws:transfer:route53HostedZoneId", "/hostedzone/Z0123456789ABC"],
    ]);
    expect(one(tf, "aws_route53_record").name).toBe("sftp.acme.example");
    expect(json).not.toMatch(/PRIVATE KEY/);
  });

  it("no sftp section: no SFTP resources", () => {
    const { tf } = synthCustomer(customerInput());
    expect(all(tf, "aws_transfer_server")).toHaveLength(1);
    expect(all(tf, "aws_transfer_user")).toHaveLength(0);
  });
});
