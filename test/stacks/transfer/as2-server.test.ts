import { customerInput, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import { all, one, ref, spelledRoleArn, synthCustomer } from "../helpers";
import { loadBalancerName } from "../../../stacks/transfer/as2-server";

const cert = { signing: { pem: SAMPLE_CERT_PEM } };

describe("AS2 server", () => {
  const { tf } = synthCustomer(
    customerInput({
      network: {
        vpcId: "vpc-0abc",
        subnetIds: ["subnet-0a", "subnet-0b"],
        elasticIps: true,
        allowedCidrs: ["10.0.0.0/8"],
      },
      partners: [
        {
          as2Id: "P1",
          station: "ACME",
          url: "https://p1.example/as2",
          certificates: cert,
          sourceCidrs: ["203.0.113.0/28"],
        },
        {
          as2Id: "P2",
          station: "ACME",
          url: "https://p2.example/as2",
          certificates: cert,
          sourceCidrs: ["203.0.113.0/28", "198.51.100.7/32"],
        },
        {
          as2Id: "P3",
          station: "ACME",
          url: "https://p3.example/as2",
          certificates: cert,
          sourceCidrs: ["192.0.2.0/24"],
          enabled: false,
        },
      ],
    }),
  );
  const server = one(tf, "aws_transfer_server");
  const sgId = Object.keys(tf.resource.aws_security_group!)[0]!;

  it("speaks AS2 over HTTP on a VPC endpoint in the declared subnets", () => {
    expect(server.protocols).toEqual(["AS2"]);
    expect(server.endpoint_type).toBe("VPC");
    expect(server.protocol_details).toEqual({ as2_transports: ["HTTP"] });
    expect(server.endpoint_details).toMatchObject({
      vpc_id: "vpc-0abc",
      subnet_ids: ["subnet-0a", "subnet-0b"],
      security_group_ids: [ref("aws_security_group", sgId, "id")],
    });
  });

  it("attaches one Elastic IP per subnet when asked", () => {
    const eips = Object.keys(tf.resource.aws_eip!);
    expect(eips).toHaveLength(2);
    expect(server.endpoint_details.address_allocation_ids).toEqual(
      eips.map((id) => ref("aws_eip", id, "allocation_id")),
    );
  });

  it("opens 5080 only to enabled partners' source CIDRs and the allowed CIDRs, each once", () => {
    const rules = all(tf, "aws_vpc_security_group_ingress_rule");
    expect(
      rules.every(
        (r) =>
          r.security_group_id === ref("aws_security_group", sgId, "id") &&
          r.from_port === 5080 &&
          r.to_port === 5080 &&
          r.ip_protocol === "tcp",
      ),
    ).toBe(true);
    expect(rules.map((r) => r.cidr_ipv4).sort()).toEqual(["10.0.0.0/8", "198.51.100.7/32", "203.0.113.0/28"]);
    expect(tf.resource.aws_security_group![sgId].ingress).toBeUndefined();
  });

  it("logs through the logging role into a log group with retention", () => {
    const [, role] = Object.entries(tf.resource.aws_iam_role!).find(([, r]) => r.name.endsWith("-transfer-logging"))!;
    // Spelled from the role's name: the role trusts this server, so a reference back would be a cycle.
    expect(server.logging_role).toBe(spelledRoleArn(tf, "-transfer-logging"));
    expect(JSON.parse(role.assume_role_policy).Statement[0].Principal).toEqual({ Service: "transfer.amazonaws.com" });
    expect(one(tf, "aws_iam_role_policy_attachment").policy_arn).toMatch(
      /:iam::aws:policy\/service-role\/AWSTransferLoggingAccess$/,
    );
    const serverId = Object.keys(tf.resource.aws_transfer_server!)[0]!;
    const logs = all(tf, "aws_cloudwatch_log_group").find(
      (g) => g.name === `/aws/transfer/${ref("aws_transfer_server", serverId, "id")}`,
    );
    expect(logs).toMatchObject({ retention_in_days: 90 });
  });

  it("outputs the endpoint and Elastic IP URLs on 5080, and the Elastic IPs", () => {
    expect(tf.output.as2_endpoint_urls.value).toHaveLength(3);
    expect(tf.output.as2_endpoint_urls.value.every((u: string) => /^http:\/\/\$\{.*\}:5080$/.test(u))).toBe(true);
    expect(tf.output.elastic_ips.value).toHaveLength(2);
    expect(tf.output.as2_https_url.value).toBe("");
    expect(tf.resource.aws_lb).toBeUndefined();
  });
});

describe("AS2 server options", () => {
  it("opens 5080 to everyone only with allowFromAnywhere", () => {
    const { tf } = synthCustomer(
      customerInput({ network: { vpcId: "vpc-0abc", subnetIds: ["subnet-0a"], allowFromAnywhere: true } }),
    );
    expect(all(tf, "aws_vpc_security_group_ingress_rule").map((r) => r.cidr_ipv4)).toEqual(["0.0.0.0/0"]);
    expect(tf.resource.aws_eip).toBeUndefined();
    expect(one(tf, "aws_transfer_server").endpoint_details.address_allocation_ids).toBeUndefined();
  });

  it("puts a TLS network load balancer in front of 5080 when a certificate is declared", () => {
    const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";
    const { tf } = synthCustomer(
      customerInput({
        network: {
          vpcId: "vpc-0abc",
          subnetIds: ["subnet-0a", "subnet-0b"],
          elasticIps: true,
          httpsCertificateArn: certificateArn,
        },
        partners: [
          {
            as2Id: "P1",
            station: "ACME",
            url: "https://p1.example/as2",
            certificates: { signing: { pem: SAMPLE_CERT_PEM } },
            sourceCidrs: ["203.0.113.0/28"],
          },
        ],
      }),
    );
    const lb = one(tf, "aws_lb");
    expect(lb).toMatchObject({ load_balancer_type: "network", internal: false, subnets: ["subnet-0a", "subnet-0b"] });
    const listener = one(tf, "aws_lb_listener");
    expect(listener).toMatchObject({ port: 443, protocol: "TLS", certificate_arn: certificateArn });
    const tgId = Object.keys(tf.resource.aws_lb_target_group!)[0]!;
    expect(tf.resource.aws_lb_target_group![tgId]).toMatchObject({
      port: 5080,
      protocol: "TCP",
      target_type: "ip",
      vpc_id: "vpc-0abc",
    });
    const attachments = all(tf, "aws_lb_target_group_attachment");
    expect(attachments).toHaveLength(2);
    expect(
      attachments.every((a) => a.port === 5080 && a.target_group_arn === ref("aws_lb_target_group", tgId, "arn")),
    ).toBe(true);
    // the server accepts 5080 from the load balancer's security group; partners reach 443 only
    const rules = all(tf, "aws_vpc_security_group_ingress_rule");
    expect(rules.filter((r) => r.from_port === 443).map((r) => r.cidr_ipv4)).toEqual(["203.0.113.0/28"]);
    expect(rules.filter((r) => r.referenced_security_group_id)).toHaveLength(1);
    expect(tf.output.as2_https_url.value).toMatch(/^https:\/\/\$\{aws_lb\..*\.dns_name\}$/);
  });
});

describe("load balancer names", () => {
  it("fit in 32 characters and never end with '-'", () => {
    // "as2-<31 characters>-as2" is cut right after the customer name's last character
    expect(loadBalancerName("as2-abcdefghijklmnopqrstuvwxyz123")).toBe("as2-abcdefghijklmnopqrstuvwxyz12");
    expect(loadBalancerName("as2-abcdefghijklmnopqrstuvwxyz1")).toBe("as2-abcdefghijklmnopqrstuvwxyz1");
    expect(loadBalancerName("as2-acme")).toBe("as2-acme-as2");
  });
});
