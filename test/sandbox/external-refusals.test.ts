/** `--partner` and `--station-key` refuse what cannot work, with a clear message (issue #19 items 1-2). */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthesize } from "../../sandbox/runner/synthesize";
import { LocalState } from "../../sandbox/runner/local-state";
import { readTransfer } from "../../sandbox/runner/transfer-wiring";
import { generateKeyPair } from "../../sandbox/as2";
import { EXAMPLE_DIR } from "../helpers/customer-factory";

let state: LocalState;

beforeAll(() => {
  const workDir = mkdtempSync(join(tmpdir(), "external-refusals-"));
  const synth = synthesize({ customer: "example", workDir });
  state = new LocalState(JSON.parse(readFileSync(join(synth.stackDir, "cdk.tf.json"), "utf8")), {
    account: "123456789012",
    region: "eu-west-1",
    sqsEndpoint: "http://127.0.0.1:1",
  });
}, 120_000);

describe("external partners and station keys", () => {
  it("trusts an external partner with its declared certificate only", () => {
    const w = readTransfer(state, { externalPartners: { GLOBEX: "http://127.0.0.1:4080/as2" } });
    expect(w.partners.get("GLOBEX")).toMatchObject({ externalUrl: "http://127.0.0.1:4080/as2" });
    expect(w.partners.get("GLOBEX")!.keys).toBeUndefined();
    const declared = readFileSync(join(EXAMPLE_DIR, "certs", "globex-signing.pem"), "utf8");
    const connector = w.connectors.find((c) => c.partner.as2Id === "GLOBEX")!;
    expect(connector.partner.signingCertificates).toEqual([declared]);
    expect(connector.partner.encryptionCertificate).toBe(declared);
  });

  it("refuses a partner that is not in the stack", () => {
    expect(() => readTransfer(state, { externalPartners: { NOBODY: "http://127.0.0.1:1/as2" } })).toThrow(
      /--partner NOBODY: no partner with that AS2 ID in this stack; partners: .*GLOBEX/,
    );
  });

  it("refuses a station key that matches no declared certificate, and one for a generated key pair", () => {
    const stranger = generateKeyPair({ commonName: "stranger" }).privateKeyPem;
    expect(() => readTransfer(state, { stationKeys: { "ACME-EU": [stranger] } })).toThrow(
      /--station-key ACME-EU: the key does not match any of the station's \d+ declared certificate\(s\)/,
    );
    expect(() => readTransfer(state, { stationKeys: { "ACME-AS2": [stranger] } })).toThrow(
      /--station-key ACME-AS2: the key does not match/,
    );
    expect(() => readTransfer(state, { stationKeys: { NOPE: [stranger] } })).toThrow(/no station with that AS2 ID/);
  });
});
