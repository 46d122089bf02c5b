/** Test factory for customer declarations: valid by default, override what a test is about. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CustomerInput } from "../../model/customer";

export const EXAMPLE_DIR = join(__dirname, "..", "..", "customers");
export const SAMPLE_CERT_PEM = readFileSync(join(EXAMPLE_DIR, "certs", "globex-signing.pem"), "utf8");

export function customerInput(overrides: Partial<CustomerInput> = {}): CustomerInput {
  return {
    name: "acme",
    region: "eu-west-1",
    network: { vpcId: "vpc-0123abcd", subnetIds: ["subnet-0123abcd"] },
    stations: [{ as2Id: "ACME", signing: { generate: true } }],
    partners: [
      {
        as2Id: "PARTNER",
        station: "ACME",
        url: "https://partner.example/as2",
        certificates: { signing: { pem: SAMPLE_CERT_PEM } },
      },
    ],
    ...overrides,
  };
}

/** n partners on one station, for scale tests and benchmarks. */
export function customerWithPartners(n: number, name = "scale"): CustomerInput {
  return customerInput({
    name,
    stations: [
      { as2Id: "ST-A", signing: { generate: true } },
      { as2Id: "ST-B", signing: { generate: true } },
    ],
    partners: Array.from({ length: n }, (_, i) => ({
      as2Id: `P${String(i).padStart(4, "0")}`,
      station: i % 2 ? "ST-B" : "ST-A",
      url: `https://p${i}.example/as2`,
      test: i % 10 === 0,
      certificates: { signing: { pem: SAMPLE_CERT_PEM } },
    })),
  });
}
