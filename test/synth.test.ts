/** The app as a user runs it: `npm run synth` on real customer folders, in a child process. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { customerInput, SAMPLE_CERT_PEM, EXAMPLE_DIR } from "./helpers/customer-factory";

const ROOT = join(__dirname, "..");
/** As `npm run synth` and cdktf.json run it. */
function synth(customersDir: string, outdir: string) {
  return spawnSync(process.execPath, [join(ROOT, "scripts", "run-app.mjs")], {
    cwd: ROOT,
    env: { ...process.env, AS2_CUSTOMERS_DIR: customersDir, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
}

describe("synth", () => {
  it("writes one stack per customer and a summary a person can act on", () => {
    const out = mkdtempSync(join(tmpdir(), "out-"));
    const r = synth(EXAMPLE_DIR, out);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const file = join(out, "stacks", "customer-example", "cdk.tf.json");
    expect(existsSync(file)).toBe(true);
    const tf = JSON.parse(readFileSync(file, "utf8"));
    expect(tf.provider.aws[0].region).toBe("eu-west-1");
    expect(r.stdout).toContain("station ACME-AS2");
    expect(r.stdout).toContain("partner UMBRELLA-TEST [TEST]");
    expect(r.stdout).toContain("AS2/send/ACME-AS2/UMBRELLA-TEST/test/");
    expect(r.stdout).toContain("AS2/send/ACME-EU/INITECH/");
    expect(r.stdout).toContain(join("stacks", "customer-example", "cdk.tf.json"));
  });

  it("stops with a non-zero exit and one message per problem, for every broken file", () => {
    const dir = mkdtempSync(join(tmpdir(), "cust-"));
    const out = mkdtempSync(join(tmpdir(), "out-"));
    const cert = { signing: { pem: SAMPLE_CERT_PEM } };
    writeFileSync(
      join(dir, "broken.json"),
      JSON.stringify(
        customerInput({
          name: "broken",
          partners: [
            { as2Id: "P1", station: "MISSING", url: "https://p1.example", certificates: cert },
            { as2Id: "P1", station: "ACME", url: "https://p2.example", certificates: cert },
            {
              as2Id: "P3",
              station: "ACME",
              url: "http://p3.example",
              certificates: cert,
              outbound: { encryption: "NONE" },
            },
          ],
        }),
      ),
    );
    writeFileSync(join(dir, "other.json"), JSON.stringify(customerInput({ name: "other", layout: "sftp" as never })));
    const r = synth(dir, out);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("synth stopped: 4 problem(s) in customer files");
    expect(lines.slice(1).map((l) => l.trim())).toEqual([
      expect.stringMatching(/^.*broken\.json: partners\[1\]\.as2Id: AS2 ID 'P1' is already used by partners\.0/),
      expect.stringMatching(
        /^.*broken\.json: partners\[0\]\.station: station 'MISSING' is not declared; expected one of: 'ACME' \(found "MISSING"\)$/,
      ),
      expect.stringMatching(
        /^.*broken\.json: partners\[2\]\.outbound\.encryption: encryption NONE .* only allowed with an https:\/\/ URL/,
      ),
      expect.stringMatching(/^.*other\.json: layout: .*"mftgateway".*"as2gateway".* \(found "sftp"\)$/),
    ]);
    expect(existsSync(join(out, "stacks"))).toBe(false);
  });

  it("synthesizes TypeScript customer files (defineCustomer) too", () => {
    const dir = mkdtempSync(join(tmpdir(), "cust-ts-"));
    const out = mkdtempSync(join(tmpdir(), "out-"));
    const model = join(ROOT, "model", "customer");
    writeFileSync(
      join(dir, "typed.ts"),
      `import { defineCustomer } from ${JSON.stringify(model)};\nexport default defineCustomer(${JSON.stringify(
        customerInput({ name: "typed" }),
      )});\n`,
    );
    const r = synth(dir, out);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(existsSync(join(out, "stacks", "customer-typed", "cdk.tf.json"))).toBe(true);
  });

  it("rebuilds the compiled app when a source file changes, and reuses it otherwise", () => {
    const inputs = join(ROOT, ".gen", "app", "inputs.json");
    const out = mkdtempSync(join(tmpdir(), "out-"));
    expect(synth(EXAMPLE_DIR, out).status).toBe(0);
    const built = statSync(inputs).mtimeMs;
    expect(synth(EXAMPLE_DIR, out).status).toBe(0);
    expect(statSync(inputs).mtimeMs).toBe(built);
    const source = join(ROOT, "model", "summary.ts");
    const { size } = statSync(source);
    expect(JSON.parse(readFileSync(inputs, "utf8")).inputs["model/summary.ts"]?.[0]).toBe(size);
    const later = new Date(Date.now() + 5_000);
    utimesSync(source, later, later);
    expect(synth(EXAMPLE_DIR, out).status).toBe(0);
    expect(statSync(inputs).mtimeMs).toBeGreaterThan(built);
    expect(JSON.parse(readFileSync(inputs, "utf8")).inputs["model/summary.ts"][1]).toBe(statSync(source).mtimeMs);
  });

  it("cdktf.json runs the same app, so `cdktf synth` and `cdktf deploy` work", () => {
    const cfg = JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8"));
    expect(cfg.language).toBe("typescript");
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    // One Node process running main.ts compiled once (scripts/run-app.mjs), no CLI in between.
    expect(pkg.scripts.synth).toBe("node scripts/run-app.mjs");
    expect(cfg.app).toBe(pkg.scripts.synth);
    expect(pkg.dependencies.cdktf).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.dependencies["@cdktf/provider-aws"]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("never imports @cdktf/provider-aws from its package root", () => {
    const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "*.ts"], {
      cwd: ROOT,
      encoding: "utf8",
    })
      .split("\n")
      .filter((f) => f && !f.startsWith("node_modules/") && !f.startsWith("bench/"));
    const offenders = files.filter((f) =>
      /from\s+["']@cdktf\/provider-aws["']/.test(readFileSync(join(ROOT, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });
});
