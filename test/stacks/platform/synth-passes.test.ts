/**
 * The two synth shortcuts of stacks/customer-stack.ts and stacks/platform/terraform-json.ts change
 * how cdktf gets to the JSON, never the JSON: skipping cdktf's preparing resolve leaves the output
 * byte-identical, and a document split into locals reads back as the same text.
 */
import { App, TerraformStack, Testing } from "cdktf";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomerStack } from "../../../stacks/customer-stack";
import { JSON_PIECE_CHARS, terraformJson, terraformJsonLocal } from "../../../stacks/platform/terraform-json";
import { customerWithPartners } from "../../helpers/customer-factory";
import { customerFrom } from "../helpers";
import { EXAMPLE_DIR } from "../../helpers/customer-factory";
import { stackName } from "../../../model/customer";

function synthToText(partners: number, cdktfPrepare: boolean): string {
  const { customer, file } = customerFrom(customerWithPartners(partners, "passes"));
  const outdir = mkdtempSync(join(tmpdir(), "as2-synth-"));
  try {
    const app = new App({ outdir });
    const stack = new CustomerStack(app, { loaded: { file, customer, dir: EXAMPLE_DIR } });
    // cdktf's own preparing pass, for comparison.
    if (cdktfPrepare) stack.prepareStack = () => TerraformStack.prototype.prepareStack.call(stack);
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
    const ours = synthToText(40, false);
    expect(ours.length).toBeGreaterThan(10_000);
    expect(ours).toBe(synthToText(40, true));
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
