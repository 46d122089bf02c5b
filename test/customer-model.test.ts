import { validateCustomer, CustomerFileError, formatProblem, loadCustomers } from "../model/load";
import { customerInput, SAMPLE_CERT_PEM, EXAMPLE_DIR } from "./helpers/customer-factory";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function problemsOf(raw: unknown, file = "<test>"): string[] {
  try {
    validateCustomer(raw, file);
  } catch (e) {
    if (e instanceof CustomerFileError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

describe("customer declaration", () => {
  it("applies defaults", () => {
    const c = validateCustomer(customerInput(), "<test>");
    expect(c.layout).toBe("mftgateway");
    expect(c.settle).toEqual({ fileSeconds: 15, directorySeconds: 120 });
    expect(c.retry).toEqual({ initialSeconds: 5, maxSeconds: 3600, maxAttempts: 10 });
    const p = c.partners[0]!;
    expect(p.test).toBe(false);
    expect(p.enabled).toBe(true);
    expect(p.outbound).toEqual({
      signing: "SHA256",
      encryption: "AES256_CBC",
      compression: "ZLIB",
      mdn: "SYNC",
      mdnSigning: "DEFAULT",
    });
    expect(p.inbound).toEqual({ preserveFilename: false, enforceMessageSigning: true });
    expect(c.stations[0]!.inboxNaming).toBe("plain");
    expect(c.state).toEqual({ backend: "local" });
  });

  it("reports a missing station, a duplicate AS2 ID and NONE encryption over http, each precisely", () => {
    const problems = problemsOf(
      customerInput({
        partners: [
          {
            as2Id: "P1",
            station: "NOPE",
            url: "https://a.example",
            certificates: { signing: { pem: SAMPLE_CERT_PEM } },
          },
          {
            as2Id: "ACME",
            station: "ACME",
            url: "https://b.example",
            certificates: { signing: { pem: SAMPLE_CERT_PEM } },
          },
          {
            as2Id: "P3",
            station: "ACME",
            url: "http://c.example",
            certificates: { signing: { pem: SAMPLE_CERT_PEM } },
            outbound: { encryption: "NONE" },
          },
        ],
      }),
    );
    expect(problems).toEqual([
      `<test>: partners[1].as2Id: AS2 ID 'ACME' is already used by stations.0; AS2 IDs must be unique per customer (found "ACME")`,
      `<test>: partners[0].station: station 'NOPE' is not declared; expected one of: 'ACME' (found "NOPE")`,
      `<test>: partners[2].outbound.encryption: encryption NONE sends the payload in clear text: only allowed with an https:// URL, found http://c.example (found "NONE")`,
    ]);
  });

  it.each([
    ["", "1 to 128"],
    ["A B", "without spaces"],
    ["x".repeat(129), "at most 128"],
    ["a/b", "cannot contain '/'"],
    ["..", "'.' or '..'"],
    ["tab\there", "without spaces"],
  ])("rejects AS2 ID %j", (id, expected) => {
    const problems = problemsOf(
      customerInput({ stations: [{ as2Id: id, signing: { generate: true } }], partners: [] }),
    );
    expect(problems.join("\n")).toContain(expected);
    expect(problems.join("\n")).toContain("stations[0].as2Id");
  });

  it("accepts AS2 IDs with the punctuation real partners use", () => {
    const ids = ["ZZ:123456789", "<acme@as2.example>", "ACME+EU%1", "x".repeat(128)];
    const c = validateCustomer(
      customerInput({ stations: ids.map((as2Id) => ({ as2Id, signing: { generate: true } })), partners: [] }),
      "<test>",
    );
    expect(c.stations.map((s) => s.as2Id)).toEqual(ids);
  });

  it("rejects URLs that do not parse and settle times out of range", () => {
    const problems = problemsOf(
      customerInput({
        settle: { fileSeconds: -1, directorySeconds: 100000 },
        partners: [
          { as2Id: "P", station: "ACME", url: "not a url", certificates: { signing: { pem: SAMPLE_CERT_PEM } } },
        ],
      }),
    );
    const text = problems.join("\n");
    expect(text).toContain('partners[0].url: an absolute http:// or https:// URL (found "not a url")');
    expect(text).toContain("settle.fileSeconds");
    expect(text).toContain("settle.directorySeconds");
  });

  it("refuses inline private keys anywhere, naming the field", () => {
    const key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----";
    const problems = problemsOf(
      customerInput({
        stations: [
          { as2Id: "ACME", signing: { certificate: { pem: SAMPLE_CERT_PEM }, privateKey: { pem: key } } as never },
        ],
      }),
    );
    expect(problems[0]).toBe(
      "<test>: stations[0].signing.privateKey.pem: private key material must never be inline: use { secretsManagerArn }, { terraformVariable } or { generate: true }",
    );
    expect(problems.join("\n")).not.toContain("MIIB");
  });

  it("rejects unknown fields instead of ignoring a typo", () => {
    const problems = problemsOf(customerInput({ settel: { fileSeconds: 1 } } as never));
    expect(problems.join("\n")).toMatch(/settel/);
  });

  it("rejects a certificate file that does not exist", () => {
    const dir = mkdtempSync(join(tmpdir(), "cust-"));
    const file = join(dir, "acme.json");
    const problems = problemsOf(
      customerInput({
        partners: [
          {
            as2Id: "P",
            station: "ACME",
            url: "https://p.example",
            certificates: { signing: { file: "certs/missing.pem" } },
          },
        ],
      }),
      file,
    );
    expect(problems).toEqual([
      `${file}: partners[0].certificates.signing.file: certificate file not found (found ${JSON.stringify(join(dir, "certs/missing.pem"))})`,
    ]);
  });

  it("loads every file of a folder and reports the problems of two broken files together", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cust-"));
    writeFileSync(join(dir, "good.json"), JSON.stringify(customerInput({ name: "good" })));
    writeFileSync(join(dir, "bad1.json"), JSON.stringify(customerInput({ name: "bad1", region: "mars" })));
    writeFileSync(join(dir, "bad2.json"), "{ not json");
    await expect(loadCustomers(dir, dir)).rejects.toThrow(CustomerFileError);
    const err = (await loadCustomers(dir, dir).catch((e: unknown) => e)) as CustomerFileError;
    expect(err.problems.map(formatProblem)).toEqual([
      `bad1.json: region: an AWS region such as eu-west-1 (found "mars")`,
      expect.stringMatching(/^bad2\.json: \(file\): not valid JSON/),
    ]);
  });

  it("loads TypeScript customers written with defineCustomer", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cust-"));
    mkdirSync(join(dir, "certs"));
    const modelPath = join(__dirname, "..", "model", "customer");
    writeFileSync(
      join(dir, "typed.ts"),
      `import { defineCustomer } from ${JSON.stringify(modelPath)};\nexport default defineCustomer(${JSON.stringify(customerInput({ name: "typed" }))});\n`,
    );
    const [loaded] = await loadCustomers(dir, dir);
    expect(loaded!.customer.name).toBe("typed");
    expect(loaded!.customer.partners[0]!.as2Id).toBe("PARTNER");
  });

  it("the shipped example is valid: two stations, three partners, one a test partner", async () => {
    const loaded = await loadCustomers(EXAMPLE_DIR);
    const example = loaded.find((l) => l.customer.name === "example")!.customer;
    expect(example.stations).toHaveLength(2);
    expect(example.partners).toHaveLength(3);
    expect(example.partners.filter((p) => p.test)).toHaveLength(1);
  });
});
