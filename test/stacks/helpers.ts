/** Synthesizes customer stacks and reads the Terraform JSON, for the infrastructure tests. */
import { Aspects, Testing, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { join } from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { validateCustomer } from "../../model/load";
import type { Customer, CustomerInput } from "../../model/customer";
import { CustomerStack } from "../../stacks/customer-stack";
import { collectFindings, type Findings } from "../../stacks/guard-rails/annotations";
import { GuardRails } from "../../stacks/guard-rails";
import { EXAMPLE_DIR } from "../helpers/customer-factory";

export type Tf = {
  terraform: Record<string, any>;
  resource: Record<string, Record<string, any>>;
  data: Record<string, Record<string, any>>;
  output: Record<string, any>;
  locals?: Record<string, any>;
  variable?: Record<string, any>;
};

export interface Synthesized {
  readonly tf: Tf;
  readonly json: string;
  readonly stack: CustomerStack;
  readonly findings: Findings;
  readonly customer: Customer;
}

export function customerFrom(input: CustomerInput): { customer: Customer; file: string } {
  const file = join(EXAMPLE_DIR, `${input.name}.json`);
  return { customer: validateCustomer(input, file), file };
}

/** The customer stack of a declaration (certificate files resolve against customers/). */
export function synthCustomer(input: CustomerInput, env: Record<string, string | undefined> = {}): Synthesized {
  const { customer, file } = customerFrom(input);
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    const app = Testing.app();
    const stack = new CustomerStack(app, { loaded: { file, customer, dir: EXAMPLE_DIR } });
    // Testing.synth runs the aspects (guard rails); toTerraform keeps construct paths for lookups.
    const json = Testing.synth(stack);
    return {
      tf: withDefaults(stack.toTerraform()),
      json,
      stack,
      findings: collectFindings(stack),
      customer,
    };
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

/** A bare stack with the guard rails attached, for constructs tested alone. */
export function synthWithGuardRails(build: (scope: Construct) => void): { tf: Tf; findings: Findings } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  Aspects.of(stack).add(new GuardRails());
  build(stack);
  const json = Testing.synth(stack);
  return { tf: withDefaults(JSON.parse(json)), findings: collectFindings(stack) };
}

function withDefaults(tf: Partial<Tf>): Tf {
  return { terraform: {}, resource: {}, data: {}, output: {}, ...tf };
}

export function all(tf: Tf, type: string): any[] {
  return Object.values(tf.resource[type] ?? {});
}

export function one(tf: Tf, type: string): any {
  const list = all(tf, type);
  if (list.length !== 1) throw new Error(`expected one ${type}, found ${list.length}`);
  return list[0];
}

/** Logical id of a resource by its construct path suffix. */
export function byPath(tf: Tf, type: string, pathSuffix: string): [string, any] {
  const found = Object.entries(tf.resource[type] ?? {}).filter(([, r]) =>
    String(r["//"]?.metadata?.path ?? "").endsWith(pathSuffix),
  );
  if (found.length !== 1) throw new Error(`expected one ${type} at */${pathSuffix}, found ${found.length}`);
  return found[0] as [string, any];
}

/** `${type.id.attr}` for a resource. */
export function ref(type: string, id: string, attr: string): string {
  return `\${${type}.${id}.${attr}}`;
}

/** Strips cdktf's metadata so that two syntheses can be compared by content. */
export function withoutMetadata<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === "//" ? undefined : x))) as T;
}

/**
 * A role's ARN as the stack spells it from the role's name (how Transfer resources name the roles
 * that trust them: stacks/transfer/transfer-iam.ts).
 */
export function spelledRoleArn(tf: Tf, nameSuffix: string): string {
  const name = Object.values(tf.resource.aws_iam_role ?? {}).find((r) => String(r.name).endsWith(nameSuffix))?.name;
  if (!name) throw new Error(`no role named *${nameSuffix}`);
  const partition = Object.keys(tf.data.aws_partition ?? {})[0];
  const caller = Object.keys(tf.data.aws_caller_identity ?? {})[0];
  return `arn:\${data.aws_partition.${partition}.partition}:iam::\${data.aws_caller_identity.${caller}.account_id}:role/${name}`;
}
