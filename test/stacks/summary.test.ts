import { customerSummary } from "../../model/summary";
import { customerInput } from "../helpers/customer-factory";
import { customerFrom } from "./helpers";

describe("synth summary", () => {
  it("says how the server is reached and which outputs to give partners after deploy", () => {
    const { customer } = customerFrom(
      customerInput({
        network: {
          vpcId: "vpc-0abc",
          subnetIds: ["subnet-0a"],
          elasticIps: true,
          httpsCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/x",
        },
      }),
    );
    const text = customerSummary(customer, "customers/acme.json", "out.json");
    expect(text).toContain("  AS2 server: Elastic IPs, HTTPS load balancer on 443");
    expect(text).toContain(
      "  after deploy, give partners: as2_endpoint_urls / as2_https_url, elastic_ips, station_certificates (npx cdktf output customer-acme)",
    );
  });
});
