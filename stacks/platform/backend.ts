/**
 * Where Terraform keeps a customer's state. Local by default (one file per stack); an S3 backend,
 * encrypted and locked with S3's native lock file, when the customer file asks for one or when
 * AS2_STATE_BUCKET is set (CI and shared deployments). State holds generated private keys: an S3
 * state bucket must itself be private and encrypted.
 */
import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import { stackName, type Customer } from "../../model/customer";

export type StateBackendKind = "local" | "s3";

export interface StateBackendEnv {
  /** Overrides the customer's choice: every stack goes to this bucket. */
  readonly AS2_STATE_BUCKET?: string;
  /** @default the customer's region */
  readonly AS2_STATE_REGION?: string;
  /** @default `customers/` */
  readonly AS2_STATE_KEY_PREFIX?: string;
}

/** Default key of a customer's state object in an S3 backend. */
export function defaultStateKey(customerName: string, prefix = "customers/"): string {
  return `${prefix}${customerName}/terraform.tfstate`;
}

/** Configures the stack's backend and says which one it chose. */
export function configureStateBackend(
  stack: TerraformStack,
  customer: Customer,
  env: StateBackendEnv = process.env,
): StateBackendKind {
  const state = customer.state;
  const envBucket = env.AS2_STATE_BUCKET?.trim();
  if (!envBucket && state.backend === "local") {
    new LocalBackend(stack, { path: `terraform.${stackName(customer.name)}.tfstate` });
    return "local";
  }
  const fromFile = state.backend === "s3" ? state : undefined;
  const backend = new S3Backend(stack, {
    bucket: envBucket || fromFile!.bucket,
    key: fromFile?.key ?? defaultStateKey(customer.name, env.AS2_STATE_KEY_PREFIX),
    region: env.AS2_STATE_REGION || fromFile?.region || customer.region,
    encrypt: true,
    ...(fromFile?.kmsKeyId ? { kmsKeyId: fromFile.kmsKeyId } : {}),
  });
  // Terraform >= 1.10 locks with a lock object beside the state; cdktf 0.21 predates the option.
  backend.addOverride("use_lockfile", true);
  return "s3";
}
