/**
 * The synth shortcuts of stacks/customer-stack.ts, stacks/platform/resolved-once.ts and
 * stacks/platform/terraform-json.ts change how cdktf gets to the JSON, never the JSON: skipping
 * cdktf's preparing resolve and reusing the guard rails' resolution leave the output byte-identical,
 * and a document split into locals reads back as the same text.
 */
import { App, Fn, TerraformStack, Testing } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomerStack } from "../../../stacks/customer-stack";
import { JSON_PIECE_CHARS, terraformJson, terraformJsonLocal } from "../../../stacks/platform/terraform-json";
import { customerWithPartners } from "../../helpers/customer-factory";
import { customerFrom } from "../helpers";
import { EXAMPLE_DIR } from "../../helpers/customer-factory";
import { stackName } from "../../../model/customer";

type CdktfPass = "prepareStack" | "toTerraform";

function synthToText(
  partners: number | Parameters<typeof customerFrom>[0],
  cdktfPass?: CdktfPass,
  override?: (stack: CustomerStack) => void,
): string {
  const { customer, file } = customerFrom(
    typeof partners === "number" ? customerWithPartners(partners, "passes") : partners,
  );
  const outdir = mkdtempSync(join(tmpdir(), "as2-synth-"));
  try {
    const app = new App({ outdir });
    const stack = new CustomerStack(app, { loaded: { file, customer, dir: EXAMPLE_DIR } });
    override?.(stack);
    // cdktf's own pass, for comparison.
    if (cdktfPass === "prepareStack") stack.prepareStack = () => TerraformStack.prototype.prepareStack.call(stack);
    if (cdktfPass === "toTerraform")
      stack.toTerraform = () => TerraformStack.prototype.toTerraform.call(stack) as Record<string, unknown>;
    app.synth();
    return readFileSync(join(outdir, "stacks", stackName(customer.name), "cdk.tf.json"), "utf8");
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Terraform's reading of a local that only joins other locals: their texts in order. */
function joined(locals: Record<string, string>, name: string): string {
  return locals[name]!.replace(/\$\{local\.([^}]+)\}/g, (_, part: string) => locals[part]!);
}

describe("synth passes", () => {
  it("writes the same cdk.tf.json without cdktf's preparing resolve (no cross-stack references)", () => {
    const ours = synthToText(40);
    expect(ours.length).toBeGreaterThan(10_000);
    expect(ours).toBe(synthToText(40, "prepareStack"));
  });

  it("writes the same cdk.tf.json from the guard rails' resolution as cdktf's own toTerraform", () => {
    const ours = synthToText(40);
    expect(ours).toBe(synthToText(40, "toTerraform"));
    const example = JSON.parse(readFileSync(join(EXAMPLE_DIR, "example.json"), "utf8")) as Parameters<
      typeof customerFrom
    >[0];
    const exampleText = synthToText(example);
    expect(exampleText).toContain("aws_transfer_connector");
    expect(exampleText).toBe(synthToText(example, "toTerraform"));
  });

  it("resolves the stack's own overrides, tokens included, as cdktf does", () => {
    const withOverride = (stack: CustomerStack) =>
      stack.addOverride("terraform.required_version", Fn.join("", [">= ", "1.6"]));
    const ours = synthToText(2, undefined, withOverride);
    // The token became Terraform's expression: it was resolved, not written as a token string.
    expect(ours).toContain('"required_version": "${join(');
    expect(ours).toBe(synthToText(2, "toTerraform", withOverride));
  });

  it("splits a long JSON document into locals that join back to the same text", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const value = {
      partners: Array.from({ length: 1500 }, (_, i) => ({ id: `P${i}`, note: "a, b ${not} %{either}", n: i })),
    };
    terraformJsonLocal(stack, "doc", value);
    const tf = JSON.parse(Testing.synth(stack)) as { locals: Record<string, string> };
    const names = Object.keys(tf.locals);
    const whole = names.find((n) => !n.includes("part"))!;
    expect(names.length).toBeGreaterThan(4);
    for (const n of names.filter((x) => x !== whole))
      expect(tf.locals[n]!.length).toBeLessThanOrEqual(JSON_PIECE_CHARS);
    expect(joined(tf.locals, whole)).toBe(terraformJson(value));
  });

  it("keeps a short document in one local", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    terraformJsonLocal(stack, "doc", { a: 1 });
    const tf = JSON.parse(Testing.synth(stack)) as { locals: Record<string, string> };
    expect(Object.values(tf.locals)).toEqual(['{"a":1}']);
  });
});
