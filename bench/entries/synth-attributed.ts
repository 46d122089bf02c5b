/**
 * Bench-only entry: runs the app (main.ts) and attributes the time of `app.synth()` to the
 * constructs whose elements cdktf renders and resolves (twice each: `prepareStack`, then
 * `toTerraform`), plus the final resolve of the merged document. Writes JSON to
 * BENCH_ATTRIBUTION_OUT.
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as cdktf from "cdktf";

interface Bucket {
  count: number;
  ms: number;
}

const WHOLE_DOCUMENT = "(whole document)\tfinal resolve of the merged JSON";
const buckets = new Map<string, Bucket>();
const counted = new WeakSet<object>();
let current: string | undefined;
let resolving = 0;
let synthStart = NaN;
const startupMs = performance.now();

function keyOf(el: cdktf.TerraformElement): string {
  const parts = el.node.path.split("/");
  // parts[0] is the stack; parts[1] the construct the customer stack composed.
  const owner = parts.length > 2 ? parts[1] : "(stack)";
  const type = (el as unknown as { terraformResourceType?: string }).terraformResourceType ?? el.constructor.name;
  return `${owner}\t${type}`;
}

function add(key: string, ms: number, element?: object) {
  const b = buckets.get(key) ?? { count: 0, ms: 0 };
  b.ms += ms;
  if (element && !counted.has(element)) {
    counted.add(element);
    b.count++;
  }
  buckets.set(key, b);
}

// Each element renders itself (toTerraform, toMetadata), then cdktf resolves what it rendered:
// both are charged to the element.
for (const cls of [
  cdktf.TerraformElement,
  cdktf.TerraformResource,
  cdktf.TerraformDataSource,
  cdktf.TerraformOutput,
  cdktf.TerraformProvider,
  cdktf.TerraformLocal,
  cdktf.TerraformBackend,
  cdktf.TerraformVariable,
  cdktf.TerraformModule,
]) {
  for (const method of ["toTerraform", "toMetadata"]) {
    const proto = cls.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    if (!Object.prototype.hasOwnProperty.call(proto, method)) continue;
    const original = proto[method]!;
    proto[method] = function (this: cdktf.TerraformElement, ...args: unknown[]) {
      if (Number.isNaN(synthStart) || resolving) return original.apply(this, args);
      const t = performance.now();
      current = keyOf(this);
      const r = original.apply(this, args);
      add(current, performance.now() - t, this);
      return r;
    };
  }
}

// The module object's export is a plain property that cdktf reads at each call.

const tokens = require("cdktf/lib/_tokens") as {
  resolve: (scope: unknown, obj: unknown, preparing?: boolean) => unknown;
};
const resolve = tokens.resolve;
tokens.resolve = (scope, obj, preparing) => {
  if (Number.isNaN(synthStart) || resolving) return resolve(scope, obj, preparing);
  const key = obj && typeof obj === "object" && "//" in obj ? WHOLE_DOCUMENT : (current ?? "(before any element)\t");
  const t = performance.now();
  resolving++;
  try {
    return resolve(scope, obj, preparing);
  } finally {
    resolving--;
    add(key, performance.now() - t);
  }
};

const synth = cdktf.App.prototype.synth;
cdktf.App.prototype.synth = function (this: cdktf.App) {
  synthStart = performance.now();
  try {
    return synth.call(this);
  } finally {
    const synthMs = performance.now() - synthStart;
    const attributed = [...buckets.values()].reduce((a, b) => a + b.ms, 0);
    add("(rest of synth)\taspects, merging, writing JSON", synthMs - attributed);
    const out = process.env.BENCH_ATTRIBUTION_OUT;
    if (out) {
      writeFileSync(
        out,
        JSON.stringify({
          startupMs,
          mainToSynthMs: synthStart - startupMs,
          synthMs,
          buckets: [...buckets.entries()].map(([k, b]) => ({
            construct: k.split("\t")[0],
            type: k.split("\t")[1],
            ...b,
          })),
        }),
      );
    }
  }
};

require("../../main");
