/**
 * What a guard rail is: one check on one kind of Terraform element (cdk-nag style), reading the
 * element's resolved configuration (overrides included) as Terraform will see it.
 */
import type { IConstruct } from "constructs";
import {
  TerraformElement,
  TerraformResource,
  TerraformDataSource,
  TerraformStack,
  TerraformOutput,
  TerraformVariable,
  TerraformLocal,
} from "cdktf";
import { resolve } from "cdktf/lib/_tokens";

export type Config = Record<string, unknown>;

export interface RuleContext {
  readonly stack: TerraformStack;
  /** Resolved configuration of an element (references as `${type.name.attr}` strings). */
  config(el: TerraformElement): Config;
  /** Every resource (or data source, with `data.` prefix) of a Terraform type in the stack. */
  elementsOfType(type: string): readonly TerraformElement[];
  /** The Terraform address used in references: `aws_s3_bucket.x` or `data.aws_iam_policy_document.y`. */
  address(el: TerraformElement): string;
}

// Every rule file declares one of these in the same shape (id, description, appliesTo, check), as
// cdk-nag rules do: the repeated shape across rule files is the contract, not copied logic.
export interface GuardRailRule {
  /** Stable identifier printed with every finding, e.g. `S3BucketEncryption`. */
  readonly id: string;
  /** What the rule ensures, in one sentence. */
  readonly description: string;
  /** Terraform types checked; data sources as `data.<type>`; `output`, `variable`, `local`; `*` for every element. */
  readonly appliesTo: readonly string[];
  /** Problems found on the element, each a sentence a person can act on. */
  check(el: TerraformElement, ctx: RuleContext): readonly string[];
}

/** A check over the whole stack (quotas): findings are warnings, not errors. */
export interface StackAdvisory {
  readonly id: string;
  readonly description: string;
  check(ctx: RuleContext): readonly { readonly node: IConstruct; readonly message: string }[];
}

export function terraformType(el: TerraformElement): string | undefined {
  if (el instanceof TerraformResource) return el.terraformResourceType;
  if (el instanceof TerraformDataSource) return `data.${el.terraformResourceType}`;
  if (el instanceof TerraformOutput) return "output";
  if (el instanceof TerraformVariable) return "variable";
  if (el instanceof TerraformLocal) return "local";
  return undefined;
}

/**
 * Each element's resolved Terraform fragment from the guard rails' pass of the current synth, per
 * stack. The rules resolve every element (NoPrivateKeyMaterial reads them all), and resolving is
 * most of synth's time at 1000 partners: the customer stack writes its JSON from these instead of
 * resolving every element a second time (stacks/platform/resolved-once.ts).
 */
const resolvedThisSynth = new WeakMap<TerraformStack, Map<TerraformElement, unknown>>();

/** The fragments resolved by this synth's guard-rail pass, handed out once (a later synth resolves afresh). */
export function takeResolvedFragments(stack: TerraformStack): ReadonlyMap<TerraformElement, unknown> | undefined {
  const fragments = resolvedThisSynth.get(stack);
  resolvedThisSynth.delete(stack);
  return fragments;
}

/** Builds the per-synth view of a stack; caches are dropped when the stack is visited again. */
export function createRuleContext(stack: TerraformStack): RuleContext {
  const configs = new Map<TerraformElement, Config>();
  const fragments = new Map<TerraformElement, unknown>();
  resolvedThisSynth.set(stack, fragments);
  let byType: Map<string, TerraformElement[]> | undefined;
  const index = () => {
    if (!byType) {
      byType = new Map();
      for (const c of stack.node.findAll()) {
        if (!(c instanceof TerraformElement)) continue;
        const t = terraformType(c);
        if (!t) continue;
        const list = byType.get(t) ?? [];
        list.push(c);
        byType.set(t, list);
      }
    }
    return byType;
  };
  return {
    stack,
    config(el) {
      let cfg = configs.get(el);
      if (!cfg) {
        const tf = resolve(stack, el.toTerraform()) as Record<string, Record<string, Record<string, Config>>>;
        fragments.set(el, tf);
        // Resources and data sources nest by type then name; outputs, variables and locals by name only.
        const byName = tf.output ?? tf.variable ?? (tf.locals ? { locals: tf.locals } : undefined);
        const block = tf.resource ?? tf.data ?? (byName ? { element: byName } : {});
        const first = Object.values(Object.values(block)[0] ?? {})[0] ?? {};
        cfg = first;
        configs.set(el, cfg);
      }
      return cfg;
    },
    elementsOfType(type) {
      return index().get(type) ?? [];
    },
    address(el) {
      const t = terraformType(el) ?? "";
      return `${t}.${el.friendlyUniqueId}`;
    },
  };
}

/** True when any string inside `value` contains a reference to `address` (`${address.`). */
export function mentions(value: unknown, address: string): boolean {
  const needle = `\${${address}.`;
  return JSON.stringify(value ?? null).includes(needle);
}

/** Terraform JSON writes a nested block either as an object or as a list of objects. */
export function blocks(value: unknown): Config[] {
  if (Array.isArray(value)) return value.filter((v): v is Config => !!v && typeof v === "object");
  if (value && typeof value === "object") return [value as Config];
  return [];
}

/** Strings under keys matching `keyPattern`, at any depth. */
export function valuesUnderKeys(value: unknown, keyPattern: RegExp, inside = false): string[] {
  if (typeof value === "string") return inside ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => valuesUnderKeys(v, keyPattern, inside));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => valuesUnderKeys(v, keyPattern, inside || keyPattern.test(k)));
  }
  return [];
}
