/** What Transfer's API accepts for AS2 IDs and descriptions is checked (or made true) at synth. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { transferDescription } from "../../model/transfer-description";
import { EXAMPLE_DIR } from "../helpers/customer-factory";

describe("Transfer's Description pattern [\\u0021-\\u007E]+", () => {
  it.each([
    ["ACME->GLOBEX", "ACME->GLOBEX"],
    ["Globex Corp. (EU)", "Globex_Corp._(EU)"],
    ["Müller\tGmbH", "M_ller_GmbH"],
    ["   ", "-"],
    ["x".repeat(300), "x".repeat(200)],
  ])("%j becomes %j", (text, expected) => {
    const d = transferDescription(text);
    expect(d).toBe(expected);
    expect(d).toMatch(/^[\u0021-\u007E]{1,200}$/);
  });
});

describe("an AS2 ID Transfer would refuse stops synth", () => {
  it("names the file, the field and the rule, and exits non-zero", () => {
    const dir = mkdtempSync(join(tmpdir(), "as2-id-"));
    const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as {
      partners: { as2Id: string }[];
      $schema?: string;
    };
    delete example.$schema;
    example.partners[0]!.as2Id = "GLO BEX";
    const file = join(dir, "spaced.json");
    writeFileSync(file, JSON.stringify(example));
    const out = spawnSync(process.execPath, ["--import", "tsx", "main.ts"], {
      cwd: join(__dirname, "..", ".."),
      env: { ...process.env, AS2_CUSTOMERS_DIR: dir },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(out.status).not.toBe(0);
    expect(out.stderr + out.stdout).toMatch(
      /spaced\.json: partners\[0\]\.as2Id: an AS2 ID is printable ASCII without spaces.*Transfer's As2Id.*\(found "GLO BEX"\)/,
    );
  });
});
