import { readFileSync } from "node:fs";
import { join } from "node:path";
import { customerInput, EXAMPLE_DIR, SAMPLE_CERT_PEM } from "../../helpers/customer-factory";
import type { CustomerInput } from "../../../model/customer";
import { all, synthCustomer } from "../helpers";

const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:as2/acme-AbCdEf";
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

describe("station certificates and private keys", () => {
  const { tf, json } = synthCustomer(
    customerInput({
      stations: [
        { as2Id: "GEN", signing: { generate: true, commonName: "gen.acme.example", validityDays: 365 } },
        { as2Id: "SM", signing: { certificate: { pem: SAMPLE_CERT_PEM }, privateKey: { secretsManagerArn: SECRET } } },
        {
          as2Id: "VAR",
          signing: { certificate: { pem: SAMPLE_CERT_PEM }, privateKey: { terraformVariable: "var_station_key" } },
          encryption: { certificate: { pem: SAMPLE_CERT_PEM }, privateKey: { terraformVariable: "var_station_key" } },
        },
      ],
      partners: [],
    }),
  );
  const stationCert = (station: string, usage: string) =>
    Object.values(tf.resource.aws_transfer_certificate!).find(
      (c) => c["//"].metadata.path.includes(`station-${station}-`) && c.usage === usage,
    );

  it("generates a key pair with the tls provider when asked, and imports it for both usages", () => {
    const key = Object.entries(tf.resource.tls_private_key!);
    expect(key).toHaveLength(1);
    expect(key[0]![1]).toMatchObject({ algorithm: "RSA", rsa_bits: 2048 });
    const cert = Object.entries(tf.resource.tls_self_signed_cert!)[0]!;
    expect(cert[1]).toMatchObject({
      validity_period_hours: 365 * 24,
      subject: [expect.objectContaining({ common_name: "gen.acme.example" })],
    });
    for (const usage of ["SIGNING", "ENCRYPTION"]) {
      expect(stationCert("GEN", usage)).toMatchObject({
        certificate: `\${tls_self_signed_cert.${cert[0]}.cert_pem}`,
        private_key: `\${tls_private_key.${key[0]![0]}.private_key_pem}`,
      });
    }
    expect(tf.terraform.required_providers.tls).toBeDefined();
  });

  it("reads a key from a Secrets Manager secret version", () => {
    const [id, secret] = Object.entries(tf.data.aws_secretsmanager_secret_version!)[0]!;
    expect(secret.secret_id).toBe(SECRET);
    expect(stationCert("SM", "SIGNING").private_key).toBe(
      `\${data.aws_secretsmanager_secret_version.${id}.secret_string}`,
    );
    expect(stationCert("SM", "SIGNING").certificate).toBe(SAMPLE_CERT_PEM);
  });

  it("reads a key from one sensitive Terraform variable, however many key pairs use it", () => {
    expect(tf.variable).toEqual({ var_station_key: expect.objectContaining({ type: "string", sensitive: true }) });
    expect(stationCert("VAR", "SIGNING").private_key).toBe("${var.var_station_key}");
    expect(stationCert("VAR", "ENCRYPTION").private_key).toBe("${var.var_station_key}");
  });

  it("never writes private key material into the synthesized JSON", () => {
    expect(json).not.toMatch(PRIVATE_KEY);
    for (const c of all(tf, "aws_transfer_certificate")) {
      if (c.private_key !== undefined) expect(c.private_key).toMatch(/^\$\{[^}]+\}$/);
    }
  });

  it("outputs each station's public certificates for partners", () => {
    expect(Object.keys(tf.output.station_certificates.value).sort()).toEqual(["GEN", "SM", "VAR"]);
    expect(tf.output.station_certificates.value.SM).toEqual({ signing: SAMPLE_CERT_PEM, encryption: SAMPLE_CERT_PEM });
    expect(tf.output.station_certificates.value.GEN.signing).toMatch(/^\$\{tls_self_signed_cert\..*\.cert_pem\}$/);
  });
});

describe("the example customer", () => {
  const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as CustomerInput;
  const { json, findings } = synthCustomer(example);

  it("synthesizes without private keys and without guard-rail findings", () => {
    expect(json).not.toMatch(PRIVATE_KEY);
    expect(findings).toEqual({ errors: [], warnings: [] });
  });
});

describe("certificate checks at synth", () => {
  it("refuses a declared certificate that has expired (it was a warning before: Transfer would not use it)", () => {
    const expired = readFileSync(join(__dirname, "..", "fixtures", "expired-partner.pem"), "utf8");
    expect(() =>
      synthCustomer(
        customerInput({
          partners: [
            {
              as2Id: "OLD",
              station: "ACME",
              url: "https://old.example/as2",
              certificates: { signing: { pem: expired } },
            },
          ],
        }),
      ),
    ).toThrow(
      "partners[0].certificates.signing.pem: expected a certificate that has not expired (found inline PEM: expired on 2020-02-01)",
    );
  });
});
