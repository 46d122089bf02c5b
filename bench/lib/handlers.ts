/** Finds the Lambda entry points under handlers/ and the environment the stack gives each. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative, basename } from "node:path";

/** A module is a Lambda entry when it exports `handler`. */
export function isHandlerModule(source: string): boolean {
  return (
    /export\s+(async\s+)?function\s+handler\b/.test(source) ||
    /export\s+(const|let|var)\s+handler\b/.test(source) ||
    /export\s*\{[^}]*\bhandler\b[^}]*\}/.test(source)
  );
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Entries relative to the root (`handlers/send/settle.ts`), sorted. */
export function discoverHandlerEntries(root: string): string[] {
  return walk(join(root, "handlers"))
    .filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts") && !/\.test\.ts$/.test(p))
    .filter((p) => isHandlerModule(readFileSync(p, "utf8")))
    .map((p) => relative(root, p))
    .sort();
}

/** Terraform JSON of a stack → zip file name → Lambda environment variables. */
export function environmentsFromStack(tf: unknown): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const fns = ((tf as { resource?: Record<string, Record<string, unknown>> })?.resource?.aws_lambda_function ??
    {}) as Record<
    string,
    {
      filename?: string;
      environment?: { variables?: Record<string, string> } | { variables?: Record<string, string> }[];
    }
  >;
  for (const fn of Object.values(fns)) {
    if (typeof fn.filename !== "string") continue;
    const env = Array.isArray(fn.environment) ? fn.environment[0] : fn.environment;
    out.set(basename(fn.filename), { ...(env?.variables ?? {}) });
  }
  return out;
}

/** Synthesizes the shipped example customers and collects each function's environment by zip name. */
export function lambdaEnvironments(root: string, outdir: string): Map<string, Record<string, string>> {
  rmSync(outdir, { recursive: true, force: true });
  const r = spawnSync(join(root, "node_modules", ".bin", "tsx"), ["main.ts"], {
    cwd: root,
    env: { ...process.env, CDKTF_OUTDIR: outdir, AS2_CUSTOMERS_DIR: join(root, "customers") },
    encoding: "utf8",
  });
  const out = new Map<string, Record<string, string>>();
  if (r.status !== 0) return out;
  const stacks = join(outdir, "stacks");
  for (const s of existsSync(stacks) ? readdirSync(stacks) : []) {
    const f = join(stacks, s, "cdk.tf.json");
    if (!existsSync(f)) continue;
    for (const [k, v] of environmentsFromStack(JSON.parse(readFileSync(f, "utf8")))) out.set(k, v);
  }
  rmSync(outdir, { recursive: true, force: true });
  return out;
}
