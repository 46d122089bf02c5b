/**
 * A stack's Terraform JSON from fragments already resolved in this synth. cdktf's
 * TerraformStack.toTerraform() resolves every element, but the guard rails (an aspect, run just
 * before) have resolved each of them already: at 1000 partners that second resolution was about a
 * fifth of synth. This is cdktf 0.21.0's toTerraform (the version is pinned, the project archived)
 * with the element fragments taken from the guard rails' pass; an element they did not resolve is
 * resolved here as cdktf would. test/stacks/platform/synth-passes.test.ts compares the output with
 * cdktf's own, byte for byte.
 */
import { TerraformElement, TerraformOutput, TerraformStack } from "cdktf";
import { resolve } from "cdktf/lib/_tokens";
import { deepMerge } from "cdktf/lib/util";
import type { IConstruct } from "constructs";

/** cdktf's private members this needs, under the names cdktf gives them. */
interface StackInternals {
  readonly rawOverrides: Record<string, unknown>;
  readonly cdktfVersion: string;
}

/** The stack's own elements, depth first in tree order (a nested stack is left out), as cdktf lists them. */
function terraformElements(node: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(node)) into.push(node);
  for (const child of node.node.children) {
    if (TerraformStack.isStack(child)) continue;
    terraformElements(child, into);
  }
  return into;
}

export function toTerraformFromResolved(
  stack: TerraformStack,
  resolved: ReadonlyMap<TerraformElement, unknown>,
): Record<string, unknown> {
  const { rawOverrides, cdktfVersion } = stack as unknown as StackInternals;
  const tf: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {
    version: cdktfVersion,
    stackName: stack.node.id,
    backend: "local",
    cloud: undefined,
    ...(Object.keys(rawOverrides).length > 0 ? { overrides: { stack: Object.keys(rawOverrides) } } : {}),
  };
  const elements = terraformElements(stack);
  for (const e of elements) deepMerge(metadata, resolve(stack, e.toMetadata()));
  const outputs: Record<string, unknown> = {};
  for (const item of elements) {
    if (!TerraformOutput.isTerraformOutput(item)) continue;
    deepMerge(
      outputs,
      item.node.path
        .split("/")
        .reduceRight<Record<string, unknown>>(
          (inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }),
          {},
        ),
    );
  }
  tf["//"] = { metadata, outputs };
  for (const e of elements) deepMerge(tf, resolved.has(e) ? resolved.get(e) : resolve(stack, e.toTerraform()));
  // cdktf resolves the merged document once more; every part of it is resolved already but the
  // stack's own overrides, so those are resolved on their own (the walk over the whole document
  // cost ~0.2 s at 1000 partners).
  deepMerge(tf, resolve(stack, rawOverrides));
  return tf;
}
