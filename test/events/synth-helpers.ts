/** Synthesizes stacks for assertions on the Terraform JSON. */
import { Testing, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { validateCustomer, loadCustomerFile } from "../../model/load";
import type { CustomerInput } from "../../model/customer";
import { CustomerStack } from "../../stacks/customer-stack";
import { EXAMPLE_DIR } from "../helpers/customer-factory";
import { join } from "node:path";

export type TfJson = {
  resource?: Record<string, Record<string, any>>;
  data?: Record<string, Record<string, any>>;
  output?: Record<string, any>;
};

/** Resources of one type, keyed by their logical id. */
export function resources(tf: TfJson, type: string): Record<string, any> {
  return tf.resource?.[type] ?? {};
}

export function resourceList(tf: TfJson, type: string): any[] {
  return Object.values(resources(tf, type));
}

/** The customer stack of a declaration, as Terraform JSON. Certificates resolve against customers/. */
export function synthCustomer(input: CustomerInput): TfJson {
  const file = join(EXAMPLE_DIR, `${input.name}.json`);
  const customer = validateCustomer(input, file);
  const app = Testing.app();
  const stack = new CustomerStack(app, { loaded: { file, customer, dir: EXAMPLE_DIR } });
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** The customer stack of a customer file (JSON fixture), as Terraform JSON. */
export async function synthCustomerFile(file: string): Promise<TfJson> {
  const loaded = await loadCustomerFile(file);
  const app = Testing.app();
  const stack = new CustomerStack(app, { loaded });
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** A bare stack with a provider, for constructs tested alone. */
export function synthConstruct(build: (scope: Construct) => void): TfJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  build(stack);
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** `${aws_x.y.attr}` → the logical id `y` (for following references between resources). */
export function refId(ref: string): string {
  const m = /^\$\{[a-z0-9_]+\.([^.}]+)\./.exec(ref);
  if (!m) throw new Error(`not a resource reference: ${ref}`);
  return m[1]!;
}
