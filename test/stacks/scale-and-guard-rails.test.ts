import { App, Testing } from "cdktf";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { customerInput, customerWithPartners, EXAMPLE_DIR } from "../helpers/customer-factory";
import { CustomerStack } from "../../stacks/customer-stack";
import { collectFindings } from "../../stacks/guard-rails/annotations";
import { synthesizeWithGuardRails } from "../../stacks/guard-rails/synthesize";
import { all, customerFrom, synthCustomer } from "./helpers";

describe("a customer with 2 stations and 200 partners", () => {
  const { tf, findings } = synthCustomer(customerWithPartners(200));

  it("synthesizes every agreement, connector and profile", () => {
    const cc = (type: string) => all(tf, "aws_cloudcontrolapi_resource").filter((r) => r.type_name === type).length;
    expect(all(tf, "aws_transfer_agreement").length + cc("AWS::Transfer::Agreement")).toBe(200);
    expect(all(tf, "aws_transfer_connector").length + cc("AWS::Transfer::Connector")).toBe(200);
    expect(all(tf, "aws_transfer_profile")).toHaveLength(202);
    expect(findings.errors).toEqual([]);
  });

  it("warns, naming the quota, where AWS's default quotas are exceeded (and only there)", () => {
    const messages = findings.warnings.map((w) => w.message);
    expect(messages).toEqual([
      expect.stringMatching(
        /^\[TransferQuotas\] quota "Agreements per server" \(default 100\): this stack declares 200 agreements on 1 server/,
      ),
      expect.stringMatching(
        /^\[TransferQuotas\] quota "Connectors per account" \(default 100\): this stack declares 200 connectors/,
      ),
      expect.stringMatching(
        /^customer scale has 200 connectors: more than 60 ARNs do not fit a role's inline policies/,
      ),
    ]);
    expect(findings.warnings.map((w) => w.path)).toEqual(["customer-scale", "customer-scale", "customer-scale/send"]);
  });

  // AWS's size quotas are checked on the values Terraform will send: each reference replaced by a
  // value as long as the real one (a connector id is 19 characters, an ARN at most ~90).
  const deployed = (text: string) =>
    text.replace(/\$\{([^}]*)\}/g, (_, ref: string) =>
      /connector_id$|AgreementId$/.test(ref) ? "c-0123456789abcdef0" : "x".repeat(90),
    );
  const nonBlank = (text: string) => deployed(text).replace(/\s/g, "").length;

  it("keeps every event pattern under EventBridge's 2048 characters, each connector and agreement in one rule", () => {
    const rules = all(tf, "aws_cloudwatch_event_rule").filter((r) => r.event_pattern);
    for (const r of rules) expect(deployed(r.event_pattern).length).toBeLessThanOrEqual(2048);
    const ids = rules.flatMap(
      (r) => JSON.stringify(JSON.parse(r.event_pattern)).match(/\$\{[^}]*(connector_id|AgreementId)\}/g) ?? [],
    );
    expect(ids).toHaveLength(400);
    expect(new Set(ids).size).toBe(400);
  });

  it("keeps every trust policy under IAM's 2048 characters and every role's inline policies under 10,240", () => {
    const roles = Object.entries(tf.resource.aws_iam_role!);
    for (const [, r] of roles) expect(nonBlank(r.assume_role_policy)).toBeLessThanOrEqual(2048);
    const inline = new Map<string, number>();
    for (const p of all(tf, "aws_iam_role_policy")) inline.set(p.role, (inline.get(p.role) ?? 0) + nonBlank(p.policy));
    expect(inline.size).toBeGreaterThan(3);
    for (const size of inline.values()) expect(size).toBeLessThanOrEqual(10_240);
  });

  it("gives each connector an access role and a logging role that trust it", () => {
    const roleByName = new Map(
      Object.entries(tf.resource.aws_iam_role!).map(([id, r]) => [r.name as string, { id, r }]),
    );
    const connectors = Object.entries(tf.resource.aws_transfer_connector ?? {});
    expect(connectors).toHaveLength(200);
    for (const [id, c] of connectors) {
      for (const arn of [c.access_role, c.logging_role] as string[]) {
        const role = roleByName.get(arn.split(":role/")[1]!);
        expect(role).toBeDefined();
        expect(role!.r.assume_role_policy).toContain(`\${aws_transfer_connector.${id}.arn}`);
      }
    }
  });
});

describe("guard rails on the customer stack", () => {
  it("run on every synth and stop it, naming the construct, when a construct breaks a rule", () => {
    const { customer, file } = customerFrom(customerInput());
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "guard-")) });
    const stack = new CustomerStack(app, { loaded: { file, customer, dir: EXAMPLE_DIR } });
    new CloudwatchLogGroup(stack, "forever", { name: "/added/by/someone" });
    const lines: string[] = [];
    const report = synthesizeWithGuardRails(app, (l) => lines.push(l));
    expect(report.ok).toBe(false);
    expect(lines).toEqual([
      "synth stopped: 1 guard-rail error(s)",
      "  customer-acme/forever: [LogGroupRetention] log group has no retention (retention_in_days); its logs would be kept forever",
    ]);
    expect(collectFindings(app).errors).toEqual([
      { path: "customer-acme/forever", message: expect.stringContaining("[LogGroupRetention]") },
    ]);
  });

  it("print quota warnings and let synth go on", () => {
    const { customer, file } = customerFrom(customerWithPartners(101));
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "quota-")) });
    new CustomerStack(app, { loaded: { file, customer, dir: EXAMPLE_DIR } });
    const lines: string[] = [];
    expect(synthesizeWithGuardRails(app, (l) => lines.push(l)).ok).toBe(true);
    expect(lines).toEqual([
      expect.stringMatching(/^warning: customer-scale: \[TransferQuotas\] quota "Agreements per server"/),
      expect.stringMatching(/^warning: customer-scale: \[TransferQuotas\] quota "Connectors per account"/),
      expect.stringMatching(/^warning: customer-scale\/send: customer scale has 101 connectors/),
    ]);
  });

  it("pass on a compliant customer (Testing.synth runs them too)", () => {
    const { customer, file } = customerFrom(
      customerInput({
        network: {
          vpcId: "vpc-0abc",
          subnetIds: ["subnet-0a"],
          httpsCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/x",
        },
      }),
    );
    const stack = new CustomerStack(Testing.app(), { loaded: { file, customer, dir: EXAMPLE_DIR } });
    Testing.synth(stack);
    expect(collectFindings(stack)).toEqual({ errors: [], warnings: [] });
  });
});
