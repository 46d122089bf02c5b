import { mkdtempSync, mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { scaffoldCustomer } from "../scripts/new-customer";
import { customerJsonSchemaText, customerJsonSchema } from "../model/json-schema";
import { loadCustomerFile } from "../model/load";

const ROOT = join(__dirname, "..");

describe("new-customer scaffolding", () => {
  it("writes a commented starting file that validates once its certificate exists", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cust-"));
    const file = scaffoldCustomer("newco", dir);
    const text = readFileSync(file, "utf8");
    expect(text).toContain('name: "newco"');
    expect(text).toMatch(/\/\/ .*test\//);
    await expect(loadCustomerFile(file)).rejects.toThrow(
      /partners\[0\]\.certificates\.signing\.file: certificate file not found/,
    );
    mkdirSync(join(dir, "certs"));
    writeFileSync(
      join(dir, "certs", "partner.pem"),
      readFileSync(join(ROOT, "customers", "certs", "globex-signing.pem")),
    );
    const loaded = await loadCustomerFile(file);
    expect(loaded.customer.stations[0]!.as2Id).toBe("NEWCO-AS2");
  });

  it("refuses to overwrite an existing customer and rejects invalid names", () => {
    const dir = mkdtempSync(join(tmpdir(), "cust-"));
    writeFileSync(join(dir, "taken.json"), "{}");
    expect(() => scaffoldCustomer("taken", dir)).toThrow(/already exists; refusing to overwrite/);
    expect(readFileSync(join(dir, "taken.json"), "utf8")).toBe("{}");
    expect(() => scaffoldCustomer("Bad_Name", dir)).toThrow(/not a valid customer name/);
    expect(existsSync(join(dir, "Bad_Name.ts"))).toBe(false);
  });
});

describe("JSON Schema for editors", () => {
  it("the committed templates/customer.schema.json is current (npm run schema)", () => {
    expect(readFileSync(join(ROOT, "templates", "customer.schema.json"), "utf8")).toBe(customerJsonSchemaText());
  });

  it("accepts every shipped JSON customer and rejects what zod rejects", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addFormat("email", /^[^@\s]+@[^@\s]+$/);
    const validate = ajv.compile(customerJsonSchema());
    for (const f of readdirSync(join(ROOT, "customers")).filter((f) => f.endsWith(".json"))) {
      const doc = JSON.parse(readFileSync(join(ROOT, "customers", f), "utf8"));
      expect({ f, ok: validate(doc), errors: validate.errors }).toEqual({ f, ok: true, errors: null });
    }
    const bad = { ...JSON.parse(readFileSync(join(ROOT, "customers", "example.json"), "utf8")), layout: "sftp" };
    expect(validate(bad)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain("/layout");
  });
});

describe("boundaries", () => {
  it("model/ and handlers/ never import cdktf", () => {
    const offenders: string[] = [];
    for (const dir of ["model", "handlers"]) {
      const walk = (d: string): void => {
        if (!existsSync(d)) return;
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) walk(p);
          else if (
            p.endsWith(".ts") &&
            /from\s+["'](cdktf|constructs|@cdktf\/[^"']+)["']/.test(readFileSync(p, "utf8"))
          )
            offenders.push(p);
        }
      };
      walk(join(ROOT, dir));
    }
    expect(offenders).toEqual([]);
  });
});
